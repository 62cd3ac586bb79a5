import { forwarding } from '../common/forwarding';
import type { AlertSink } from '../ports/alert-sink';
import type { Clock } from '../ports/clock';
import type { InventorySteps, InventoryStore } from '../ports/inventory-store';
import { describeError } from '../reservation/describe-error';
import type { RebuildReport, RebuildService } from './rebuild';

/** Options of {@link ColdSaleRebuilder}. */
export interface ColdSaleRebuilderOptions {
  rebuild: RebuildService;
  /** Told (warning, SALE_REBUILD_FAILED) when a rebuild fails; the next trigger tries again. */
  alerts: AlertSink;
  clock: Clock;
  /**
   * Whether this instance serves the sale as running (started, not stopped, past DRAFT): a store
   * answer about any other sale starts nothing. A sale an operator keeps in DRAFT is theirs to
   * warm up.
   */
  serving: (saleId: string) => boolean;
  /**
   * After a failed rebuild (the source of truth unreachable, say), how long the triggers of that
   * sale wait before starting another; 1 s. A burst of refused buyers must not become a burst of
   * full reads of PostgreSQL.
   */
  retryAfterFailureMs?: number;
}

/**
 * Starts the rebuild of a sale the store has lost (issue 20) the moment this instance meets it,
 * instead of at the reconciler's next run: a reserve, confirm, extend, release or compensation
 * answered `SALE_NOT_WARM`, or an `isWarm` that says false, on a sale served here as running.
 *
 * One rebuild per sale at a time: every trigger while one runs shares it (and
 * {@link RebuildService} shares it with the reconciler's). Buyers are not made to wait for it:
 * they get their `SALE_NOT_WARM` (retriable) at once, and the store serves again when it ends.
 */
export class ColdSaleRebuilder {
  readonly #o: ColdSaleRebuilderOptions;
  readonly #retryAfterFailureMs: number;
  readonly #running = new Map<string, Promise<RebuildReport | null>>();
  /** When each sale's last rebuild failed, for the pause before the next one. */
  readonly #failedAt = new Map<string, number>();

  constructor(options: ColdSaleRebuilderOptions) {
    this.#o = options;
    this.#retryAfterFailureMs = options.retryAfterFailureMs ?? 1_000;
  }

  /**
   * Rebuilds `saleId` if it is served here and the store does not hold it; answers the rebuild's
   * report, or null when nothing was started (not served here, or paused after a failure). Calls
   * made while one runs share it. Never rejects: a failure is alerted and answered null.
   */
  trigger(saleId: string): Promise<RebuildReport | null> {
    const running = this.#running.get(saleId);
    if (running) return running;
    if (!this.#o.serving(saleId)) return Promise.resolve(null);
    const failedAt = this.#failedAt.get(saleId);
    if (failedAt !== undefined && this.#o.clock.now() - failedAt < this.#retryAfterFailureMs) {
      return Promise.resolve(null);
    }
    const work = this.#o.rebuild
      .rebuildIfCold(saleId)
      .then((report) => {
        this.#failedAt.delete(saleId);
        return report;
      })
      .catch(async (error: unknown) => {
        this.#failedAt.set(saleId, this.#o.clock.now());
        await this.#o.alerts
          .alert({
            severity: 'warning',
            code: 'SALE_REBUILD_FAILED',
            message: `sale ${saleId} could not be rebuilt in the store; the next SALE_NOT_WARM or reconciliation retries`,
            context: { saleId, error: describeError(error) },
          })
          .catch(() => undefined); // the alert sink itself is down: nothing left to tell
        return null;
      })
      .finally(() => this.#running.delete(saleId));
    this.#running.set(saleId, work);
    return work;
  }
}

/** What cannot answer SALE_NOT_WARM: passed through to the store as it is. */
const UNWATCHED = ['load', 'getHold', 'counts', 'seatStates', 'repair', 'unrelayed', 'markRelayed'] as const;

/** A store answer that may carry the refusal code. */
type Answer = { ok: boolean; code?: string } | object;

/**
 * The store as it was, except that every answer saying a sale is not warm (a `SALE_NOT_WARM`
 * refusal, or `isWarm` false) also calls `onNotWarm(saleId)`, after the answer is known and
 * without delaying it. Give it {@link ColdSaleRebuilder.trigger}.
 *
 * An `expireDue` that expired nothing is followed by an `isWarm` (not awaited): a lost sale
 * expires nothing, and when the loss comes after the last buyer's request (and the worker asks
 * nothing, or waits on the database) the sweeper's round is the only thing that meets it. Without
 * this the sale waited for the reconciler's next run (a minute by default).
 */
export function watchNotWarm(inventory: InventoryStore, onNotWarm: (saleId: string) => void): InventoryStore {
  const seen = <T extends Answer>(saleId: string, answer: T): T => {
    if ((answer as { code?: string }).code === 'SALE_NOT_WARM') onNotWarm(saleId);
    return answer;
  };
  const watched: InventoryStore = {
    ...forwarding(inventory, UNWATCHED),
    isWarm: async (saleId) => {
      const warm = await inventory.isWarm(saleId);
      if (!warm) onNotWarm(saleId);
      return warm;
    },
    reserve: async (request) => seen(request.saleId, await inventory.reserve(request)),
    extend: async (input) => seen(input.saleId, await inventory.extend(input)),
    release: async (input) => seen(input.saleId, await inventory.release(input)),
    confirm: async (input) => seen(input.saleId, await inventory.confirm(input)),
    compensate: async (input) => seen(input.saleId, await inventory.compensate(input)),
    expireDue: async (input) => {
      const expired = await inventory.expireDue(input);
      if (expired.length === 0) {
        void inventory.isWarm(input.saleId).then(
          (warm) => (warm ? undefined : onNotWarm(input.saleId)),
          () => undefined, // the store is unreachable: its next answer tells
        );
      }
      return expired;
    },
  };
  if (inventory.reserveGroup) {
    const reserveGroup = inventory.reserveGroup.bind(inventory);
    watched.reserveGroup = async (request) => seen(request.saleId, await reserveGroup(request));
  }
  if (inventory.restore) watched.restore = inventory.restore.bind(inventory);
  if (inventory.wasRebuilt) watched.wasRebuilt = inventory.wasRebuilt.bind(inventory);
  return watched;
}

/** The lock strategy's steps, with `isWarm` false calling `onNotWarm` (see {@link watchNotWarm}). */
export function watchStepsNotWarm(
  steps: InventorySteps,
  onNotWarm: (saleId: string) => void,
): InventorySteps {
  return {
    findOutcome: (saleId, key) => steps.findOutcome(saleId, key),
    unitsOfUser: (saleId, userId) => steps.unitsOfUser(saleId, userId),
    seatStatesOf: (saleId, seatIds) => steps.seatStatesOf(saleId, seatIds),
    takeStock: (saleId, quantity, token) => steps.takeStock(saleId, quantity, token),
    returnStock: (saleId, quantity) => steps.returnStock(saleId, quantity),
    writeHold: (hold, fingerprint, token) => steps.writeHold(hold, fingerprint, token),
    isWarm: async (saleId) => {
      const warm = await steps.isWarm(saleId);
      if (!warm) onNotWarm(saleId);
      return warm;
    },
  };
}

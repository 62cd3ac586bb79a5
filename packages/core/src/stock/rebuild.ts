import { ConfigurationError, InfrastructureError, UnknownSaleError } from '../common/errors';
import { SaleId } from '../common/ids';
import { positiveMs } from '../common/settings';
import { validate } from '../common/validate';
import { reserveFingerprint } from '../memory/fingerprint';
import type { AlertSink } from '../ports/alert-sink';
import type { Clock } from '../ports/clock';
import type { InventoryCounts, InventorySnapshot, InventoryStore } from '../ports/inventory-store';
import type { ReservationRepository, ReservationRow } from '../ports/reservation-repository';
import type { SaleDefinition } from '../sale/definition';

/** How many times a rebuild reads the truth at most before its rows in flight hold still. */
const TRUTH_READS = 5;

/** A hold in flight as the rebuild writes it (`InventorySnapshot['holds']`). */
type RestoredHold = NonNullable<InventorySnapshot['holds']>[number];

/** What one call of {@link RebuildService.rebuildIfCold} or {@link RebuildService.rebuild} did. */
export interface RebuildReport {
  saleId: string;
  /**
   * RESTORED: this call loaded the sale from the source of truth; ALREADY_WARM: the store serves
   * the sale (it was warm, or another caller rebuilt it first) and nothing was written.
   */
  outcome: 'RESTORED' | 'ALREADY_WARM';
  /** Holds in flight written back (REQUESTED and PAYMENT_PENDING rows), 0 unless RESTORED. */
  holdsRestored: number;
  /**
   * Of those, holds whose time ran out while the rebuild ran (rows already expired when it read
   * them are left out, see `holdsLeftOut`): the sweeper expires them as it would have.
   */
  holdsAlreadyDue: number;
  /**
   * Rows in flight NOT written back as holds, 0 unless RESTORED: their hold had ended at the
   * rebuild's clock, or a seat of theirs is sold or held by a later hold (the seat went back on
   * sale when their hold ended). The sweeper's check of rows in flight ends them (`HoldExpired`,
   * see `HoldSweeper`); their units are counted available.
   */
  holdsLeftOut: number;
  /**
   * Of the rows in flight, those whose buyer had released the hold (`recordRelease`), 0 unless
   * RESTORED: left out (counted in `holdsLeftOut`), or, for a release recorded while the rebuild
   * ran, released again once restored (not counted in `holdsRestored`).
   */
  holdsReleased: number;
  /** The store's counts after the call, when the sale is warm. */
  counts: InventoryCounts | null;
  /** From the first read of the repository to the verified store, in ms of the clock. */
  durationMs: number;
}

/** Options of one call of {@link RebuildService.rebuildIfCold} or {@link RebuildService.rebuild}. */
export interface RebuildCall {
  /**
   * The call warms the sale up as a process starts (`warmUp: 'if-cold'`): a sale with nothing sold
   * and nothing in flight is loaded without the SALE_REBUILT alert (a first warm-up lost nothing).
   */
  warmUp?: boolean;
}

/** Options of {@link RebuildService}. */
export interface RebuildServiceOptions {
  /**
   * Needs `listInFlight` (the holds in flight) and `getSale` (each sale's hold time); with
   * `listReleased`, holds their buyers released are not brought back.
   */
  repository: ReservationRepository;
  /** Needs `restore` (a load that only writes a sale that is not warm). */
  inventory: InventoryStore;
  clock: Clock;
  /** Told (warning) each time a sale is rebuilt, so an operator knows the store was lost. */
  alerts?: AlertSink;
  /**
   * How long a PAYMENT_PENDING hold lives after its payment began (the row's `updatedAt`): the
   * checkout's `paymentWindowMs`, 120 s by default. The store is the only record of a hold's
   * extensions, so a rebuild gives a paying buyer this window again.
   */
  paymentWindowMs?: number;
  /** The checkout's `maxHoldMs`: no restored hold lives past `heldAt + maxHoldMs` (900 s by default). */
  maxHoldMs?: number;
}

/**
 * Rebuilds a sale the store has lost (issue 20; docs/design.md §Rebuild of a lost sale: Redis gone,
 * then re-synced from the RDBMS, the source of truth). Without an operator: the runtime calls
 * {@link rebuildIfCold} from its reconciler loop and whenever a store answers `SALE_NOT_WARM`.
 *
 * From the repository it restores stock and seats (sold seats CONFIRMED), confirmed reservations
 * and the per-user counts, and every reservation in flight (REQUESTED or PAYMENT_PENDING) as a
 * HELD hold for its buyer, with its idempotency key, until its expiry. The source of truth keeps
 * no hold expiry, so it is derived: a REQUESTED row's hold ends `holdMs` (the sale's) after the
 * row was written (`createdAt`, the moment its ReservationRequested was published, which is at or
 * after the hold was made: never shorter than the buyer was told); a PAYMENT_PENDING row's hold
 * lives `paymentWindowMs` after its payment began, never past `heldAt + maxHoldMs`.
 *
 * A row whose hold has ended at the rebuild's clock is NOT held again, nor one whose buyer
 * released it (`ReservationRepository.recordRelease`: the release's event may not have reached
 * the row), nor one whose seat is sold or held by a later row (its hold ended and the seat was sold
 * on; `HoldExpired` may have been lost): its units are counted available and the sweeper's check of rows in flight
 * (`HoldSweeper`, `strandedCheckMs`) publishes its `HoldExpired`, so the worker fails it. So the
 * snapshot the rebuild writes is consistent whatever the rows in flight say, and a rebuild never
 * refuses its own snapshot.
 *
 * Not restored: holds the pipeline had not recorded yet (the store's outbox, lost with it), and
 * the waiting room (queue and admissions live in the store only).
 *
 * The store writes the sale only while it is not warm (`InventoryStore.restore`), so instances
 * racing to rebuild load it once, and a store that serves again is never overwritten.
 */
export class RebuildService {
  readonly #o: RebuildServiceOptions;
  readonly #paymentWindowMs: number;
  readonly #maxHoldMs: number;
  /** One rebuild per sale at a time in this process: a burst of SALE_NOT_WARM answers waits on it. */
  readonly #running = new Map<string, Promise<RebuildReport>>();

  constructor(options: RebuildServiceOptions) {
    if (!options.inventory.restore) {
      throw new ConfigurationError('the rebuild needs an inventory store with restore()');
    }
    if (!options.repository.listInFlight) {
      throw new ConfigurationError('the rebuild needs a reservation repository with listInFlight()');
    }
    this.#o = options;
    this.#paymentWindowMs = positiveMs('paymentWindowMs', options.paymentWindowMs ?? 120_000);
    this.#maxHoldMs = positiveMs('maxHoldMs', options.maxHoldMs ?? 900_000);
  }

  /**
   * Rebuilds the sale when the store does not hold it (one read of the store when it does). Calls
   * for the same sale made while one runs share its answer.
   * @throws UnknownSaleError when the repository has no such sale; InfrastructureError when the
   *   repository or the store fails (nothing half-written: the store's load is one transaction).
   */
  async rebuildIfCold(saleId: string, call: RebuildCall = {}): Promise<RebuildReport> {
    const id = validate('sale id', SaleId, saleId);
    const running = this.#running.get(id);
    if (running) return running;
    const started = this.#o.clock.now();
    if (await this.#o.inventory.isWarm(id)) {
      return {
        saleId: id,
        outcome: 'ALREADY_WARM',
        holdsRestored: 0,
        holdsAlreadyDue: 0,
        holdsLeftOut: 0,
        holdsReleased: 0,
        counts: null,
        durationMs: 0,
      };
    }
    return this.rebuild(id, started, call);
  }

  /** Rebuilds the sale unless the store is (or becomes, by another caller) warm. */
  async rebuild(saleId: string, startedAt?: number, call: RebuildCall = {}): Promise<RebuildReport> {
    const id = validate('sale id', SaleId, saleId);
    const running = this.#running.get(id);
    if (running) return running;
    const work = this.#rebuild(id, startedAt ?? this.#o.clock.now(), call.warmUp === true).finally(() =>
      this.#running.delete(id),
    );
    this.#running.set(id, work);
    return work;
  }

  async #rebuild(saleId: string, startedAt: number, quietWhenFresh: boolean): Promise<RebuildReport> {
    const { repository, inventory, clock } = this.#o;
    const sale = await repository.getSale(saleId);
    if (!sale) throw new UnknownSaleError(saleId);
    const { inFlight, snapshot, confirmedUnits } = await this.#readTruth(saleId);
    const released = await this.#released(saleId, inFlight);
    const { holds, leftOut } = this.#holdsInFlight(inFlight, sale, snapshot, clock.now(), released);
    const held = holds.reduce((sum, hold) => sum + hold.quantity, 0);
    const confirmedPerUser = { ...snapshot.confirmedPerUser };
    for (const row of leftOut) {
      // the snapshot counted the row against its buyer's limit; its hold is over
      confirmedPerUser[row.userId] = Math.max(0, (confirmedPerUser[row.userId] ?? 0) - row.quantity);
    }
    const outcome = await inventory.restore!({
      ...snapshot,
      // what is neither sold nor held again: the left-out rows' units go back on sale
      available: Math.max(0, snapshot.initialStock - confirmedUnits - held),
      confirmedPerUser,
      holds,
    });
    const restored = outcome === 'RESTORED';
    const releasedSince = restored ? await this.#releaseAgain(saleId, holds) : 0;
    const counts = await inventory.counts(saleId);
    const total = counts.available + counts.held + counts.confirmed;
    if (total !== counts.initialStock || counts.available < 0) {
      throw new InfrastructureError(`the rebuilt sale ${saleId} does not add up: ${JSON.stringify(counts)}`);
    }
    const now = clock.now();
    const leftOutReleased = leftOut.filter((row) => released.has(row.reservationId)).length;
    const report: RebuildReport = {
      saleId,
      outcome,
      holdsRestored: restored ? holds.length - releasedSince : 0,
      holdsAlreadyDue: restored ? holds.filter((hold) => hold.expiresAt <= now).length : 0,
      holdsLeftOut: restored ? leftOut.length : 0,
      holdsReleased: restored ? leftOutReleased + releasedSince : 0,
      counts,
      durationMs: now - startedAt,
    };
    const fresh = inFlight.length === 0 && confirmedUnits === 0;
    if (restored && !(quietWhenFresh && fresh)) {
      await this.#o.alerts
        ?.alert({
          severity: 'warning',
          code: 'SALE_REBUILT',
          message: `sale ${saleId} was rebuilt in the store from the source of truth`,
          context: { ...report },
        })
        .catch(() => undefined); // the rebuild stands whether or not anyone could be told
    }
    return report;
  }

  /**
   * The rows in flight, then what is sold, then the rows in flight again, until both lists name
   * the same rows (at most {@link TRUTH_READS} times). The rows first: a row confirmed between the
   * reads is sold in the second read and its hold is left out, never the other way round (a sold
   * seat held again). The third read: a row the worker writes between the first two (a hold
   * acknowledged before the loss, its event handled now) is pending in the snapshot's per-user
   * units but not held again, so its buyer's limit refused the worker's re-hold of it
   * (LIMIT_EXCEEDED, the acknowledged hold lost; the fault suite lost 3 so in 1 of 10 wipes).
   * While the store is cold no hold is made, so the rows stop coming once the events of the holds
   * made before the loss are handled; the last reading stands if they never do.
   */
  async #readTruth(
    saleId: string,
  ): Promise<{ inFlight: ReservationRow[]; snapshot: InventorySnapshot; confirmedUnits: number }> {
    const { repository } = this.#o;
    let inFlight = await repository.listInFlight!(saleId);
    for (let read = 1; ; read++) {
      const snapshot = await repository.loadSnapshot(saleId);
      if (!snapshot) throw new UnknownSaleError(saleId);
      const confirmedUnits =
        snapshot.seatIds.length > 0
          ? snapshot.confirmedSeatIds.length
          : (await repository.totals(saleId)).confirmedUnits;
      const after = await repository.listInFlight!(saleId);
      const before = new Set(inFlight.map((row) => row.reservationId));
      const same = after.length === before.size && after.every((row) => before.has(row.reservationId));
      if (same || read >= TRUTH_READS) return { inFlight, snapshot, confirmedUnits };
      inFlight = after;
    }
  }

  /**
   * Of the rows in flight, those whose buyer released the hold (recorded before the release was
   * answered; its event may not have reached the row yet): read after the rows, so a release
   * recorded before the store was lost is seen whatever the rows say.
   */
  async #released(saleId: string, inFlight: ReservationRow[]): Promise<ReadonlySet<string>> {
    const { repository } = this.#o;
    if (!repository.listReleased || inFlight.length === 0) return new Set();
    return new Set(
      await repository.listReleased(
        saleId,
        inFlight.map((row) => row.reservationId),
      ),
    );
  }

  /**
   * Releases again the restored holds whose release was recorded while the rebuild ran (the buyer
   * released in the store, the store was lost, and the record landed after {@link #released}
   * read): an answered release is never undone. Answers how many; `Reservations.releaseHold`
   * covers a record that lands after this read (it looks at the hold once it has recorded).
   */
  async #releaseAgain(saleId: string, holds: readonly RestoredHold[]): Promise<number> {
    const { repository, inventory, clock } = this.#o;
    if (!repository.listReleased || holds.length === 0) return 0;
    const late = new Set(
      await repository.listReleased(
        saleId,
        holds.map((hold) => hold.reservationId),
      ),
    );
    let released = 0;
    for (const hold of holds) {
      if (!late.has(hold.reservationId)) continue;
      const outcome = await inventory.release({
        saleId,
        reservationId: hold.reservationId,
        userId: hold.userId,
        now: clock.now(),
      });
      if (outcome.ok) released++;
    }
    return released;
  }

  /**
   * The holds the rebuild writes back: rows in flight whose hold has not ended at `now` (its
   * derived expiry, see the class comment), that their buyer did not release (`released`), and
   * whose seats are neither sold nor held by a later row. A seat is held by one hold at a time, so
   * of two rows claiming one, the earlier one's hold ended first (the seat went back on sale, then
   * to the later buyer): the later row keeps it.
   */
  #holdsInFlight(
    inFlight: ReservationRow[],
    sale: SaleDefinition,
    snapshot: InventorySnapshot,
    now: number,
    released: ReadonlySet<string>,
  ): { holds: RestoredHold[]; leftOut: ReservationRow[] } {
    const taken = new Set(snapshot.confirmedSeatIds);
    const known = new Set(snapshot.seatIds);
    const holds: RestoredHold[] = [];
    const leftOut: ReservationRow[] = [];
    const latestFirst = [...inFlight].sort(
      (a, b) => b.createdAt - a.createdAt || (a.reservationId < b.reservationId ? 1 : -1),
    );
    for (const row of latestFirst) {
      const hold = this.#holdOf(row, sale);
      const claimable = row.seatIds.every((id) => known.has(id) && !taken.has(id));
      if (hold.expiresAt <= now || !claimable || released.has(row.reservationId)) {
        leftOut.push(row);
        continue;
      }
      for (const id of row.seatIds) taken.add(id);
      holds.push(hold);
    }
    // oldest first, as the repository lists them
    holds.reverse();
    return { holds, leftOut };
  }

  /** A row in flight as the hold its buyer was told about (see the class comment for the expiry). */
  #holdOf(row: ReservationRow, sale: SaleDefinition): RestoredHold {
    const heldAt = row.createdAt;
    const expiresAt = inFlightExpiry(row, sale.holdMs, {
      paymentWindowMs: this.#paymentWindowMs,
      maxHoldMs: this.#maxHoldMs,
    });
    const selection =
      row.seatIds.length > 0
        ? { kind: 'seats' as const, seatIds: row.seatIds }
        : { kind: 'quantity' as const, quantity: row.quantity };
    return {
      reservationId: row.reservationId,
      userId: row.userId,
      idempotencyKey: row.idempotencyKey,
      quantity: row.quantity,
      seatIds: row.seatIds,
      heldAt,
      expiresAt,
      // a retry of the buyer's reserve with the same key replays this hold (a group reserve's
      // fingerprint is not recoverable: its retry is answered IDEMPOTENCY_KEY_REUSED, a 4xx)
      fingerprint: reserveFingerprint({ userId: row.userId, selection }),
    };
  }
}

/**
 * When the hold of a row in flight ends, as far as the source of truth can tell (it keeps no hold
 * expiry): a REQUESTED row's hold `holdMs` after the row's `createdAt` (the hold's time, or later:
 * never shorter than the buyer was told); a PAYMENT_PENDING row's `paymentWindowMs` after its
 * payment began (`updatedAt`), at least that, never past `createdAt + maxHoldMs`. The rebuild
 * restores a row's hold until then, and the sweeper's check of rows in flight takes a row whose
 * hold record is gone for ended from then on.
 */
export function inFlightExpiry(
  row: Pick<ReservationRow, 'status' | 'createdAt' | 'updatedAt'>,
  holdMs: number,
  bounds: { paymentWindowMs: number; maxHoldMs: number },
): number {
  const heldAt = row.createdAt;
  const held = heldAt + holdMs;
  const expiresAt =
    row.status === 'PAYMENT_PENDING'
      ? Math.min(Math.max(held, row.updatedAt + bounds.paymentWindowMs), heldAt + bounds.maxHoldMs)
      : held;
  return Math.max(expiresAt, heldAt + 1);
}

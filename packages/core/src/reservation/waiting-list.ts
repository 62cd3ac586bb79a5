import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { EpochMs, ReservationId, UserId } from '../common/ids';
import { positiveInteger } from '../common/settings';
import { validate, vouch } from '../common/validate';
import { warnLoopFailed } from '../hold/loop-failure';
import { type PeriodicTask, serviceLoop, type Timer } from '../hold/periodic';
import type { SaleHooks } from '../hooks/sale-hooks';
import type { AlertSink } from '../ports/alert-sink';
import type { Clock } from '../ports/clock';
import type { EventPublisher } from '../ports/event-publisher';
import { GroupFallback } from '../ports/group-reservation';
import type { InventoryStore } from '../ports/inventory-store';
import {
  type WaitingListEntry,
  type WaitingListJoinOutcome,
  type WaitingListOffer,
  WaitingListOfferRequest,
  type WaitingListStore,
} from '../ports/waiting-list-store';
import { SaleDefinition, type SaleDefinitionInput } from '../sale/definition';
import { type AcceptedHold, type HoldRelay, relayFor } from './hold-relay';

/** A round's fresh offer ids, as the offer request checks them. */
const OfferIds = WaitingListOfferRequest.shape.offerIds;

/** Input of {@link WaitingList.join}. */
export const WaitingListJoinInput = z.object({
  userId: UserId,
  /** Units, or seats together on a seated sale. */
  size: z.number().int().positive().max(100),
  /** Seated sales: `refuse` waits for adjacent seats only; `split` (default) accepts close ones. */
  fallback: GroupFallback.default('split'),
});
export type WaitingListJoinInput = z.input<typeof WaitingListJoinInput>;

/** Input of {@link WaitingList.claim}. */
export const WaitingListClaimInput = z.object({ userId: UserId, offerId: ReservationId });
export type WaitingListClaimInput = z.infer<typeof WaitingListClaimInput>;

/** The answer of {@link WaitingList.claim}. */
export type WaitingListClaimResult =
  | AcceptedHold
  /** SALE_NOT_WARM: the store lost the sale and it is being rebuilt; retry shortly. */
  | { ok: false; code: 'SALE_NOT_WARM' | 'NOT_OFFERED' | 'ALREADY_CLAIMED' | 'OFFER_EXPIRED' };

/** What an operator sees of a sale's waiting list. */
export interface WaitingListFigures {
  /** Parties waiting for an offer. */
  waiting: number;
  /** Offers made and neither claimed nor lapsed yet. */
  offered: number;
}

/** Options of {@link WaitingList}. */
export interface WaitingListOptions {
  sale: SaleDefinitionInput;
  /** The waiting list, over the same state as `inventory` (`store.waitingList()`). */
  store: WaitingListStore;
  inventory: InventoryStore;
  /** Pass the sale's hooked publisher so claims fire `held`, then `confirmed` or `failed`. */
  publisher: EventPublisher;
  clock: Clock;
  alerts: AlertSink;
  /**
   * The sale's hooks: offers fire `offered` here (tell the buyer to claim), and `expired`,
   * `failed`, `released` and `restocked` start an offer round at once.
   */
  hooks?: SaleHooks;
  /** How long an offered party has to claim; default 10 minutes. */
  claimMs?: number;
  /** The hold's lifetime from the claim on (time to pay); the sale's `holdMs` by default. */
  holdMs?: number;
  /** Offers per round at most; default 100. */
  offersPerRound?: number;
  /** The offer round's period (the guarantee behind the hooks); default 1 s. */
  intervalMs?: number;
  timer?: Timer;
  newOfferId?: () => string;
  /** The sale's relay (`Reservations.relay`), so claimed offers reach the pipeline as any hold. */
  relay?: HoldRelay;
}

/**
 * The waiting list of a sold-out sale (pretix's waiting list, group-aware). Buyers join with the
 * number of units or seats they want; whenever units are freed — a hold expires, a payment fails,
 * a buyer releases, a refund compensates — an offer round holds them for the first parties they
 * fit, in order (a party of four gets four adjacent seats when some row has them), and the
 * `offered` hook tells each party to claim before its deadline. A claim turns the offer into the
 * buyer's reservation (payment as for any other); an unclaimed offer lapses with its hold, and
 * the units go to the next party.
 *
 * Limitation: a freed unit is back on public sale from its expiry until the next round (at once
 * when hooks trigger it, at worst `intervalMs`); a host that wants the list to have every freed
 * unit closes public reserving after the sell-out (pause the sale; the list keeps working).
 */
export class WaitingList {
  readonly sale: SaleDefinition;
  private readonly relay: HoldRelay;
  private readonly rows: string[][];
  private readonly claimMs: number;
  private readonly holdMs: number;
  private readonly offersPerRound: number;
  private readonly task: PeriodicTask;
  private readonly unsubscribe: Array<() => void> = [];
  /** The round in flight and whether another was asked for meanwhile (rounds never overlap). */
  private round: Promise<WaitingListOffer[]> | null = null;
  private again = false;
  /**
   * Whether the parts of every offer request that come from the set-up (the sale's rows, which
   * can be thousands of seat ids, and the claim time) are valid: checked once, so a round checks
   * only its fresh offer ids and time before vouching for the request.
   */
  private readonly offerSetUpValid: boolean;

  constructor(private readonly options: WaitingListOptions) {
    this.sale = validate('sale', SaleDefinition, options.sale);
    this.relay = relayFor(this.sale, options);
    this.rows =
      this.sale.inventory.kind === 'assigned'
        ? this.sale.inventory.sections.flatMap((section) =>
            section.rows.map((row) => row.seats.map((s) => s.id)),
          )
        : [];
    this.claimMs = positiveInteger('claimMs', options.claimMs ?? 600_000);
    this.holdMs = positiveInteger('holdMs', options.holdMs ?? this.sale.holdMs);
    this.offersPerRound = positiveInteger('offersPerRound', options.offersPerRound ?? 100);
    this.offerSetUpValid = WaitingListOfferRequest.safeParse({
      saleId: this.sale.id,
      rows: this.rows,
      claimMs: this.claimMs,
      offerIds: ['o'],
      now: 0,
    }).success;
    this.task = serviceLoop(
      options,
      1_000,
      async () => {
        await this.offerFreed();
      },
      (error) => this.alertRoundFailed(error),
    );
  }

  /** Joins the list (joining again keeps the first place). */
  async join(input: WaitingListJoinInput): Promise<WaitingListJoinOutcome> {
    const { userId, size, fallback } = validate('waiting list join', WaitingListJoinInput, input);
    return this.options.store.join({
      saleId: this.sale.id,
      userId,
      size,
      fallback,
      now: this.options.clock.now(),
    });
  }

  /** Leaves the list; false when the user was not waiting (an offer is left to lapse). */
  leave(userId: string): Promise<boolean> {
    return this.options.store.leave({ saleId: this.sale.id, userId: validate('user id', UserId, userId) });
  }

  /** The user's entry and how many live parties are ahead of it, or null. */
  async position(userId: string): Promise<{ entry: WaitingListEntry; ahead: number } | null> {
    const entry = await this.options.store.entry(this.sale.id, validate('user id', UserId, userId));
    if (!entry) return null;
    const entries = await this.options.store.entries(this.sale.id);
    return { entry, ahead: entries.filter((e) => e.seq < entry.seq).length };
  }

  /** Parties waiting for an offer, and offers neither claimed nor lapsed (for an operator's view). */
  async figures(): Promise<WaitingListFigures> {
    const entries = await this.options.store.entries(this.sale.id);
    const now = this.options.clock.now();
    let waiting = 0;
    let offered = 0;
    for (const entry of entries) {
      if (entry.state === 'WAITING') waiting += 1;
      else if (entry.state === 'OFFERED' && (entry.deadline ?? 0) > now) offered += 1;
    }
    return { waiting, offered };
  }

  /**
   * Offers the units free now to the waiting parties, in order, and fires `offered` for each
   * offer. Rounds never overlap in this instance (one asked for meanwhile runs after); across
   * instances the store's atomic `offer` never offers a unit twice.
   */
  async offerFreed(): Promise<WaitingListOffer[]> {
    if (this.round) {
      this.again = true;
      return this.round;
    }
    const run = async () => {
      const offers: WaitingListOffer[] = [];
      do {
        this.again = false;
        const ids = await this.offerIdsNeeded();
        if (ids === 0) continue; // nobody waits nor holds an offer: nothing to lapse or offer
        const now = this.options.clock.now();
        const newOfferId = this.options.newOfferId ?? randomUUID;
        const request: WaitingListOfferRequest = {
          saleId: this.sale.id,
          rows: this.rows,
          claimMs: this.claimMs,
          offerIds: Array.from({ length: ids }, () => newOfferId()),
          now,
        };
        // anything off goes as built: the store's own check answers its ValidationError. Random
        // UUIDs are safe ids and never repeat: only a host's own offer ids need checking.
        const trusted =
          this.offerSetUpValid &&
          (this.options.newOfferId === undefined ||
            (OfferIds.safeParse(request.offerIds).success &&
              new Set(request.offerIds).size === request.offerIds.length)) &&
          EpochMs.safeParse(now).success;
        const made = await this.options.store.offer(
          trusted ? vouch(WaitingListOfferRequest, request) : request,
        );
        for (const offer of made)
          this.options.hooks?.emit('offered', { saleId: this.sale.id, ...offer, at: now });
        offers.push(...made);
      } while (this.again);
      return offers;
    };
    this.round = run();
    try {
      return await this.round;
    } finally {
      this.round = null;
    }
  }

  /**
   * How many offer ids the next round needs: none when the list has no live entry (a store with
   * `liveCount` answers that in O(1), so an idle round costs one read, no ids and no offer call),
   * else one per live party up to `offersPerRound` (only a WAITING one can get an offer).
   */
  private async offerIdsNeeded(): Promise<number> {
    const { store } = this.options;
    if (!store.liveCount) return this.offersPerRound;
    const live = await store.liveCount(this.sale.id);
    return Number.isSafeInteger(live) && live >= 0
      ? Math.min(live, this.offersPerRound)
      : this.offersPerRound;
  }

  /**
   * Claims an offer: exactly one of any number of racing claims wins. The winner's hold is then
   * a reservation like any other: the claim writes its outbox entry in the same step, the relay
   * publishes ReservationRequested and the processor takes the payment.
   */
  async claim(input: WaitingListClaimInput): Promise<WaitingListClaimResult> {
    const { userId, offerId } = validate('waiting list claim', WaitingListClaimInput, input);
    const now = this.options.clock.now();
    const outcome = await this.options.store.claim({
      saleId: this.sale.id,
      userId,
      offerId,
      holdMs: this.holdMs,
      now,
    });
    if (!outcome.ok) return outcome;
    return this.relay.accept({ hold: outcome.hold, replayed: false }, now);
  }

  /** Starts the offer rounds: every `intervalMs`, and at once when hooks say units were freed. */
  start(): void {
    const { hooks } = this.options;
    if (hooks && this.unsubscribe.length === 0) {
      const trigger = () => {
        void this.offerFreed().catch((error: unknown) => this.alertRoundFailed(error));
      };
      for (const name of ['expired', 'failed', 'released', 'restocked'] as const) {
        this.unsubscribe.push(hooks.on(name, trigger));
      }
    }
    this.task.start();
  }

  /** Stops the rounds and waits for one in flight. */
  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    await this.task.stop();
    await this.round?.catch(() => undefined);
  }

  private alertRoundFailed(error: unknown): void {
    warnLoopFailed(
      this.options.alerts,
      {
        code: 'WAITING_LIST_ROUND_FAILED',
        message: 'a waiting-list offer round failed; the next one retries',
        context: { saleId: this.sale.id },
      },
      error,
    );
  }
}

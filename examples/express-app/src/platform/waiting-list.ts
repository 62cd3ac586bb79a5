import type {
  AlertSink,
  Clock,
  EventPublisher,
  HoldRelay,
  InventoryStore,
  SaleDefinition,
  SaleHookPayloads,
  SaleHooks,
  WaitingListClaimResult,
  WaitingListEntry,
  WaitingListJoinOutcome,
  WaitingListStore,
} from '@seatrush/core';
import { WaitingList } from '@seatrush/core/services';

/** What the operator sees of a sale's waiting list. */
export interface WaitingListFigures {
  /** Parties waiting for an offer. */
  waiting: number;
  /** Offers made and neither claimed nor lapsed yet. */
  offered: number;
}

/** Options of {@link SaleWaitingList}. */
export interface SaleWaitingListOptions {
  sale: SaleDefinition;
  /** The inventory's own waiting list (`inventory.waitingList()`): same state, same atomicity. */
  store: WaitingListStore;
  inventory: InventoryStore;
  /** The sale's hook-wired publisher, so a claim fires `held`, then `confirmed` or `failed`. */
  publisher: EventPublisher;
  /** The sale's hooks: the list hears freed units here and announces its offers (`offered`). */
  hooks: SaleHooks;
  clock: Clock;
  alerts: AlertSink;
  /** How long an offered party has to claim; the SDK's default (10 minutes) when absent. */
  claimMs?: number;
  /** The sale's outbox relay (`seatRush.relay`): a claimed offer reaches the pipeline through it. */
  relay: HoldRelay;
}

/**
 * One sale's waiting list after sell-out, as the app drives it: the SDK's `WaitingList` (offer
 * rounds at once on every freed unit, and every second as the guarantee) plus the reads the
 * routes and the dashboard need. The offer rounds run where the sale's loops run; joins, claims
 * and reads work in every instance (the store is shared).
 */
export class SaleWaitingList {
  readonly list: WaitingList;
  #running = false;

  constructor(private readonly options: SaleWaitingListOptions) {
    this.list = new WaitingList({
      sale: options.sale,
      store: options.store,
      inventory: options.inventory,
      publisher: options.publisher,
      hooks: options.hooks,
      clock: options.clock,
      alerts: options.alerts,
      relay: options.relay,
      ...(options.claimMs === undefined ? {} : { claimMs: options.claimMs }),
    });
  }

  join(input: {
    userId: string;
    size: number;
    fallback?: 'split' | 'refuse';
  }): Promise<WaitingListJoinOutcome> {
    return this.list.join(input);
  }

  /** The user's entry and the live parties ahead of it, or null when the user never joined. */
  position(userId: string): Promise<{ entry: WaitingListEntry; ahead: number } | null> {
    return this.list.position(userId);
  }

  leave(userId: string): Promise<boolean> {
    return this.list.leave(userId);
  }

  claim(input: { userId: string; offerId: string }): Promise<WaitingListClaimResult> {
    return this.list.claim(input);
  }

  /** Calls `listener` with every offer this instance makes; returns the unsubscribe function. */
  onOffered(listener: (offer: SaleHookPayloads['offered']) => void): () => void {
    return this.options.hooks.on('offered', listener);
  }

  /** Waiting parties and outstanding offers (an offer past its deadline no longer counts). */
  async figures(): Promise<WaitingListFigures> {
    const entries = await this.options.store.entries(this.options.sale.id);
    const now = this.options.clock.now();
    let waiting = 0;
    let offered = 0;
    for (const entry of entries) {
      if (entry.state === 'WAITING') waiting += 1;
      else if (entry.state === 'OFFERED' && (entry.deadline ?? 0) > now) offered += 1;
    }
    return { waiting, offered };
  }

  /** Starts the offer rounds (idempotent). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.list.start();
  }

  /** Stops the offer rounds and waits for one in flight. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    await this.list.stop();
  }
}

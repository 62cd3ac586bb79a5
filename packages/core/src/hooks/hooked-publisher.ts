import type { DomainEvent } from '../events/events';
import type { EventPublisher } from '../ports/event-publisher';
import type { InventoryStore } from '../ports/inventory-store';
import type { SaleHooks } from './sale-hooks';

/** What the sell-out watch knows of each sale: per sale, the last reading applied and its verdict. */
interface SellOutWatch {
  /** Readings of the counts started so far. */
  readings: number;
  /** Per sale: the latest reading applied. */
  applied: Map<string, number>;
  /** Per sale: whether that reading was sold out. */
  soldOut: Map<string, boolean>;
}

/**
 * One watch per hooks emitter, shared by every publisher feeding it (the sale's, the group
 * allocation's, the waiting list's), so a sell-out is announced once whoever made it.
 */
const watches = new WeakMap<SaleHooks, SellOutWatch>();

function sellOutWatchOf(hooks: SaleHooks): SellOutWatch {
  let watch = watches.get(hooks);
  if (!watch) {
    watch = { readings: 0, applied: new Map(), soldOut: new Map() };
    watches.set(hooks, watch);
  }
  return watch;
}

/** Options of {@link HookedPublisher}. */
export interface HookedPublisherOptions {
  /** The real publisher (Kafka, the memory bus…): every event goes there first. */
  publisher: EventPublisher;
  hooks: SaleHooks;
  /**
   * Where the sell-out watch reads a sale's available units after each stock change. Without it
   * `sold-out` and `restocked` never fire.
   */
  inventory?: InventoryStore;
}

/**
 * An {@link EventPublisher} that turns the services' domain events into host hooks once the
 * real publisher has acknowledged them: UserAdmitted → `admitted`, ReservationRequested → `held`,
 * ReservationConfirmed → `confirmed`, ReservationFailed → `failed`, HoldExpired → `expired`,
 * StockChanged(RELEASED) → `released`. Every StockChanged also triggers the sell-out watch, which
 * reads the sale's counts and fires `sold-out` when nothing is left and `restocked` when units
 * come back.
 *
 * Every service publishes its facts, so this one decorator sees them all without any service
 * knowing of hooks. A failed publish fires nothing (the service undoes the fact and tells its
 * caller). Hooks never add latency: the watch runs in the background.
 */
export class HookedPublisher implements EventPublisher {
  constructor(private readonly options: HookedPublisherOptions) {}

  async publish(events: DomainEvent[]): Promise<void> {
    await this.options.publisher.publish(events);
    const stockChangedIn = new Set<string>();
    for (const event of events) {
      this.#emitFor(event);
      if (event.type === 'StockChanged') stockChangedIn.add(event.saleId);
    }
    for (const saleId of stockChangedIn) this.#watchStock(saleId, events[events.length - 1]!.occurredAt);
  }

  close(): Promise<void> {
    return this.options.publisher.close();
  }

  #emitFor(event: DomainEvent): void {
    const { hooks } = this.options;
    const at = event.occurredAt;
    const saleId = event.saleId;
    switch (event.type) {
      case 'UserAdmitted':
        hooks.emit('admitted', { saleId, ...event.payload, at });
        return;
      case 'ReservationRequested': {
        const { idempotencyKey: _key, heldAt: _heldAt, ...payload } = event.payload;
        hooks.emit('held', { saleId, ...payload, at });
        return;
      }
      case 'ReservationConfirmed':
        hooks.emit('confirmed', { saleId, ...event.payload, at });
        return;
      case 'ReservationFailed':
        hooks.emit('failed', { saleId, ...event.payload, at });
        return;
      case 'HoldExpired':
        hooks.emit('expired', { saleId, ...event.payload, at });
        return;
      case 'StockChanged': {
        const { reason, reservationId, seatIds, delta } = event.payload;
        if (reason !== 'RELEASED' || !reservationId || !hooks.wants('released')) return;
        // the audit event names no user: the hold record does (an empty id when it is gone)
        const { inventory } = this.options;
        hooks.track(
          'released',
          (inventory ? inventory.getHold(saleId, reservationId) : Promise.resolve(null)).then((hold) => {
            hooks.emit('released', {
              saleId,
              reservationId,
              userId: hold?.userId ?? '',
              quantity: delta,
              seatIds,
              at,
            });
          }),
        );
        return;
      }
    }
  }

  #watchStock(saleId: string, at: number): void {
    const { inventory, hooks } = this.options;
    if (!inventory || !(hooks.wants('sold-out') || hooks.wants('restocked'))) return;
    // Each reading starts at once (never queued behind another, never awaited by the sale), and a
    // reading older than one already applied is dropped, so transitions follow the sale's order.
    const watch = sellOutWatchOf(hooks);
    watch.readings += 1;
    const reading = watch.readings;
    const read = inventory.counts(saleId).then(({ available }) => {
      if ((watch.applied.get(saleId) ?? 0) > reading) return;
      watch.applied.set(saleId, reading);
      const was = watch.soldOut.get(saleId);
      const now = available === 0;
      watch.soldOut.set(saleId, now);
      if (now && was !== true) hooks.emit('sold-out', { saleId, at });
      if (!now && was === true) hooks.emit('restocked', { saleId, available, at });
    });
    hooks.track('sold-out', read);
  }
}

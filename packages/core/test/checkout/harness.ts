import { Checkout, type CheckoutOptions } from '../../src/checkout/checkout';
import { MemoryAlertSink } from '../../src/memory/alert-sink';
import { MemoryCheckoutStore } from '../../src/memory/checkout-store';
import { MemoryEventBus } from '../../src/memory/event-bus';
import { MemoryInventoryStore } from '../../src/memory/inventory-store';
import { ManualClock } from '../../src/memory/manual-clock';
import { MemoryNotificationOutbox } from '../../src/memory/notification-outbox';
import { SIMULATOR_CARDS, SimulatedPaymentProvider } from '../../src/memory/payment-simulator';
import { MemoryReservationRepository } from '../../src/memory/reservation-repository';
import type { InventoryStore } from '../../src/ports/inventory-store';
import { reservationRequested } from '../../src/reservation/events';
import { PriceList } from '../../src/reservation/price-list';
import { ReservationProcessor } from '../../src/reservation/processor';
import { SaleDefinition } from '../../src/sale/definition';

export const SALE_ID = 'sale-pay';
export const HOLD_MS = 60_000;

/** A general-admission sale of `capacity` units at 5,000 cents, its memory ports and a buyer-driven checkout. */
export async function checkoutHarness(
  options: {
    capacity?: number;
    checkout?: Partial<Pick<CheckoutOptions, 'paymentWindowMs' | 'maxHoldMs'>>;
    /** What the checkout and the worker see of the store (the store itself by default). */
    wrapInventory?: (store: MemoryInventoryStore) => InventoryStore;
  } = {},
) {
  const clock = new ManualClock();
  const sale = SaleDefinition.parse({
    id: SALE_ID,
    name: 'Checkout sale',
    inventory: { kind: 'general', capacity: options.capacity ?? 5, tier: 'std' },
    tiers: [{ id: 'std', name: 'Standard', priceCents: 5_000 }],
    opensAt: 0,
    holdMs: HOLD_MS,
    admission: { usersPerInterval: 10, intervalMs: 1_000, maxActive: 100 },
    limits: { ticketsPerUser: 4 },
  });
  const repository = new MemoryReservationRepository();
  await repository.saveSale(sale);
  const memoryStore = new MemoryInventoryStore();
  await memoryStore.load((await repository.loadSnapshot(SALE_ID))!);
  const inventory = options.wrapInventory ? options.wrapInventory(memoryStore) : memoryStore;
  const bus = new MemoryEventBus();
  const alerts = new MemoryAlertSink();
  const outbox = new MemoryNotificationOutbox();
  const store = new MemoryCheckoutStore(repository, outbox);
  const provider = new SimulatedPaymentProvider({ clock });
  const checkout = new Checkout({
    provider,
    store,
    inventory,
    repository,
    publisher: bus,
    alerts,
    clock,
    ...options.checkout,
  });
  const processor = new ReservationProcessor({
    inventory,
    repository,
    checkout,
    publisher: bus,
    alerts,
    clock,
  });
  const prices = new PriceList(sale);

  /** Holds `quantity` units for `userId` and lets the worker record them (unless `record` is false). */
  async function hold(userId: string, options: { quantity?: number; record?: boolean } = {}) {
    const reservationId = `r-${userId}`;
    const outcome = await inventory.reserve({
      saleId: SALE_ID,
      userId,
      reservationId,
      idempotencyKey: `key-${userId}`,
      selection: { kind: 'quantity', quantity: options.quantity ?? 1 },
      holdMs: HOLD_MS,
      requireAdmission: false,
      now: clock.now(),
    });
    if (!outcome.ok) throw new Error(`reserve refused: ${outcome.code}`);
    const requested = reservationRequested(outcome.hold, prices.amountOf(outcome.hold), clock.now());
    if (options.record !== false) await processor.handle(requested);
    return { reservationId, request: { saleId: SALE_ID, reservationId, userId }, requested };
  }

  /** Begins the checkout and pays with `card` on the buyer's side; answers the payment. */
  async function pay(
    request: { saleId: string; reservationId: string; userId: string },
    card: string = SIMULATOR_CARDS.approved,
  ) {
    const begun = await checkout.begin(request);
    if (!begun.ok) throw new Error(`begin refused: ${begun.code}`);
    const { paymentId, clientSecret } = begun.payment;
    const confirmed = await provider.confirm({ paymentId, clientSecret: clientSecret!, card });
    return { payment: begun.payment, confirmed };
  }

  /** Delivers every webhook waiting at the simulator, in order; answers the outcomes. */
  async function deliverWebhooks() {
    const outcomes = [];
    for (const delivery of provider.takeWebhooks())
      outcomes.push((await checkout.handleWebhook(delivery)).outcome);
    return outcomes;
  }

  /** Expires what is due (the sweeper's store call) and hands the HoldExpired events to the worker. */
  async function sweep() {
    const expired = await inventory.expireDue({ saleId: SALE_ID, now: clock.now(), limit: 100 });
    for (const h of expired) {
      await processor.handle({
        eventId: `expired-${h.reservationId}`,
        type: 'HoldExpired',
        version: 1,
        saleId: SALE_ID,
        key: h.reservationId,
        occurredAt: clock.now(),
        payload: {
          reservationId: h.reservationId,
          userId: h.userId,
          quantity: h.quantity,
          seatIds: h.seatIds,
        },
      });
    }
    return expired.length;
  }

  return {
    clock,
    sale,
    repository,
    inventory,
    bus,
    alerts,
    outbox,
    store,
    provider,
    checkout,
    processor,
    hold,
    pay,
    deliverWebhooks,
    sweep,
    counts: () => inventory.counts(SALE_ID),
  };
}

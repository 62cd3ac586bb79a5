import { ConfigurationError } from '../common/errors';
import type { Timer } from '../hold/periodic';
import type { SaleHooks } from '../hooks/sale-hooks';
import { MemoryCheckoutStore } from '../memory/checkout-store';
import { MemoryNotificationOutbox, MemoryNotificationSender } from '../memory/notification-outbox';
import { SimulatedPaymentProvider } from '../memory/payment-simulator';
import type { AlertSink } from '../ports/alert-sink';
import type { CheckoutStore } from '../ports/checkout-store';
import type { Clock } from '../ports/clock';
import type { EventPublisher } from '../ports/event-publisher';
import type { InventoryStore } from '../ports/inventory-store';
import type { NotificationOutbox, NotificationSender } from '../ports/notification-outbox';
import type { PaymentGateway, PaymentProvider } from '../ports/payment-gateway';
import type { ReservationRepository } from '../ports/reservation-repository';
import { Checkout, type CheckoutOptions } from './checkout';
import { NotificationRelay, type NotificationRelayOptions } from './notification-relay';
import { offerNotification } from './notifications';

/**
 * The runtime's buyer-driven checkout (`createSeatRushRuntime({ checkout: { … } })`). Every field
 * has an embedded default, for one process: the simulator, the checkout records and the outbox in
 * memory, a sender that keeps what it is given. In production pass the provider
 * (`stripePayments(…)`), the PostgreSQL `store` and `outbox` (`pgPorts(…).checkout`,
 * `.notifications`) and the host's sender.
 */
export interface RuntimeCheckoutOptions
  extends Partial<Pick<CheckoutOptions, 'currency' | 'paymentWindowMs' | 'maxHoldMs'>> {
  /** The payment provider; a {@link SimulatedPaymentProvider} by default. */
  provider?: PaymentProvider;
  /** Payments, webhook receipts and final steps; in memory beside the repository by default. */
  store?: CheckoutStore;
  /** The notification outbox; in memory by default (it must be the one `store.settle` writes to). */
  outbox?: NotificationOutbox;
  /** The buyers' channel; a {@link MemoryNotificationSender} by default. */
  sender?: NotificationSender;
  /** The notification relay's timing. */
  relay?: Pick<NotificationRelayOptions, 'intervalMs' | 'batchSize' | 'leaseMs' | 'retryDelayMs'>;
}

/** What the runtime runs for a buyer-driven checkout (`runtime.checkout`). */
export interface RuntimeCheckout {
  /**
   * The host's webhook endpoint calls this with the raw body and the headers; see
   * {@link Checkout.handleWebhook} (a `WebhookSignatureError` is a 400, other throws a 5xx).
   */
  handleWebhook: Checkout['handleWebhook'];
  checkout: Checkout;
  provider: PaymentProvider;
  outbox: NotificationOutbox;
  sender: NotificationSender;
  relay: NotificationRelay;
  /**
   * The checkout's `paymentWindowMs` and `maxHoldMs`, those the options set (the defaults stand
   * otherwise): the rebuild and the sweeper derive from them how long a hold whose payment began
   * lives.
   */
  holdBounds: { paymentWindowMs?: number; maxHoldMs?: number };
  /** Puts each waiting-list offer of a sale in the outbox (from its `offered` hook). */
  notifyOffers(hooks: SaleHooks): void;
}

/**
 * The one-step gateway a buyer-driven runtime hands to what still asks for one: it never charges
 * (in that mode the worker must not pay by itself), and says so if it is ever called.
 */
export const NO_AUTO_PAY: PaymentGateway = {
  charge: async () => {
    throw new ConfigurationError('this runtime checks out buyer-driven: nothing charges without the buyer');
  },
  refund: async () => {
    throw new ConfigurationError('this runtime checks out buyer-driven: refunds go through the checkout');
  },
};

/** Builds the buyer-driven checkout of a runtime from its options and ports. */
export function buildRuntimeCheckout(input: {
  options: RuntimeCheckoutOptions;
  inventory: InventoryStore;
  repository: ReservationRepository;
  publisher: EventPublisher;
  alerts: AlertSink;
  clock: Clock;
  timer?: Timer;
}): RuntimeCheckout {
  const { options, clock, alerts } = input;
  if ((options.store === undefined) !== (options.outbox === undefined)) {
    throw new ConfigurationError(
      'checkout: give both `store` and `outbox` (the outbox `store.settle` writes to), or neither',
    );
  }
  const memoryOutbox = options.outbox ? null : new MemoryNotificationOutbox();
  const outbox = options.outbox ?? memoryOutbox!;
  const store = options.store ?? new MemoryCheckoutStore(input.repository, memoryOutbox!);
  const provider = options.provider ?? new SimulatedPaymentProvider({ clock });
  const sender = options.sender ?? new MemoryNotificationSender();
  const holdBounds = {
    ...(options.paymentWindowMs ? { paymentWindowMs: options.paymentWindowMs } : {}),
    ...(options.maxHoldMs ? { maxHoldMs: options.maxHoldMs } : {}),
  };
  const checkout = new Checkout({
    provider,
    store,
    inventory: input.inventory,
    repository: input.repository,
    publisher: input.publisher,
    alerts,
    clock,
    ...(options.currency ? { currency: options.currency } : {}),
    ...holdBounds,
  });
  const relay = new NotificationRelay({
    outbox,
    sender,
    clock,
    alerts,
    ...(input.timer ? { timer: input.timer } : {}),
    ...options.relay,
  });
  return {
    handleWebhook: (delivery) => checkout.handleWebhook(delivery),
    checkout,
    provider,
    outbox,
    sender,
    relay,
    holdBounds,
    notifyOffers(hooks) {
      hooks.on('offered', async (offer) => {
        await outbox.enqueue(
          offerNotification({
            saleId: offer.saleId,
            userId: offer.userId,
            offerId: offer.offerId,
            expiresAt: offer.deadline,
            now: offer.at,
          }),
        );
      });
    },
  };
}

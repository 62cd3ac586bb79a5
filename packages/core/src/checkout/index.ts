export { MemoryCheckoutStore } from '../memory/checkout-store';
export { MemoryNotificationOutbox, MemoryNotificationSender } from '../memory/notification-outbox';
export {
  SIMULATOR_CARDS,
  SIMULATOR_SIGNATURE_HEADER,
  type SimulatedConfirmOutcome,
  SimulatedPaymentProvider,
  type SimulatedPaymentProviderOptions,
} from '../memory/payment-simulator';
export {
  type CheckoutStore,
  PAYMENT_RECORD_STATUSES,
  type PaymentRecord,
  type PaymentRecordStatus,
} from '../ports/checkout-store';
export type {
  ClaimedNotification,
  Notification,
  NotificationKind,
  NotificationOutbox,
  NotificationRecord,
  NotificationSender,
} from '../ports/notification-outbox';
export type {
  CreatePaymentInput,
  PaymentProvider,
  PaymentWebhookEvent,
  ProviderPayment,
  ProviderPaymentStatus,
  WebhookDelivery,
} from '../ports/payment-gateway';
export { CHECKOUT_WORKER_EVENT_TYPES } from '../reservation/processor';
export {
  Checkout,
  type CheckoutFailureReason,
  type CheckoutOptions,
  type CheckoutOutcome,
  type CheckoutPayment,
  type CheckoutRefusal,
  type CheckoutRequest,
  type CheckoutStatus,
  type WebhookOutcome,
} from './checkout';
export { WebhookSignatureError } from './errors';
export { NotificationRelay, type NotificationRelayOptions, type RelayRound } from './notification-relay';
export { confirmedNotification, failedNotification, offerNotification } from './notifications';
export {
  buildRuntimeCheckout,
  NO_AUTO_PAY,
  type RuntimeCheckout,
  type RuntimeCheckoutOptions,
} from './runtime-checkout';
export { type BuyerReservation, SaleCheckout } from './sale-checkout';

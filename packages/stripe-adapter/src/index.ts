export { METADATA, paymentOf, type StripePaymentsOptions, stripePayments } from './stripe-payments';

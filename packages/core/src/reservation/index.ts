export { reservationConfirmed, reservationEventId, reservationFailed, reservationRequested } from './events';
export { type AcceptedHold, HoldRelay, type HoldRelayOptions } from './hold-relay';
export type { HoldServiceOptions } from './hold-service';
export { PriceList } from './price-list';
export {
  type BatchReport,
  type ReservationFailureReason,
  ReservationProcessor,
  type ReservationProcessorOptions,
} from './processor';
export {
  type CancelOutcome,
  OwnerRequest,
  Reservations,
  type ReservationsOptions,
  type ReserveFailureCode,
  ReserveInput,
  type ReserveResult,
  type ReserveStrategy,
} from './reservations';

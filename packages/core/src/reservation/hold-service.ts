import { randomUUID } from 'node:crypto';
import { positiveInteger } from '../common/settings';
import type { AlertSink } from '../ports/alert-sink';
import type { Clock } from '../ports/clock';
import type { EventPublisher } from '../ports/event-publisher';
import type { InventoryStore } from '../ports/inventory-store';
import type { AdmissionTokenRefusal, AdmissionTokens } from '../queue/admission-tokens';
import type { SaleDefinition, SaleDefinitionInput } from '../sale/definition';
import type { HoldRelay } from './hold-relay';

/**
 * What every service that holds units for a buyer's request is given: {@link Reservations} (a
 * selection) and {@link GroupReservations} (seats together) check the same gates the same way.
 */
export interface HoldServiceOptions {
  sale: SaleDefinitionInput;
  inventory: InventoryStore;
  publisher: EventPublisher;
  clock: Clock;
  /** Told when a compensation or an audit event fails. */
  alerts: AlertSink;
  /** Check the waiting-room admission in the store (default true). False for a sale without a queue. */
  requireAdmission?: boolean;
  /** When given, a valid admission token is required (a stateless check before the store). */
  tokens?: AdmissionTokens;
  /** Hold lifetime; the sale's `holdMs` by default. */
  holdMs?: number;
  /**
   * Whether the sale takes reservations now (its lifecycle state is OPEN); every request is
   * refused with SALE_NOT_OPEN while it answers false. Always open when omitted.
   */
  isOpen?: () => boolean;
  /** Makes reservation ids; random UUIDs by default. */
  newReservationId?: () => string;
  /**
   * Hands new holds to the pipeline and relays the outbox (shared by the sale's reservations,
   * group reservations and waiting list); one over `publisher` by default, whose loop the host
   * must then run (`createSeatRush` runs it).
   */
  relay?: HoldRelay;
  /**
   * Bound on the store's answer, in ms (default 2 s): past it the answer is OUTCOME_UNKNOWN, so a
   * request answers within `answerWithinMs` plus the relay's `handOverWaitMs` whatever Redis does.
   */
  answerWithinMs?: number;
  /**
   * The outbox gate (see `ReserveRequest.relayLagLimitMs`): new holds are refused PIPELINE_STALLED
   * while the pipeline is this far behind. Default a quarter of the hold time, at most 5 s.
   */
  relayLagLimitMs?: number;
}

/** The hold lifetime a service uses: `options.holdMs`, else the sale's; a positive integer. */
export function holdMsOf(sale: SaleDefinition, options: Pick<HoldServiceOptions, 'holdMs'>): number {
  return positiveInteger('holdMs', options.holdMs ?? sale.holdMs);
}

/** A request refused at the admission-token check. */
export interface TokenRefused {
  ok: false;
  code: 'NOT_ADMITTED';
  tokenRefusal: AdmissionTokenRefusal;
}

/** Who holds, under which id and key: the parts every store request for a buyer starts with. */
export interface BuyerRequestParts {
  saleId: string;
  userId: string;
  reservationId: string;
  idempotencyKey: string;
}

/**
 * The admission-token check (when the service checks tokens: NOT_ADMITTED unless `admissionToken`
 * admits the user to the sale at `now`), then who holds: the caller's reservation id, so that a
 * retry reuses it, or a new one.
 */
export function admittedBuyer(
  options: Pick<HoldServiceOptions, 'tokens' | 'newReservationId'>,
  saleId: string,
  command: { userId: string; idempotencyKey: string; admissionToken?: string; reservationId?: string },
  now: number,
): TokenRefused | { ok: true; buyer: BuyerRequestParts } {
  if (options.tokens) {
    const verdict = options.tokens.verify({
      token: command.admissionToken,
      saleId,
      userId: command.userId,
      now,
    });
    if (!verdict.ok) return { ok: false, code: 'NOT_ADMITTED', tokenRefusal: verdict.code };
  }
  const reservationId = command.reservationId ?? (options.newReservationId ?? randomUUID)();
  return {
    ok: true,
    buyer: { saleId, userId: command.userId, reservationId, idempotencyKey: command.idempotencyKey },
  };
}

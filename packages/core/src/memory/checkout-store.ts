import type { CheckoutStore, PaymentRecord, PaymentRecordStatus } from '../ports/checkout-store';
import type { Notification } from '../ports/notification-outbox';
import type { ReservationRepository, ReservationStatusChange } from '../ports/reservation-repository';
import type { MemoryNotificationOutbox } from './notification-outbox';

/**
 * The checkout's records in memory, beside a reservation repository and a notification outbox.
 * In one process nothing can crash between a reservation's step and its notification, so `settle`
 * is the repository's guarded transition followed by the enqueue; pair it with the in-memory
 * repository (over PostgreSQL, use the pg adapter's store, whose `settle` is one transaction).
 */
export class MemoryCheckoutStore implements CheckoutStore {
  readonly #payments = new Map<string, PaymentRecord>();
  readonly #receipts = new Set<string>();

  constructor(
    private readonly repository: ReservationRepository,
    private readonly outbox: MemoryNotificationOutbox,
  ) {}

  async recordPayment(record: PaymentRecord): Promise<{ record: PaymentRecord; created: boolean }> {
    const earlier = this.#payments.get(record.reservationId);
    if (earlier) return { record: { ...earlier }, created: false };
    this.#payments.set(record.reservationId, { ...record });
    await this.repository.transition({
      reservationId: record.reservationId,
      from: ['REQUESTED'],
      to: 'PAYMENT_PENDING',
      now: record.createdAt,
    });
    return { record: { ...record }, created: true };
  }

  async payment(reservationId: string): Promise<PaymentRecord | null> {
    const record = this.#payments.get(reservationId);
    return record ? { ...record } : null;
  }

  async updatePayment(input: {
    reservationId: string;
    from: PaymentRecordStatus[];
    to: PaymentRecordStatus;
    lastFailureCode?: string | null;
    now: number;
  }): Promise<boolean> {
    const record = this.#payments.get(input.reservationId);
    if (!record || !input.from.includes(record.status)) return false;
    record.status = input.to;
    if (input.lastFailureCode !== undefined) record.lastFailureCode = input.lastFailureCode;
    record.updatedAt = input.now;
    return true;
  }

  async settle(input: ReservationStatusChange & { notification: Notification | null }): Promise<boolean> {
    const { notification, ...transition } = input;
    const moved = await this.repository.transition(transition);
    if (moved && notification) await this.outbox.enqueue(notification);
    return moved;
  }

  async hasReceipt(provider: string, eventId: string): Promise<boolean> {
    return this.#receipts.has(`${provider}\u0000${eventId}`);
  }

  async recordReceipt(input: { provider: string; eventId: string }): Promise<void> {
    this.#receipts.add(`${input.provider}\u0000${input.eventId}`);
  }
}

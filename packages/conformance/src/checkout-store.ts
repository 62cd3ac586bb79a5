import type {
  CheckoutStore,
  Notification,
  NotificationOutbox,
  PaymentRecord,
  ReservationRepository,
  SaleDefinition,
} from '@seatrush/core';
import { expect } from 'vitest';
import { freshId, generalSaleDefinition, startOfTest } from './fixtures';
import { type Check, type Factory, registerChecks } from './harness';

/**
 * The ports `describeCheckoutStore` tests: the checkout's store, the outbox its `settle` writes
 * to, and the repository that holds the reservations (the same source of truth).
 */
export interface CheckoutStoreSubject {
  store: CheckoutStore;
  outbox: NotificationOutbox;
  repository: ReservationRepository;
}

type Subject = CheckoutStoreSubject;

/** A sale with `count` reservations recorded REQUESTED (held, awaiting payment). */
async function reservations(subject: Subject, count: number) {
  const saleId = freshId('co');
  const now = startOfTest();
  await subject.repository.saveSale(generalSaleDefinition(saleId, { capacity: 50 }) as SaleDefinition);
  const ids = Array.from({ length: count }, () => freshId('r'));
  await subject.repository.insertMany(
    ids.map((reservationId, i) => ({
      reservationId,
      saleId,
      userId: `u${i}`,
      idempotencyKey: `k-${reservationId}`,
      quantity: 1,
      seatIds: [],
      amountCents: 5_000,
      status: 'REQUESTED' as const,
      paymentId: null,
      failureReason: null,
      createdAt: now,
      updatedAt: now,
    })),
  );
  return { saleId, ids, now };
}

function payment(
  saleId: string,
  reservationId: string,
  now: number,
  paymentId = freshId('pi'),
): PaymentRecord {
  return {
    reservationId,
    saleId,
    userId: 'u0',
    provider: 'simulator',
    paymentId,
    amountCents: 5_000,
    currency: 'eur',
    status: 'PENDING',
    clientSecret: `${paymentId}_secret`,
    lastFailureCode: null,
    createdAt: now,
    updatedAt: now,
  };
}

function notification(
  reservationId: string,
  saleId: string,
  createdAt: number,
  kind: Notification['kind'] = 'RESERVATION_CONFIRMED',
): Notification {
  return {
    notificationId: `${kind === 'RESERVATION_CONFIRMED' ? 'confirmed' : 'failed'}-${reservationId}`,
    kind,
    saleId,
    userId: 'u0',
    reservationId,
    data: { amountCents: 5_000, seatIds: ['A1'], note: 'ünïcode' },
    createdAt,
  };
}

/** Every check of `describeCheckoutStore`. */
export const checkoutStoreChecks: readonly Check<Subject>[] = [
  {
    category: 'behaviour',
    name: 'records one payment per reservation and moves the reservation to PAYMENT_PENDING with it',
    async run(subject) {
      const { saleId, ids, now } = await reservations(subject, 1);
      const first = payment(saleId, ids[0]!, now);
      expect(await subject.store.recordPayment(first)).toEqual({ record: first, created: true });
      expect(await subject.repository.get(ids[0]!)).toMatchObject({ status: 'PAYMENT_PENDING' });
      const second = payment(saleId, ids[0]!, now + 5);
      expect(await subject.store.recordPayment(second)).toEqual({ record: first, created: false });
      expect(await subject.store.payment(ids[0]!)).toEqual(first);
      expect(await subject.store.payment(freshId('none'))).toBeNull();
    },
  },
  {
    category: 'behaviour',
    name: 'moves a payment only from the given statuses, and writes the failure code when given',
    async run(subject) {
      const { saleId, ids, now } = await reservations(subject, 1);
      const id = ids[0]!;
      await subject.store.recordPayment(payment(saleId, id, now));
      expect(
        await subject.store.updatePayment({
          reservationId: id,
          from: ['PENDING'],
          to: 'PENDING',
          lastFailureCode: 'card_declined',
          now: now + 1,
        }),
      ).toBe(true);
      expect(await subject.store.payment(id)).toMatchObject({
        status: 'PENDING',
        lastFailureCode: 'card_declined',
        updatedAt: now + 1,
      });
      expect(
        await subject.store.updatePayment({
          reservationId: id,
          from: ['PENDING'],
          to: 'SUCCEEDED',
          now: now + 2,
        }),
      ).toBe(true);
      expect(
        await subject.store.updatePayment({
          reservationId: id,
          from: ['PENDING'],
          to: 'VOIDED',
          now: now + 3,
        }),
      ).toBe(false);
      expect(await subject.store.payment(id)).toMatchObject({
        status: 'SUCCEEDED',
        lastFailureCode: 'card_declined',
      });
    },
  },
  {
    category: 'behaviour',
    name: 'settles a reservation and writes its notification together, once',
    async run(subject) {
      const { saleId, ids, now } = await reservations(subject, 1);
      const id = ids[0]!;
      const note = notification(id, saleId, now);
      const settle = {
        reservationId: id,
        from: ['REQUESTED' as const, 'PAYMENT_PENDING' as const],
        to: 'CONFIRMED' as const,
        paymentId: 'pi_1',
        now: now + 1,
        notification: note,
      };
      expect(await subject.store.settle(settle)).toBe(true);
      expect(await subject.repository.get(id)).toMatchObject({ status: 'CONFIRMED', paymentId: 'pi_1' });
      expect(await subject.outbox.notification(note.notificationId)).toMatchObject({
        ...note,
        status: 'PENDING',
        attempts: 0,
      });
      expect(await subject.store.settle(settle)).toBe(false);
      const claimed = await subject.outbox.claim({ now: now + 10, limit: 10, leaseMs: 1_000 });
      expect(claimed.filter((n) => n.reservationId === id)).toHaveLength(1);
    },
  },
  {
    category: 'behaviour',
    name: 'writes no notification when the reservation does not move',
    async run(subject) {
      const { saleId, ids, now } = await reservations(subject, 1);
      const id = ids[0]!;
      const note = notification(id, saleId, now, 'RESERVATION_FAILED');
      expect(
        await subject.store.settle({
          reservationId: id,
          from: ['PAYMENT_PENDING'],
          to: 'FAILED',
          failureReason: 'HOLD_EXPIRED',
          now,
          notification: note,
        }),
      ).toBe(false);
      expect(await subject.outbox.notification(note.notificationId)).toBeNull();
      expect(await subject.repository.get(id)).toMatchObject({ status: 'REQUESTED', failureReason: null });
    },
  },
  {
    category: 'behaviour',
    name: 'keeps webhook receipts per provider, idempotently',
    async run({ store }) {
      const eventId = freshId('evt');
      expect(await store.hasReceipt('simulator', eventId)).toBe(false);
      const receipt = {
        provider: 'simulator',
        eventId,
        type: 'PAYMENT_SUCCEEDED',
        paymentId: 'pi_1',
        receivedAt: startOfTest(),
      };
      await store.recordReceipt(receipt);
      await store.recordReceipt(receipt);
      expect(await store.hasReceipt('simulator', eventId)).toBe(true);
      expect(await store.hasReceipt('stripe', eventId)).toBe(false);
    },
  },
  {
    category: 'behaviour',
    name: 'outbox: enqueues once per id, claims due ones oldest first, sends once, retries a failure later',
    async run({ outbox }) {
      const now = startOfTest() + 1_000_000; // after anything other checks left due
      const a = { ...notification(freshId('a'), 's', now), notificationId: freshId('n-a') };
      const b = { ...notification(freshId('b'), 's', now + 1), notificationId: freshId('n-b') };
      expect(await outbox.enqueue(b)).toBe(true);
      expect(await outbox.enqueue(a)).toBe(true);
      expect(await outbox.enqueue(a)).toBe(false);
      const mine = (list: { notificationId: string }[]) =>
        list.map((n) => n.notificationId).filter((id) => id === a.notificationId || id === b.notificationId);
      expect(mine(await outbox.claim({ now: now + 1, limit: 1_000, leaseMs: 5_000 }))).toEqual([
        a.notificationId,
        b.notificationId,
      ]);
      expect(mine(await outbox.claim({ now: now + 2, limit: 1_000, leaseMs: 5_000 }))).toEqual([]);
      await outbox.markSent({ notificationId: a.notificationId, now: now + 3 });
      await outbox.markFailed({
        notificationId: b.notificationId,
        retryAt: now + 10_000,
        error: 'smtp down',
      });
      expect(mine(await outbox.claim({ now: now + 9_999, limit: 1_000, leaseMs: 5_000 }))).toEqual([]);
      const again = await outbox.claim({ now: now + 10_000, limit: 1_000, leaseMs: 5_000 });
      expect(again.filter((n) => n.notificationId === b.notificationId)).toEqual([
        expect.objectContaining({ attempts: 1 }),
      ]);
      expect(await outbox.notification(a.notificationId)).toMatchObject({
        status: 'SENT',
        sentAt: now + 3,
        attempts: 1,
      });
      expect(await outbox.notification(b.notificationId)).toMatchObject({
        status: 'PENDING',
        lastError: 'smtp down',
      });
    },
  },
  {
    category: 'concurrency',
    name: 'of racing payments for one reservation, exactly one is recorded and all answer it',
    async run(subject) {
      const { saleId, ids, now } = await reservations(subject, 1);
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) => subject.store.recordPayment(payment(saleId, ids[0]!, now + i))),
      );
      expect(answers.filter((a) => a.created)).toHaveLength(1);
      const winner = answers.find((a) => a.created)!.record.paymentId;
      expect(answers.every((a) => a.record.paymentId === winner)).toBe(true);
    },
  },
  {
    category: 'concurrency',
    name: 'of a racing confirm and fail, exactly one settles and exactly one notification is written',
    async run(subject) {
      const { saleId, ids, now } = await reservations(subject, 20);
      const results = await Promise.all(
        ids.flatMap((id) => [
          subject.store.settle({
            reservationId: id,
            from: ['REQUESTED', 'PAYMENT_PENDING'],
            to: 'CONFIRMED',
            paymentId: `pi-${id}`,
            now,
            notification: notification(id, saleId, now),
          }),
          subject.store.settle({
            reservationId: id,
            from: ['REQUESTED', 'PAYMENT_PENDING'],
            to: 'FAILED',
            failureReason: 'HOLD_EXPIRED',
            now,
            notification: notification(id, saleId, now, 'RESERVATION_FAILED'),
          }),
        ]),
      );
      for (const [i, id] of ids.entries()) {
        const [confirmed, failed] = [results[2 * i], results[2 * i + 1]];
        expect(confirmed !== failed).toBe(true);
        const row = await subject.repository.get(id);
        expect(row?.status).toBe(confirmed ? 'CONFIRMED' : 'FAILED');
        const notes = await Promise.all(
          [`confirmed-${id}`, `failed-${id}`].map((n) => subject.outbox.notification(n)),
        );
        expect(notes.filter((n) => n !== null).map((n) => n!.kind)).toEqual([
          confirmed ? 'RESERVATION_CONFIRMED' : 'RESERVATION_FAILED',
        ]);
      }
    },
  },
  {
    category: 'concurrency',
    name: 'relays claiming at once never get the same notification',
    async run({ outbox }) {
      const now = startOfTest() + 2_000_000;
      const ids = Array.from({ length: 40 }, () => freshId('n'));
      for (const id of ids) await outbox.enqueue({ ...notification(id, 's', now), notificationId: id });
      const claims = await Promise.all(
        Array.from({ length: 6 }, () => outbox.claim({ now, limit: 10, leaseMs: 60_000 })),
      );
      const mine = claims
        .flat()
        .map((n) => n.notificationId)
        .filter((id) => ids.includes(id));
      expect(new Set(mine).size).toBe(mine.length);
    },
  },
];

/**
 * The conformance suite of a `CheckoutStore` with its `NotificationOutbox`: one payment per
 * reservation, guarded steps, a final step and its notification written together, receipts, and
 * the outbox's leases under concurrency.
 */
export function describeCheckoutStore(name: string, factory: Factory<Subject>): void {
  registerChecks(`CheckoutStore conformance: ${name}`, factory, checkoutStoreChecks);
}

import type { HoldRecord, ReservationRow } from '@seatrush/core';
import { describe, expect, it } from 'vitest';
import { reservationView } from '../src/views';

// moved from the example app with the reservation routes: the view is the package's
describe('the reservation view', () => {
  // one reservation: the store's hold and the source of truth's row of it
  const reserved = {
    reservationId: 'r1',
    saleId: 's1',
    userId: 'u1',
    idempotencyKey: 'k1',
    quantity: 1,
    seatIds: ['A1'],
  };
  const hold: HoldRecord = {
    ...reserved,
    status: 'HELD',
    heldAt: 1,
    expiresAt: 2,
  };
  const row = (status: ReservationRow['status'], extra: Partial<ReservationRow> = {}): ReservationRow => ({
    ...reserved,
    amountCents: 500,
    status,
    paymentId: null,
    failureReason: null,
    createdAt: 1,
    updatedAt: 1,
    ...extra,
  });

  it('follows the worker while the hold is live, and trusts the source of truth once it is final', () => {
    expect(reservationView(hold, null)).toMatchObject({ status: 'HELD', processing: 'REQUESTED' });
    expect(reservationView(hold, row('PAYMENT_PENDING'))).toMatchObject({
      status: 'HELD',
      processing: 'PAYMENT_PENDING',
    });
    expect(
      reservationView({ ...hold, status: 'CONFIRMED' }, row('CONFIRMED', { paymentId: 'p1' })),
    ).toMatchObject({
      status: 'CONFIRMED',
      paymentId: 'p1',
      amountCents: 500,
    });
    expect(
      reservationView(
        { ...hold, status: 'COMPENSATED' },
        row('FAILED', { failureReason: 'PAYMENT_DECLINED' }),
      ),
    ).toMatchObject({
      status: 'FAILED',
      reason: 'PAYMENT_DECLINED',
    });
    expect(reservationView({ ...hold, status: 'EXPIRED' }, null)).toMatchObject({
      status: 'EXPIRED',
      reason: 'HOLD_EXPIRED',
    });
    expect(reservationView({ ...hold, status: 'RELEASED' }, null).status).toBe('RELEASED');
  });
});

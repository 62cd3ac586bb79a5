import type { HoldRecord, ReservationRow } from '@seatrush/core';

/** A reservation as the buyer sees it: the hold (the store) merged with the row (the source of truth). */
export interface ReservationView {
  id: string;
  saleId: string;
  /**
   * HELD: the units are held and the payment is under way; CONFIRMED: paid, the units are the
   * buyer's; FAILED: payment declined or processing failed, the units went back on sale;
   * RELEASED: the buyer gave them back; EXPIRED: the hold ran out first.
   */
  status: 'HELD' | 'CONFIRMED' | 'FAILED' | 'RELEASED' | 'EXPIRED';
  /** Where the worker stands while HELD: REQUESTED (queued), PAYMENT_PENDING (charging). */
  processing: string | null;
  quantity: number;
  seatIds: string[];
  amountCents: number | null;
  heldAt: number;
  expiresAt: number;
  paymentId: string | null;
  reason: string | null;
}

/** Merges a hold and its row into one view. The row wins once it is final (it is the truth). */
export function reservationView(hold: HoldRecord, row: ReservationRow | null): ReservationView {
  const base = {
    id: hold.reservationId,
    saleId: hold.saleId,
    quantity: hold.quantity,
    seatIds: hold.seatIds,
    amountCents: row?.amountCents ?? null,
    heldAt: hold.heldAt,
    expiresAt: hold.expiresAt,
    paymentId: row?.paymentId ?? null,
    reason: row?.failureReason ?? null,
    processing: null,
  };
  if (row?.status === 'CONFIRMED') return { ...base, status: 'CONFIRMED' };
  if (row?.status === 'FAILED' || row?.status === 'COMPENSATED') return { ...base, status: 'FAILED' };
  switch (hold.status) {
    case 'CONFIRMED':
      return { ...base, status: 'CONFIRMED' };
    case 'RELEASED':
      return { ...base, status: 'RELEASED' };
    case 'EXPIRED':
      return { ...base, status: 'EXPIRED', reason: base.reason ?? 'HOLD_EXPIRED' };
    case 'COMPENSATED':
      return { ...base, status: 'FAILED', reason: base.reason ?? 'COMPENSATED' };
    default:
      return { ...base, status: 'HELD', processing: row?.status ?? 'REQUESTED' };
  }
}

import type { HoldRecord, ReservationRow, RuntimeSale, SaleDefinition, WaitingStatus } from '@seatrush/core';

/** A reservation as the buyer sees it: the hold (the store) merged with the row (the source of truth). */
export interface ReservationView {
  id: string;
  saleId: string;
  /** HELD (paying), CONFIRMED (paid), FAILED, RELEASED (given back) or EXPIRED. */
  status: 'HELD' | 'CONFIRMED' | 'FAILED' | 'RELEASED' | 'EXPIRED';
  /** Where the worker stands while HELD (REQUESTED, PAYMENT_PENDING, …). */
  processing: string | null;
  quantity: number;
  seatIds: string[];
  amountCents: number | null;
  heldAt: number;
  expiresAt: number;
  paymentId: string | null;
  reason: string | null;
}

/** Merges a hold and its row. The row wins once it is final (it is the truth). */
export function reservationView(
  hold: HoldRecord,
  row: ReservationRow | null,
  amountCents?: number,
): ReservationView {
  const base = {
    id: hold.reservationId,
    saleId: hold.saleId,
    quantity: hold.quantity,
    seatIds: hold.seatIds,
    amountCents: row?.amountCents ?? amountCents ?? null,
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

/** A buyer's place in the waiting room. */
export interface QueueView {
  state: 'WAITING' | 'ADMITTED' | 'PRE_QUEUE';
  lane?: string;
  ticket: number;
  ahead: number;
  servedUpTo: number;
  etaSeconds: number | null;
  saleState: string;
  admissionToken?: string;
  admittedUntil?: number;
  /**
   * While waiting in the normal line: a signed pass to the buyer's ticket. Keep the latest and
   * send it back with a rejoin (`{ queuePass }`): a room that lost its state restores the place.
   */
  queuePass?: string;
  /**
   * When to ask again (ms): a quarter of the wait (30 s when it cannot be told), or until the
   * opening before it, within 1-30 s; null once admitted. Also `Retry-After`.
   */
  refreshMs: number | null;
  /** PRE_QUEUE: the sale's opening (the order is drawn then), for the buyer's countdown. */
  opensAt?: number;
}

function clampRefresh(ms: number): number {
  return Math.min(30_000, Math.max(1_000, Math.ceil(ms)));
}

/** The view of a status the SDK built (trusted as built: nothing is validated again). */
export function queueView(sale: RuntimeSale, status: WaitingStatus, now: number): QueueView {
  const preQueue = status.lane === 'pre-queue' && now < sale.sale.opensAt;
  const admitted = status.state === 'ADMITTED';
  const etaMs = admitted ? 0 : status.estimate.etaMs;
  // as the SDK's waitingRoomAnswer says it: a quarter of the ETA (30 s when it cannot be told), or
  // until the opening for a pre-queued buyer, within 1-30 s
  const refreshMs = admitted
    ? null
    : clampRefresh(preQueue ? sale.sale.opensAt - now : etaMs === null ? 30_000 : etaMs / 4);
  const view: QueueView = {
    state: admitted ? 'ADMITTED' : preQueue ? 'PRE_QUEUE' : 'WAITING',
    ticket: status.ticket,
    ahead: status.ahead,
    servedUpTo: status.servedUpTo,
    etaSeconds: etaMs === null ? null : Math.ceil(etaMs / 1_000),
    saleState: sale.state,
    refreshMs,
  };
  if (preQueue) view.opensAt = sale.sale.opensAt;
  if (status.lane) view.lane = status.lane;
  if (status.admissionToken) view.admissionToken = status.admissionToken;
  if (status.admittedUntil !== undefined) view.admittedUntil = status.admittedUntil;
  if (status.queuePass) view.queuePass = status.queuePass;
  return view;
}

/** What a client needs to draw a sale (static for the sale's life). */
export function saleInfo(sale: SaleDefinition) {
  return {
    id: sale.id,
    name: sale.name,
    kind: sale.inventory.kind,
    /** General admission's one tier; null for a seated sale (each seat has its own). */
    tier: sale.inventory.kind === 'general' ? sale.inventory.tier : null,
    tiers: sale.tiers,
    holdMs: sale.holdMs,
    ticketsPerUser: sale.limits.ticketsPerUser,
    opensAt: sale.opensAt,
    sections:
      sale.inventory.kind === 'assigned'
        ? sale.inventory.sections.map((s) => ({
            id: s.id,
            name: s.name,
            rows: s.rows.map((r) => ({
              id: r.id,
              seats: r.seats.map((x) => ({ id: x.id, label: x.label, tier: x.tier })),
            })),
          }))
        : [],
  };
}

import type {
  HoldStatus,
  InventorySnapshot,
  ReserveRefusal,
  ReserveRequest,
  SeatState,
} from '@seatrush/core';

/** A hold as the reference model keeps it. */
export interface ModelHold {
  reservationId: string;
  userId: string;
  idempotencyKey: string;
  fingerprint: string;
  quantity: number;
  seatIds: string[];
  status: HoldStatus;
  expiresAt: number;
}

/** What the model expects of a reserve: a replay, a new hold, or one of the refusals that apply. */
export type ExpectedReserve =
  | { kind: 'replay'; reservationId: string }
  | { kind: 'hold' }
  | { kind: 'refuse'; codes: Set<ReserveRefusal> };

/** What the model expects of an owner-only change: success, or one of the refusals that apply. */
export type ExpectedChange = { kind: 'ok' } | { kind: 'refuse'; codes: Set<string> };

/**
 * The simplest inventory that could possibly be right: plain maps, no concurrency, no cleverness.
 * The model-based checks run random command sequences against an adapter and this model and
 * require them to agree. Where the port leaves the order of refusals open, the model answers the
 * SET of refusals that apply and any one of them is accepted.
 */
export class InventoryModel {
  readonly initialStock: number;
  available: number;
  held = 0;
  confirmed: number;
  readonly ticketsPerUser: number;
  readonly seats = new Map<string, { state: SeatState; reservationId?: string }>();
  readonly holds = new Map<string, ModelHold>();
  readonly keys = new Map<string, { fingerprint: string; reservationId: string }>();
  readonly units = new Map<string, number>();

  constructor(snapshot: InventorySnapshot) {
    this.initialStock = snapshot.initialStock;
    this.available = snapshot.available;
    this.confirmed = snapshot.initialStock - snapshot.available;
    this.ticketsPerUser = snapshot.ticketsPerUser;
    const sold = new Set(snapshot.confirmedSeatIds);
    for (const id of snapshot.seatIds)
      this.seats.set(id, { state: sold.has(id) ? 'CONFIRMED' : 'AVAILABLE' });
    for (const [user, count] of Object.entries(snapshot.confirmedPerUser)) this.units.set(user, count);
  }

  static fingerprint(request: Pick<ReserveRequest, 'userId' | 'selection'>): string {
    const { selection } = request;
    return selection.kind === 'quantity'
      ? `${request.userId}|q|${selection.quantity}`
      : `${request.userId}|s|${[...selection.seatIds].sort().join(',')}`;
  }

  expectReserve(request: ReserveRequest): ExpectedReserve {
    const prior = this.keys.get(request.idempotencyKey);
    if (prior) {
      if (prior.fingerprint !== InventoryModel.fingerprint(request)) {
        return { kind: 'refuse', codes: new Set(['IDEMPOTENCY_KEY_REUSED']) };
      }
      return { kind: 'replay', reservationId: prior.reservationId };
    }
    const codes = new Set<ReserveRefusal>();
    const assigned = this.seats.size > 0;
    const { selection } = request;
    if (assigned !== (selection.kind === 'seats')) {
      codes.add('WRONG_SELECTION');
      return { kind: 'refuse', codes };
    }
    const seatIds = selection.kind === 'seats' ? selection.seatIds : [];
    const quantity = selection.kind === 'seats' ? seatIds.length : selection.quantity;
    if (seatIds.some((id) => !this.seats.has(id))) codes.add('UNKNOWN_SEAT');
    if ((this.units.get(request.userId) ?? 0) + quantity > this.ticketsPerUser) codes.add('LIMIT_EXCEEDED');
    if (seatIds.some((id) => this.seats.has(id) && this.seats.get(id)?.state !== 'AVAILABLE')) {
      codes.add('SEAT_TAKEN');
    }
    if (this.available < quantity) codes.add('SOLD_OUT');
    return codes.size > 0 ? { kind: 'refuse', codes } : { kind: 'hold' };
  }

  applyHold(request: ReserveRequest): void {
    const seatIds = request.selection.kind === 'seats' ? [...request.selection.seatIds] : [];
    const quantity = request.selection.kind === 'seats' ? seatIds.length : request.selection.quantity;
    this.available -= quantity;
    this.held += quantity;
    for (const id of seatIds) this.seats.set(id, { state: 'HELD', reservationId: request.reservationId });
    this.units.set(request.userId, (this.units.get(request.userId) ?? 0) + quantity);
    const fingerprint = InventoryModel.fingerprint(request);
    this.holds.set(request.reservationId, {
      reservationId: request.reservationId,
      userId: request.userId,
      idempotencyKey: request.idempotencyKey,
      fingerprint,
      quantity,
      seatIds,
      status: 'HELD',
      expiresAt: request.now + request.holdMs,
    });
    this.keys.set(request.idempotencyKey, { fingerprint, reservationId: request.reservationId });
  }

  /** Extend, release and confirm share their refusals. */
  expectOwnerChange(reservationId: string, userId: string, now: number): ExpectedChange {
    const hold = this.holds.get(reservationId);
    if (!hold) return { kind: 'refuse', codes: new Set(['NOT_FOUND']) };
    const live = hold.status === 'HELD' && now < hold.expiresAt;
    if (hold.userId !== userId) {
      return { kind: 'refuse', codes: new Set(live ? ['NOT_OWNER'] : ['NOT_OWNER', 'NOT_HELD', 'EXPIRED']) };
    }
    if (live) return { kind: 'ok' };
    if (hold.status === 'HELD') return { kind: 'refuse', codes: new Set(['EXPIRED']) };
    if (hold.status === 'EXPIRED') return { kind: 'refuse', codes: new Set(['EXPIRED', 'NOT_HELD']) };
    return { kind: 'refuse', codes: new Set(['NOT_HELD']) };
  }

  extend(reservationId: string, expiresAt: number): void {
    const hold = this.#hold(reservationId);
    hold.expiresAt = expiresAt;
  }

  release(reservationId: string): void {
    const hold = this.#hold(reservationId);
    // the key stays spent: a replay answers the released hold
    this.#giveBack(hold, 'RELEASED');
  }

  confirm(reservationId: string): void {
    const hold = this.#hold(reservationId);
    this.held -= hold.quantity;
    this.confirmed += hold.quantity;
    for (const id of hold.seatIds) this.seats.set(id, { state: 'CONFIRMED', reservationId });
    hold.status = 'CONFIRMED';
  }

  /** Returns whether the stock comes back (`restored`). */
  compensate(reservationId: string): boolean {
    const hold = this.#hold(reservationId);
    const restored = hold.status === 'HELD' || hold.status === 'CONFIRMED';
    if (restored) this.#giveBack(hold, 'COMPENSATED');
    // the key stays spent: a replay answers the compensated reservation
    return restored;
  }

  /** The holds `expireDue` may pick at `now`. */
  due(now: number): ModelHold[] {
    return [...this.holds.values()].filter((hold) => hold.status === 'HELD' && hold.expiresAt <= now);
  }

  expire(reservationId: string): void {
    this.#giveBack(this.#hold(reservationId), 'EXPIRED');
  }

  counts(): { available: number; held: number; confirmed: number; initialStock: number } {
    return {
      initialStock: this.initialStock,
      available: this.available,
      held: this.held,
      confirmed: this.confirmed,
    };
  }

  seatStates(): Record<string, SeatState> {
    return Object.fromEntries([...this.seats].map(([id, seat]) => [id, seat.state]));
  }

  #hold(reservationId: string): ModelHold {
    const hold = this.holds.get(reservationId);
    if (!hold) throw new Error(`model has no hold ${reservationId}`);
    return hold;
  }

  #giveBack(hold: ModelHold, status: HoldStatus): void {
    if (hold.status === 'HELD') this.held -= hold.quantity;
    else this.confirmed -= hold.quantity;
    this.available += hold.quantity;
    for (const id of hold.seatIds) this.seats.set(id, { state: 'AVAILABLE' });
    this.units.set(hold.userId, (this.units.get(hold.userId) ?? 0) - hold.quantity);
    hold.status = status;
  }
}

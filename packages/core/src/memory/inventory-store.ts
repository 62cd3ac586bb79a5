import { z } from 'zod';
import { ValidationError, type ValidationIssue } from '../common/errors';
import { EpochMs, ReservationId, SAFE_ID_PATTERN, SaleId, SeatId } from '../common/ids';
import { validate } from '../common/validate';
import { type HoldRequest, newHold } from '../hold/new-hold';
import { type GroupReserveOutcome, GroupReserveRequest, pickGroupSeats } from '../ports/group-reservation';
import {
  type CompensateOutcome,
  type HoldChangeOutcome,
  HoldExtension,
  HoldOwnerChange,
  type HoldRecord,
  type InventoryCounts,
  InventorySnapshot,
  type InventorySteps,
  type InventoryStore,
  type InventoryTruth,
  type ReserveOutcome,
  type ReserveRefusal,
  ReserveRequest,
  type SeatState,
  type UnrelayedHold,
} from '../ports/inventory-store';
import type { WaitingListStore } from '../ports/waiting-list-store';
import type { WaitingRoomStore } from '../ports/waiting-room-store';
import { checkSnapshotRules } from '../stock/snapshot-rules';
import { fastValidate, fastValidateRead } from './fast-validate';
import { reserveFingerprint } from './fingerprint';
import { groupReserveFingerprint } from './group-fingerprint';
import { repairedConfirmed } from './inventory-repair';
import {
  assertReservationIdFree,
  copyHold,
  countsOf,
  giveBack,
  MemoryInventoryState,
  type SaleState,
  type Seat,
  writeHold,
} from './inventory-state';
import { memoryInventorySteps } from './inventory-steps';
import { memoryWaitingListStore } from './waiting-list-store';

const HoldRef = z.object({ saleId: SaleId, reservationId: ReservationId });
const ExpireInput = z.object({ saleId: SaleId, now: EpochMs, limit: z.number().int().positive() });
const Truth = z.object({
  saleId: SaleId,
  confirmedUnits: z.number().int().nonnegative(),
  confirmedSeatIds: z.array(SeatId),
  pendingUnits: z.number().int().nonnegative(),
  pendingSeatIds: z.array(SeatId),
  observedConfirmed: z.number().int().nonnegative().optional(),
  observedConfirmedSeatIds: z.array(SeatId).optional(),
});
const UnrelayedQuery = z.object({
  saleId: SaleId,
  enqueuedUpTo: EpochMs,
  limit: z.number().int().positive().max(10_000),
});
const RelayedInput = z.object({ saleId: SaleId, reservationIds: z.array(ReservationId).max(10_000) });

/**
 * Holds, stock and idempotency in memory: the executable specification of `InventoryStore`.
 *
 * Every mutating method does its checks and changes with no `await` in between, so it is one atomic
 * step under concurrent async callers — the in-process equivalent of the Redis Lua script. The
 * only `await` in `reserve` (the admission read from the waiting room) comes before any check.
 * Invariant, whatever the concurrency: available + held + confirmed == initialStock.
 */
export class MemoryInventoryStore implements InventoryStore {
  /** The state this store's ports share (the steps and the waiting list are over it too). */
  readonly #state: MemoryInventoryState;

  /**
   * @param options.waitingRoom answers the admission check of `reserve` when the request has
   *   `requireAdmission: true`; without one, such requests are refused NOT_ADMITTED.
   */
  constructor(options: { waitingRoom?: WaitingRoomStore } = {}) {
    this.#state = new MemoryInventoryState(options.waitingRoom);
  }

  /** The lock strategy's building blocks over this same state (see `memoryInventorySteps`). */
  steps(): InventorySteps {
    return memoryInventorySteps(this.#state);
  }

  /** The sale's waiting list over this same state (see `memoryWaitingListStore`). */
  waitingList(): WaitingListStore {
    return memoryWaitingListStore(this.#state);
  }

  async load(snapshot: InventorySnapshot): Promise<void> {
    const parsed = validate('inventory snapshot', InventorySnapshot, snapshot);
    checkSnapshotRules(parsed);
    const confirmedSeats = new Set(parsed.confirmedSeatIds);
    const seats = new Map<string, Seat>(
      parsed.seatIds.map((id) => [id, { state: confirmedSeats.has(id) ? 'CONFIRMED' : 'AVAILABLE' }]),
    );
    const restored = parsed.holds ?? [];
    const held = restored.reduce((sum, hold) => sum + hold.quantity, 0);
    const sale: SaleState = {
      initialStock: parsed.initialStock,
      available: parsed.available,
      held,
      // What is not available nor held again is sold or pending in the source of truth: count it
      // confirmed so the invariant holds from the first moment.
      confirmed: parsed.initialStock - parsed.available - held,
      ticketsPerUser: parsed.ticketsPerUser,
      seats,
      holds: new Map(),
      // the snapshot's per-user units count the restored holds already
      unitsPerUser: new Map(Object.entries(parsed.confirmedPerUser).filter(([, units]) => units > 0)),
      outcomes: new Map(),
      highestToken: this.#state.sales.get(parsed.saleId)?.highestToken ?? 0,
    };
    for (const { fingerprint, ...fields } of restored) {
      const hold: HoldRecord = { ...fields, saleId: parsed.saleId, status: 'HELD' };
      for (const id of hold.seatIds) seats.set(id, { state: 'HELD', reservationId: hold.reservationId });
      sale.holds.set(hold.reservationId, hold);
      sale.outcomes.set(hold.idempotencyKey, { fingerprint, reservationId: hold.reservationId });
    }
    this.#state.sales.set(parsed.saleId, sale);
  }

  /** Loads the snapshot only while the sale is not loaded (see `InventoryStore.restore`). */
  async restore(snapshot: InventorySnapshot): Promise<'RESTORED' | 'ALREADY_WARM'> {
    const parsed = validate('inventory snapshot', InventorySnapshot, snapshot);
    // no await between the check and the load: one atomic step, as the Redis adapter's
    if (this.#state.sales.has(parsed.saleId)) return 'ALREADY_WARM';
    await this.load(parsed);
    this.#state.sale(parsed.saleId).rebuilt = true;
    return 'RESTORED';
  }

  async wasRebuilt(saleId: string): Promise<boolean> {
    return this.#state.sales.get(fastValidate('sale id', SaleId, saleId))?.rebuilt === true;
  }

  async isWarm(saleId: string): Promise<boolean> {
    return this.#state.sales.has(fastValidate('sale id', SaleId, saleId));
  }

  async reserve(request: ReserveRequest): Promise<ReserveOutcome> {
    const req = validate('reserve request', ReserveRequest, request);
    if (req.selection.kind === 'seats') {
      const repeated = req.selection.seatIds.filter((id, i, all) => all.indexOf(id) !== i);
      if (repeated.length > 0) {
        throw new ValidationError('reserve request', [
          { path: 'selection.seatIds', message: `seat ids repeat: ${[...new Set(repeated)].join(', ')}` },
        ]);
      }
    }
    const admitted = req.requireAdmission ? await this.#state.isAdmitted(req) : true;
    // From here on no await: the checks and the change are one atomic step.
    const sale = this.#state.sales.get(req.saleId);
    if (!sale) return refuse('SALE_NOT_WARM');
    const fingerprint = reserveFingerprint(req);
    const prior = sale.outcomes.get(req.idempotencyKey);
    if (prior) {
      if (prior.fingerprint !== fingerprint) return refuse('IDEMPOTENCY_KEY_REUSED');
      const hold = sale.holds.get(prior.reservationId);
      if (hold) return { ok: true, code: 'HELD', hold: copyHold(hold), replayed: true };
    }
    if (this.#state.stalled(req)) return refuse('PIPELINE_STALLED');
    if (!admitted) return refuse('NOT_ADMITTED');
    const assigned = sale.seats.size > 0;
    if (assigned !== (req.selection.kind === 'seats')) return refuse('WRONG_SELECTION');
    const seatIds = req.selection.kind === 'seats' ? req.selection.seatIds : [];
    const quantity = req.selection.kind === 'seats' ? seatIds.length : req.selection.quantity;
    const unknown = seatIds.filter((id) => !sale.seats.has(id));
    if (unknown.length > 0) return refuse('UNKNOWN_SEAT', unknown);
    if ((sale.unitsPerUser.get(req.userId) ?? 0) + quantity > sale.ticketsPerUser) {
      return refuse('LIMIT_EXCEEDED');
    }
    const taken = seatIds.filter((id) => sale.seats.get(id)?.state !== 'AVAILABLE');
    if (taken.length > 0) return refuse('SEAT_TAKEN', taken);
    if (sale.available < quantity) return refuse('SOLD_OUT');
    assertReservationIdFree(sale, req.reservationId);

    const hold = this.#hold(sale, req, quantity, [...seatIds], fingerprint);
    return { ok: true, code: 'HELD', hold, replayed: false };
  }

  /**
   * Group allocation: the checks of `reserve` in the same order, then the seats of
   * `pickGroupSeats` (adjacent in one row when some row has them), held at once — or nothing.
   */
  async reserveGroup(request: GroupReserveRequest): Promise<GroupReserveOutcome> {
    const req = validate('group reserve request', GroupReserveRequest, request);
    const admitted = req.requireAdmission ? await this.#state.isAdmitted(req) : true;
    // From here on no await: the checks and the change are one atomic step.
    const sale = this.#state.sales.get(req.saleId);
    if (!sale) return { ok: false, code: 'SALE_NOT_WARM' };
    const fingerprint = groupReserveFingerprint(req);
    const prior = sale.outcomes.get(req.idempotencyKey);
    if (prior) {
      if (prior.fingerprint !== fingerprint) return { ok: false, code: 'IDEMPOTENCY_KEY_REUSED' };
      const hold = sale.holds.get(prior.reservationId);
      if (hold)
        return {
          ok: true,
          code: 'HELD',
          hold: copyHold(hold),
          replayed: true,
          adjacent: isAdjacent(req.rows, hold.seatIds),
        };
    }
    if (this.#state.stalled(req)) return { ok: false, code: 'PIPELINE_STALLED' };
    if (!admitted) return { ok: false, code: 'NOT_ADMITTED' };
    if (sale.seats.size === 0) return { ok: false, code: 'WRONG_SELECTION' };
    const unknown = req.rows.flat().filter((id) => !sale.seats.has(id));
    if (unknown.length > 0) return { ok: false, code: 'UNKNOWN_SEAT', seatIds: unknown };
    if ((sale.unitsPerUser.get(req.userId) ?? 0) + req.size > sale.ticketsPerUser) {
      return { ok: false, code: 'LIMIT_EXCEEDED' };
    }
    const isFree = (id: string) => sale.seats.get(id)?.state === 'AVAILABLE';
    const picked = pickGroupSeats(req.rows, isFree, req.size, req.fallback);
    if (!picked) {
      const free = req.rows.flat().filter(isFree).length;
      return { ok: false, code: free >= req.size ? 'NO_ADJACENT_SEATS' : 'SOLD_OUT' };
    }
    if (sale.available < req.size) return { ok: false, code: 'SOLD_OUT' };
    assertReservationIdFree(sale, req.reservationId);
    const hold = this.#hold(sale, req, req.size, picked.seatIds, fingerprint);
    return { ok: true, code: 'HELD', hold, replayed: false, adjacent: picked.adjacent };
  }

  /**
   * Holds `quantity` units (`seatIds` on a seat map) for the request's buyer until `now + holdMs`:
   * the stock taken, the hold and its outcome written, the hold in the outbox. Answers a copy.
   */
  #hold(
    sale: SaleState,
    req: HoldRequest,
    quantity: number,
    seatIds: string[],
    fingerprint: string,
  ): HoldRecord {
    const hold = newHold(req, quantity, seatIds);
    sale.available -= quantity;
    writeHold(sale, hold, fingerprint);
    this.#state.enqueue(hold.saleId, hold.reservationId, req.now);
    return copyHold(hold);
  }

  async extend(input: HoldExtension): Promise<HoldChangeOutcome> {
    const { saleId, reservationId, userId, holdMs, now } = fastValidate('extend input', HoldExtension, input);
    const found = this.#liveHoldOf(saleId, reservationId, userId, now);
    if (!found.ok) return found;
    found.hold.expiresAt = now + holdMs;
    return { ok: true, hold: copyHold(found.hold) };
  }

  async release(input: HoldOwnerChange): Promise<HoldChangeOutcome> {
    const { saleId, reservationId, userId, now } = fastValidate('release input', HoldOwnerChange, input);
    const found = this.#liveHoldOf(saleId, reservationId, userId, now);
    if (!found.ok) return found;
    // the key's outcome stays: a replay answers the released hold, never a second hold
    giveBack(found.sale, found.hold, 'RELEASED');
    return { ok: true, hold: copyHold(found.hold) };
  }

  async confirm(input: HoldOwnerChange): Promise<HoldChangeOutcome> {
    const { saleId, reservationId, userId, now } = fastValidate('confirm input', HoldOwnerChange, input);
    const found = this.#liveHoldOf(saleId, reservationId, userId, now);
    if (!found.ok) return found;
    const { sale, hold } = found;
    const moved = Math.min(hold.quantity, sale.held);
    sale.held -= moved;
    sale.confirmed += moved;
    for (const id of hold.seatIds) {
      const seat = sale.seats.get(id);
      if (seat?.reservationId === hold.reservationId) seat.state = 'CONFIRMED';
    }
    hold.status = 'CONFIRMED';
    return { ok: true, hold: copyHold(hold) };
  }

  async compensate(input: { saleId: string; reservationId: string }): Promise<CompensateOutcome> {
    const { saleId, reservationId } = fastValidate('compensate input', HoldRef, input);
    const sale = this.#state.sales.get(saleId);
    if (!sale) return { ok: false, code: 'SALE_NOT_WARM' };
    const hold = sale.holds.get(reservationId);
    if (!hold) return { ok: false, code: 'NOT_FOUND' };
    // Only a hold that still has its units gives them back: an expired or released one already did.
    const restored = hold.status === 'HELD' || hold.status === 'CONFIRMED';
    if (restored) giveBack(sale, hold, 'COMPENSATED');
    // the key's outcome stays: a replay answers this reservation, never a second hold
    return { ok: true, restored, hold: copyHold(hold) };
  }

  async expireDue(input: { saleId: string; now: number; limit: number }): Promise<HoldRecord[]> {
    const { saleId, now, limit } = fastValidate('expire input', ExpireInput, input);
    const sale = this.#state.sales.get(saleId);
    if (!sale) return [];
    const due = [...sale.holds.values()]
      .filter((hold) => hold.status === 'HELD' && hold.expiresAt <= now)
      .sort((a, b) => a.expiresAt - b.expiresAt)
      .slice(0, limit);
    for (const hold of due) giveBack(sale, hold, 'EXPIRED');
    return due.map(copyHold);
  }

  async getHold(saleId: string, reservationId: string): Promise<HoldRecord | null> {
    // HoldRef is two safe ids: when both are, its parse is skipped (a checker reads every hold
    // after every step); anything else is parsed, for the same ValidationError
    if (!isSafeId(saleId) || !isSafeId(reservationId))
      fastValidate('hold reference', HoldRef, { saleId, reservationId });
    const hold = this.#state.sales.get(saleId)?.holds.get(reservationId);
    return hold ? copyHold(hold) : null;
  }

  /**
   * The hold as the store keeps it (not a copy, not validated), or undefined: for a checker that
   * reads every hold after every step of a simulation and changes none. Use `getHold` elsewhere;
   * never change what this answers.
   */
  peekHold(saleId: string, reservationId: string): Readonly<HoldRecord> | undefined {
    return this.#state.sales.get(saleId)?.holds.get(reservationId);
  }

  async counts(saleId: string): Promise<InventoryCounts> {
    return countsOf(saleId, this.#state.sale(saleId));
  }

  async seatStates(saleId: string): Promise<Record<string, SeatState>> {
    const sale = this.#state.sale(saleId);
    return Object.fromEntries([...sale.seats].map(([id, seat]) => [id, seat.state]));
  }

  async repair(truth: InventoryTruth): Promise<{ before: InventoryCounts; after: InventoryCounts }> {
    const parsed = validate('inventory truth', Truth, truth);
    const sale = this.#state.sale(parsed.saleId);
    const issues: ValidationIssue[] = (['confirmedSeatIds', 'pendingSeatIds'] as const).flatMap((path) =>
      parsed[path]
        .filter((id) => !sale.seats.has(id))
        .map((id) => ({ path, message: `seat ${id} is not in the seat map` })),
    );
    if (parsed.confirmedUnits > sale.initialStock) {
      issues.push({ path: 'confirmedUnits', message: `more than the initial stock ${sale.initialStock}` });
    }
    if (issues.length > 0) throw new ValidationError('inventory truth', issues);

    const before = countsOf(parsed.saleId, sale);
    const sold = new Set(parsed.confirmedSeatIds);
    const pending = new Set(parsed.pendingSeatIds);
    const freeable = parsed.observedConfirmedSeatIds ? new Set(parsed.observedConfirmedSeatIds) : null;
    for (const [id, seat] of sale.seats) {
      if (sold.has(id)) {
        // a live hold keeps its seat: its buyer was told "held", and the hold's end frees it
        if (seat.state === 'AVAILABLE') sale.seats.set(id, { state: 'CONFIRMED' });
      } else if (seat.state === 'CONFIRMED' && !pending.has(id) && (!freeable || freeable.has(id))) {
        sale.seats.set(id, { state: 'AVAILABLE' });
      }
    }
    let held = 0;
    for (const hold of sale.holds.values()) if (hold.status === 'HELD') held += hold.quantity;
    sale.held = Math.min(held, sale.initialStock);
    sale.confirmed = repairedConfirmed(parsed, sale.confirmed, sale.initialStock - sale.held);
    sale.available = sale.initialStock - sale.confirmed - sale.held;
    return { before, after: countsOf(parsed.saleId, sale) };
  }

  async unrelayed(input: { saleId: string; enqueuedUpTo: number; limit: number }): Promise<UnrelayedHold[]> {
    const { saleId, enqueuedUpTo, limit } = fastValidate('unrelayed query', UnrelayedQuery, input);
    // the relay asks on every tick of every instance, mostly of an empty outbox: no copy of it
    const outbox = this.#state.outboxes.get(saleId);
    if (!outbox || outbox.size === 0) return [];
    const due: Array<[string, number]> = [];
    for (const entry of outbox) if (entry[1] <= enqueuedUpTo) due.push(entry);
    const entries = due.sort(([a, x], [b, y]) => x - y || (a < b ? -1 : 1)).slice(0, limit);
    const holds = this.#state.sales.get(saleId)?.holds;
    return entries.map(([reservationId, enqueuedAt]) => {
      const hold = holds?.get(reservationId);
      return { reservationId, enqueuedAt, hold: hold ? copyHold(hold) : null };
    });
  }

  async markRelayed(input: { saleId: string; reservationIds: string[] }): Promise<void> {
    const { saleId, reservationIds } = fastValidateRead('relayed holds', RelayedInput, input);
    const outbox = this.#state.outboxes.get(saleId);
    for (const id of reservationIds) outbox?.delete(id);
  }

  /** The owner's live hold, or why an owner-only change is refused. */
  #liveHoldOf(
    saleId: string,
    reservationId: string,
    userId: string,
    now: number,
  ):
    | { ok: true; sale: SaleState; hold: HoldRecord }
    | { ok: false; code: 'SALE_NOT_WARM' | 'NOT_FOUND' | 'NOT_OWNER' | 'NOT_HELD' | 'EXPIRED' } {
    const sale = this.#state.sales.get(saleId);
    if (!sale) return { ok: false, code: 'SALE_NOT_WARM' };
    const hold = sale.holds.get(reservationId);
    if (!hold) return { ok: false, code: 'NOT_FOUND' };
    if (hold.userId !== userId) return { ok: false, code: 'NOT_OWNER' };
    if (hold.status === 'EXPIRED') return { ok: false, code: 'EXPIRED' };
    if (hold.status !== 'HELD') return { ok: false, code: 'NOT_HELD' };
    // Past its expiry but not swept yet: expired all the same (the sweeper returns the stock).
    if (hold.expiresAt <= now) return { ok: false, code: 'EXPIRED' };
    return { ok: true, sale, hold };
  }
}

function isSafeId(value: unknown): boolean {
  return typeof value === 'string' && SAFE_ID_PATTERN.test(value);
}

/** Whether `seatIds` sit side by side, in this order, in one of `rows`. */
function isAdjacent(rows: readonly (readonly string[])[], seatIds: readonly string[]): boolean {
  const row = rows.find((r) => r.includes(seatIds[0] ?? ''));
  if (!row) return false;
  const start = row.indexOf(seatIds[0]!);
  return seatIds.every((id, i) => row[start + i] === id);
}

function refuse(code: ReserveRefusal, seatIds?: string[]): ReserveOutcome {
  return seatIds ? { ok: false, code, seatIds } : { ok: false, code };
}

import {
  type HoldRecord,
  IdempotencyKey,
  type InventorySteps,
  type InventoryStore,
  SaleId,
  SeatId,
  type SeatState,
  UnknownSaleError,
  UserId,
  ValidationError,
} from '@seatrush/core';
import { HoldRecord as HoldRecordSchema } from '@seatrush/core/ports';
import { contextOf } from './inventory-context';
import { exec, type StoreContext } from './options';
import { holdFrom, publicHold } from './replies';
import { boundedText, EpochMs, PositiveInt, validateFields } from './validation';

/** A hold written by the lock strategy is new: HELD. */
const NewHold = HoldRecordSchema.refine((hold) => hold.status === 'HELD', 'a new hold has status HELD');

const SEAT_STATE: Record<string, SeatState> = { A: 'AVAILABLE', H: 'HELD', C: 'CONFIRMED' };

/**
 * The lock strategy (docs/design.md §Holds and stock), step by step (check → DECR → SET NX PX),
 * over the same keys as `RedisInventoryStore`. Each step is atomic alone, not with the
 * others: a caller is only correct while it holds the sale's lock. The writes check the lock's
 * fencing token in Lua and refuse one older than the highest seen (`sr:{sale}:fence`), so a holder
 * that paused past its lease cannot write late.
 */
export class RedisInventorySteps implements InventorySteps {
  private readonly context: StoreContext;
  private readonly expiryTimers: boolean;

  /**
   * Steps over the state of `store`, a `RedisInventoryStore` (same client, key prefix and
   * options); a ConfigurationError for any other store.
   */
  constructor(store: InventoryStore) {
    const context = contextOf(store);
    this.context = context;
    this.expiryTimers = context.expiryTimers;
  }

  /** The outcome stored under an idempotency key, with its request fingerprint. */
  async findOutcome(
    saleId: string,
    idempotencyKey: string,
  ): Promise<{ fingerprint: string; hold: HoldRecord } | null> {
    const i = validateFields(
      'findOutcome',
      { saleId: SaleId, idempotencyKey: IdempotencyKey },
      { saleId, idempotencyKey },
    );
    const k = this.context.keys.sale(i.saleId);
    const reservationId = await this.context.redis.hget(k.idempotency, i.idempotencyKey);
    if (!reservationId) return null;
    const fields = await this.context.redis.hgetall(k.hold(reservationId));
    if (!fields.reservationId) return null;
    const hold = holdFrom(fields);
    return { fingerprint: hold.fingerprint, hold: publicHold(hold) };
  }

  /** Units the user holds or has confirmed in this sale. */
  async unitsOfUser(saleId: string, userId: string): Promise<number> {
    const i = validateFields('unitsOfUser', { saleId: SaleId, userId: UserId }, { saleId, userId });
    return Number((await this.context.redis.hget(this.context.keys.sale(i.saleId).users, i.userId)) ?? 0);
  }

  /** Per seat: its state, or undefined when it is not in the seat map. */
  async seatStatesOf(saleId: string, seatIds: string[]): Promise<Array<SeatState | undefined>> {
    const i = validateFields(
      'seatStatesOf',
      { saleId: SaleId, seatIds: SeatId.array() },
      { saleId, seatIds },
    );
    const k = this.context.keys.sale(i.saleId);
    const tx = this.context.redis.multi().hget(k.meta, 'warm');
    if (i.seatIds.length > 0) tx.hmget(k.seats, ...i.seatIds);
    const [warm, states] = await exec(tx, 'seatStatesOf');
    if (warm !== '1') throw new UnknownSaleError(i.saleId);
    return ((states ?? []) as Array<string | null>).map((s) => (s === null ? undefined : SEAT_STATE[s]));
  }

  /** DECRBY guarded by the fencing token; a decrement below zero is put back. */
  async takeStock(
    saleId: string,
    quantity: number,
    fencingToken: number,
  ): Promise<'TAKEN' | 'SOLD_OUT' | 'STALE_TOKEN'> {
    const i = validateFields(
      'takeStock',
      { saleId: SaleId, quantity: PositiveInt, fencingToken: EpochMs },
      { saleId, quantity, fencingToken },
    );
    const k = this.context.keys.sale(i.saleId);
    const answer = await this.context.scripts.run(
      'take-stock',
      [k.stock, k.fence, k.meta],
      [i.quantity, i.fencingToken],
    );
    if (answer === 'UNKNOWN_SALE') throw new UnknownSaleError(i.saleId);
    return answer as 'TAKEN' | 'SOLD_OUT' | 'STALE_TOKEN';
  }

  /** INCRBY: gives units back after a later step failed, never past initial − held − confirmed. */
  async returnStock(saleId: string, quantity: number): Promise<void> {
    const i = validateFields('returnStock', { saleId: SaleId, quantity: PositiveInt }, { saleId, quantity });
    const k = this.context.keys.sale(i.saleId);
    if ((await this.context.scripts.run('return-stock', [k.stock, k.meta], [i.quantity])) === -1) {
      throw new UnknownSaleError(i.saleId);
    }
  }

  /** Writes the hold (seats, record, expiry entry, user count, idempotency outcome), fenced. */
  async writeHold(
    hold: HoldRecord,
    fingerprint: string,
    fencingToken: number,
  ): Promise<'HELD' | 'SEAT_TAKEN' | 'STALE_TOKEN'> {
    const i = validateFields(
      'hold write',
      { hold: NewHold, fingerprint: boundedText('fingerprint', 1024), fencingToken: EpochMs },
      { hold, fingerprint, fencingToken },
    );
    const h = i.hold;
    const k = this.context.keys.sale(h.saleId);
    const answer = await this.context.scripts.run(
      'write-hold',
      [
        k.meta,
        k.seats,
        k.users,
        k.idempotency,
        k.expiry,
        k.hold(h.reservationId),
        k.holdTimer(h.reservationId),
        k.fence,
        k.outbox,
      ],
      [
        h.reservationId,
        h.saleId,
        h.userId,
        h.idempotencyKey,
        h.quantity,
        i.fingerprint,
        h.heldAt,
        h.expiresAt,
        i.fencingToken,
        this.context.retentionMs,
        this.expiryTimers ? '1' : '0',
        ...h.seatIds,
      ],
    );
    if (answer === 'UNKNOWN_SALE') throw new UnknownSaleError(h.saleId);
    if (answer === 'RESERVATION_EXISTS') {
      throw new ValidationError('hold write', [
        { path: 'hold.reservationId', message: `reservation ${h.reservationId} already exists` },
      ]);
    }
    return answer as 'HELD' | 'SEAT_TAKEN' | 'STALE_TOKEN';
  }

  /** Whether the sale is loaded. */
  async isWarm(saleId: string): Promise<boolean> {
    const i = validateFields('isWarm', { saleId: SaleId }, { saleId });
    return (await this.context.redis.hget(this.context.keys.sale(i.saleId).meta, 'warm')) === '1';
  }
}

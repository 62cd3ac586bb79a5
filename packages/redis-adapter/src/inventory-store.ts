import { randomBytes } from 'node:crypto';
import {
  type CompensateOutcome,
  type GroupReserveOutcome,
  type GroupReserveRefusal,
  type HoldChangeOutcome,
  type HoldExtension,
  type HoldOwnerChange,
  type HoldRecord,
  InfrastructureError,
  type InventoryCounts,
  type InventoryStore,
  type InventoryTruth,
  ReservationId,
  type ReserveOutcome,
  type ReserveRefusal,
  SAFE_ID_PATTERN,
  SaleId,
  SeatId,
  type SeatState,
  UnknownSaleError,
  type UnrelayedHold,
  UserId,
  ValidationError,
} from '@seatrush/core';
import {
  checkSnapshotRules,
  EpochMs,
  GroupReserveRequest,
  groupReserveFingerprint,
  InventorySnapshot,
  ReserveRequest,
  reserveFingerprint,
  validate,
} from '@seatrush/core/ports';
import { type HoldCall, holdArgs, newHold, replayedHold } from './hold-calls';
import {
  attachContext,
  type InventoryContext,
  inventoryContext,
  type RedisInventoryStoreOptions,
} from './inventory-context';
import { RedisInventorySteps } from './inventory-steps';
import type { SaleKeys } from './keys';
import { exec } from './options';
import { asList, holdFrom, pairs, publicHold } from './replies';
import type { RedisClient } from './scripts';
import { anything, Count, optional, PositiveInt, validateFields } from './validation';
import { RedisWaitingListStore } from './waiting-list-store';

export type { RedisInventoryStoreOptions } from './inventory-context';

const SEAT_STATE: Record<string, SeatState> = { A: 'AVAILABLE', H: 'HELD', C: 'CONFIRMED' };
const SEAT_CHUNK = 1_000;
/** How long a rebuild's claim lives at most (a crashed rebuilder's claim frees itself). */
const RESTORE_CLAIM_MS = 30_000;

/**
 * The hot path on Redis: holds, stock and idempotency of every sale, each operation ONE Lua script
 * (one round trip, atomic, no lock). Every key of a sale carries its hash tag, so it runs
 * unchanged on a single node, behind Sentinel and on Redis Cluster.
 *
 * Invariant, whatever the concurrency: available + held + confirmed == initialStock.
 */
export class RedisInventoryStore implements InventoryStore {
  /** The client, scripts, key space and options, shared with the steps and the waiting list. */
  private readonly context: InventoryContext;
  private readonly expiryTimers: boolean;
  /** Outbox entries marked relayed and not yet sent, per sale: one ZREM for them all. */
  private readonly relayedBatches = new Map<string, { ids: string[]; sent?: Promise<unknown> }>();

  constructor(redis: RedisClient, options: RedisInventoryStoreOptions = {}) {
    this.context = inventoryContext(redis, options);
    this.expiryTimers = this.context.expiryTimers;
    attachContext(this, this.context);
  }

  /** The lock strategy's building blocks over this store's state. */
  steps(): RedisInventorySteps {
    return new RedisInventorySteps(this);
  }

  /** The sale's waiting list over this store's keys (offers hold freed units atomically). */
  waitingList(): RedisWaitingListStore {
    return new RedisWaitingListStore(this);
  }

  private keys(saleId: string): SaleKeys {
    return this.context.keys.sale(saleId);
  }

  /**
   * Writes a sale's snapshot in one MULTI/EXEC (the sale's old keys are replaced; `warm` is
   * written last, in the same transaction), then reads it back and verifies it.
   * @param mark `{ rebuilt: true }` (internal: the striped store's rebuild of each stripe) also
   *   marks the load a rebuild ({@link wasRebuilt}), in the same transaction.
   */
  async load(snapshot: InventorySnapshot, mark: { rebuilt?: boolean } = {}): Promise<void> {
    const s = validate('inventory snapshot', InventorySnapshot, snapshot);
    checkSnapshotRules(s);
    const tx = this.context.redis.multi();
    this.writeSnapshot(tx, s);
    if (mark.rebuilt === true) tx.hset(this.keys(s.saleId).meta, 'rebuilt', 1);
    await exec(tx, 'load');
    await this.verifyLoad(s);
  }

  /**
   * The rebuild's load: writes the snapshot (its holds in flight among them) only while the sale
   * is not warm. A short claim (`…:rebuild`, SET NX PX) lets one caller at a time check and load,
   * and the check is made again under the claim, so instances racing to rebuild a wiped sale load
   * it once and none overwrites a store that serves again. The claim is gone afterwards: the sale
   * has only the keys a warm-up writes.
   */
  async restore(snapshot: InventorySnapshot): Promise<'RESTORED' | 'ALREADY_WARM'> {
    const s = validate('inventory snapshot', InventorySnapshot, snapshot);
    checkSnapshotRules(s);
    const k = this.keys(s.saleId);
    const { redis } = this.context;
    const claim = `${k.base}rebuild`;
    const token = `${process.pid}:${Math.random().toString(36).slice(2)}`;
    // a claim outlives no crash by more than its PX; a loser answers ALREADY_WARM only once the
    // winner made the sale warm, so it waits for the claim to go first
    for (let attempt = 0; ; attempt++) {
      if ((await redis.hget(k.meta, 'warm')) === '1') return 'ALREADY_WARM';
      if ((await redis.set(claim, token, 'PX', RESTORE_CLAIM_MS, 'NX')) === 'OK') break;
      if (attempt >= RESTORE_CLAIM_MS / 50) {
        throw new InfrastructureError(`the rebuild of sale ${s.saleId} is claimed by another caller`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    try {
      if ((await redis.hget(k.meta, 'warm')) === '1') return 'ALREADY_WARM';
      const tx = redis.multi();
      this.writeSnapshot(tx, s);
      // the mark of a rebuild (InventoryStore.wasRebuilt), in the same transaction as the load
      tx.hset(k.meta, 'rebuilt', 1);
      // read back in the same transaction: once warm, buyers' reserves change what a later read sees
      tx.hmget(k.meta, 'initialStock', 'held');
      tx.get(k.stock);
      tx.hlen(k.seats);
      const results = await exec(tx, 'restore');
      const [[initialStock, held], stock, seats] = results.slice(-3) as [[string, string], string, number];
      const written = (s.holds ?? []).reduce((sum, hold) => sum + hold.quantity, 0);
      if (
        Number(initialStock) !== s.initialStock ||
        Number(held) !== written ||
        Number(stock) !== s.available ||
        seats !== s.seatIds.length
      ) {
        throw new InfrastructureError(
          `the rebuild of sale ${s.saleId} did not verify: ${JSON.stringify({ initialStock, held, stock, seats })}`,
        );
      }
      return 'RESTORED';
    } finally {
      if ((await redis.get(claim)) === token) await redis.del(claim);
    }
  }

  /**
   * Queues a snapshot's writes on `tx` (the sale's old keys are replaced; `warm` is written last,
   * in the same transaction). Restored holds are written as reserve.lua writes holds, without a
   * TTL (every HELD hold ends through expiry, release, confirm or compensation, which set one) and
   * without an outbox entry (their rows are in the source of truth already).
   *
   * Every load names itself with a fresh `gen` in the meta, and every hold record carries the
   * `gen` of the load it was made under. A hold record of another load is no hold of this sale:
   * a partial, non-atomic loss of the sale's keys (a SCAN-then-DEL, a failover that kept some
   * keys) can leave records the new counters never counted, and confirming one drove `held` below
   * zero. The scripts answer such a live orphan (HELD, CONFIRMED) NOT_FOUND, and a reserve with its
   * reservation id (the worker holding it again from its event) replaces it. An ended record
   * (RELEASED, EXPIRED, COMPENSATED) counts nowhere whatever its load, so it keeps answering how the
   * hold ended: the tombstone that keeps the worker from holding a released hold again.
   */
  private writeSnapshot(tx: ReturnType<RedisClient['multi']>, s: InventorySnapshot): void {
    const k = this.keys(s.saleId);
    const holds = s.holds ?? [];
    const held = holds.reduce((sum, hold) => sum + hold.quantity, 0);
    // the fence survives a reload: a lock holder from before must stay refused
    tx.del(k.meta, k.stock, k.seats, k.users, k.idempotency, k.expiry);
    const gen = randomBytes(8).toString('hex');
    tx.hset(k.meta, {
      gen,
      initialStock: s.initialStock,
      ticketsPerUser: s.ticketsPerUser,
      kind: s.seatIds.length > 0 ? 'assigned' : 'general',
      held,
      confirmed: s.initialStock - s.available - held,
      warm: 0,
    });
    const sold = new Set(s.confirmedSeatIds);
    const onHold = new Set(holds.flatMap((hold) => hold.seatIds));
    for (let i = 0; i < s.seatIds.length; i += SEAT_CHUNK) {
      const chunk: Record<string, string> = {};
      for (const seatId of s.seatIds.slice(i, i + SEAT_CHUNK)) {
        chunk[seatId] = sold.has(seatId) ? 'C' : onHold.has(seatId) ? 'H' : 'A';
      }
      tx.hset(k.seats, chunk);
    }
    // the snapshot's per-user units count the holds in flight already
    const perUser = Object.entries(s.confirmedPerUser).filter(([, units]) => units > 0);
    if (perUser.length > 0) tx.hset(k.users, Object.fromEntries(perUser));
    for (const hold of holds) {
      const key = k.hold(hold.reservationId);
      tx.del(key);
      tx.hset(key, {
        reservationId: hold.reservationId,
        saleId: s.saleId,
        userId: hold.userId,
        idempotencyKey: hold.idempotencyKey,
        quantity: hold.quantity,
        seatIds: hold.seatIds.join(','),
        status: 'HELD',
        heldAt: hold.heldAt,
        expiresAt: hold.expiresAt,
        fingerprint: hold.fingerprint,
        gen,
      });
      tx.zadd(k.expiry, hold.expiresAt, hold.reservationId);
      tx.hset(k.idempotency, hold.idempotencyKey, hold.reservationId);
    }
    tx.set(k.stock, s.available);
    tx.hset(k.meta, 'warm', 1);
  }

  /** Reads a loaded snapshot back: it must say what was written. */
  private async verifyLoad(s: InventorySnapshot): Promise<void> {
    const k = this.keys(s.saleId);
    const counts = await this.counts(s.saleId);
    const seats = await this.context.redis.hlen(k.seats);
    const held = (s.holds ?? []).reduce((sum, hold) => sum + hold.quantity, 0);
    if (
      counts.available !== s.available ||
      counts.initialStock !== s.initialStock ||
      counts.held !== held ||
      seats !== s.seatIds.length
    ) {
      throw new InfrastructureError(`warm-up of sale ${s.saleId} did not verify: ${JSON.stringify(counts)}`);
    }
  }

  /** Whether the sale was loaded by {@link restore} (a rebuild), not a warm-up's {@link load}. */
  async wasRebuilt(saleId: string): Promise<boolean> {
    const { saleId: id } = validateFields('sale', { saleId: SaleId }, { saleId });
    return (await this.context.redis.hget(this.keys(id).meta, 'rebuilt')) === '1';
  }

  /** Whether the sale is loaded (warm-up finished and verified). */
  async isWarm(saleId: string): Promise<boolean> {
    const { saleId: id } = validateFields('sale', { saleId: SaleId }, { saleId });
    return (await this.context.redis.hget(this.keys(id).meta, 'warm')) === '1';
  }

  /**
   * The hot path: one script call (see `src/lua/reserve.lua`). The request is validated here,
   * once; the script's reply is read by position, not validated again.
   */
  async reserve(request: ReserveRequest): Promise<ReserveOutcome> {
    const r = validate('reserve request', ReserveRequest, request);
    const seatIds = r.selection.kind === 'seats' ? r.selection.seatIds : [];
    if (new Set(seatIds).size !== seatIds.length) {
      throw new ValidationError('reserve request', [
        { path: 'selection.seatIds', message: 'a seat is asked for twice' },
      ]);
    }
    const call = this.holdCall(
      r,
      r.selection.kind === 'seats' ? 's' : 'q',
      r.selection.kind === 'seats' ? seatIds.length : r.selection.quantity,
      reserveFingerprint(r),
    );
    const reply = await this.context.scripts.list(
      'reserve',
      [this.keys(r.saleId).meta],
      [...holdArgs(call), ...seatIds],
    );
    if (reply[0] === 'HELD')
      return { ok: true, code: 'HELD', hold: newHold(r.saleId, call, seatIds), replayed: false };
    if (reply[0] === 'REPLAYED')
      return { ok: true, code: 'HELD', hold: replayedHold(reply).hold, replayed: true };
    if (reply[0] === 'ERROR') {
      throw new ValidationError('reserve request', [
        { path: 'reservationId', message: `reservation ${r.reservationId} exists already` },
      ]);
    }
    return refusal<ReserveRefusal>(reply);
  }

  /**
   * Group allocation: `size` seats together — adjacent in one row where possible — in one script
   * call (see `src/lua/reserve-group.lua`); a refusal holds nothing.
   */
  async reserveGroup(request: GroupReserveRequest): Promise<GroupReserveOutcome> {
    const r = validate('group reserve request', GroupReserveRequest, request);
    const call = this.holdCall(r, r.fallback === 'split' ? 's' : 'r', r.size, groupReserveFingerprint(r));
    const reply = await this.context.scripts.list(
      'reserve-group',
      [this.keys(r.saleId).meta],
      [...holdArgs(call), ...r.rows.map((row) => row.join(','))],
    );
    if (reply[0] === 'HELD') {
      const picked = String(reply[2]).split(',');
      return {
        ok: true,
        code: 'HELD',
        hold: newHold(r.saleId, call, picked),
        replayed: false,
        adjacent: reply[1] === '1',
      };
    }
    if (reply[0] === 'REPLAYED') {
      const { hold, adjacent } = replayedHold(reply);
      return { ok: true, code: 'HELD', hold, replayed: true, adjacent };
    }
    if (reply[0] === 'ERROR') {
      throw new ValidationError('group reserve request', [
        { path: 'reservationId', message: `reservation ${r.reservationId} exists already` },
      ]);
    }
    return refusal<GroupReserveRefusal>(reply);
  }

  /** The packed call of a hold-making script for a validated request. */
  private holdCall(
    r: ReserveRequest | GroupReserveRequest,
    mode: string,
    units: number,
    fingerprint: string,
  ): HoldCall {
    return {
      reservationId: r.reservationId,
      userId: r.userId,
      idempotencyKey: r.idempotencyKey,
      fingerprint,
      mode,
      requireAdmission: r.requireAdmission,
      withTimer: this.expiryTimers,
      units,
      holdMs: r.holdMs,
      now: r.now,
      retentionMs: this.context.retentionMs,
      relayLagLimitMs: r.relayLagLimitMs ?? 0,
    };
  }

  /**
   * The outbox's entries written at or before `enqueuedUpTo`, oldest first, each with its hold
   * record (one ZRANGE, then the records in one pipeline).
   */
  async unrelayed(input: { saleId: string; enqueuedUpTo: number; limit: number }): Promise<UnrelayedHold[]> {
    const i = validateFields(
      'unrelayed',
      { saleId: SaleId, enqueuedUpTo: EpochMs, limit: PositiveInt },
      input,
    );
    const k = this.keys(i.saleId);
    const { redis } = this.context;
    const flat = await redis.zrangebyscore(
      k.outbox,
      '-inf',
      i.enqueuedUpTo,
      'WITHSCORES',
      'LIMIT',
      0,
      i.limit,
    );
    const entries: Array<{ reservationId: string; enqueuedAt: number }> = [];
    for (let j = 0; j < flat.length; j += 2) {
      entries.push({ reservationId: flat[j]!, enqueuedAt: Number(flat[j + 1]) });
    }
    if (entries.length === 0) return [];
    const pipeline = redis.pipeline();
    for (const entry of entries) pipeline.hgetall(k.hold(entry.reservationId));
    const records = await exec(pipeline, 'unrelayed');
    return entries.map((entry, j) => {
      const fields = records[j] as Record<string, string>;
      return { ...entry, hold: fields.reservationId ? publicHold(holdFrom(fields)) : null };
    });
  }

  /**
   * Removes entries from the outbox (ZREM): their events are durable in the pipeline. Calls made
   * together (every reserve that was just answered hands its hold over and marks it relayed) are
   * sent as ONE ZREM per sale, once the current burst of callbacks has run (`process.nextTick`);
   * each call resolves, or fails, with that ZREM. This halves the commands of a reserve.
   */
  async markRelayed(input: { saleId: string; reservationIds: string[] }): Promise<void> {
    const i = validateFields('relayed holds', { saleId: SaleId, reservationIds: anything }, input);
    // every reserve marks its hold relayed: ReservationId's rule tested directly (a zod parse per
    // id was a measurable part of a reserve's CPU), the full parse only for its error
    for (const id of i.reservationIds as unknown[])
      if (typeof id !== 'string' || !SAFE_ID_PATTERN.test(id)) validate('reservation id', ReservationId, id);
    const ids = i.reservationIds as string[];
    if (ids.length === 0) return;
    let batch = this.relayedBatches.get(i.saleId);
    if (!batch) {
      const outbox = this.keys(i.saleId).outbox;
      const opened: { ids: string[]; sent?: Promise<unknown> } = { ids: [] };
      opened.sent = new Promise<void>((resolve) => process.nextTick(resolve)).then(() => {
        this.relayedBatches.delete(i.saleId);
        return this.context.redis.zrem(outbox, ...opened.ids);
      });
      this.relayedBatches.set(i.saleId, opened);
      batch = opened;
    }
    batch.ids.push(...ids);
    // a failed ZREM is already an InfrastructureError (see storeContext)
    await batch.sent;
  }

  /** Owner only: pushes a live hold's expiry to `now + holdMs`. */
  async extend(input: HoldExtension): Promise<HoldChangeOutcome> {
    const i = validateFields('extend', { ...HOLD_OWNER, holdMs: PositiveInt, now: EpochMs }, input);
    const k = this.keys(i.saleId);
    return holdChange(
      await this.context.scripts.run(
        'extend-hold',
        [k.hold(i.reservationId), k.expiry, k.holdTimer(i.reservationId), k.meta],
        [i.userId, i.holdMs, i.now, this.context.retentionMs, this.expiryTimers ? '1' : '0'],
      ),
    );
  }

  /** Owner only: gives a live hold back (stock returned; its key keeps answering it, RELEASED). */
  async release(input: HoldOwnerChange): Promise<HoldChangeOutcome> {
    const i = validateFields('release', { ...HOLD_OWNER, now: EpochMs }, input);
    const k = this.keys(i.saleId);
    return holdChange(
      await this.context.scripts.run('release-hold', givingBackKeys(k, i.reservationId), [
        i.userId,
        i.now,
        this.context.retentionMs,
      ]),
    );
  }

  /** Owner only: HELD → CONFIRMED, permanently. Refused once the hold has expired. */
  async confirm(input: HoldOwnerChange): Promise<HoldChangeOutcome> {
    const i = validateFields('confirm', { ...HOLD_OWNER, now: EpochMs }, input);
    const k = this.keys(i.saleId);
    return holdChange(
      await this.context.scripts.run(
        'confirm-hold',
        [k.hold(i.reservationId), k.meta, k.seats, k.expiry, k.holdTimer(i.reservationId)],
        [i.userId, i.now],
      ),
    );
  }

  /** Undoes a reservation whatever its state, once; idempotent. */
  async compensate(input: { saleId: string; reservationId: string }): Promise<CompensateOutcome> {
    const i = validateFields('compensate', { saleId: SaleId, reservationId: ReservationId }, input);
    const k = this.keys(i.saleId);
    const reply = await this.context.scripts.list('compensate', givingBackKeys(k, i.reservationId), [
      this.context.retentionMs,
    ]);
    if (reply[0] !== 'OK')
      return { ok: false, code: reply[1] === 'SALE_NOT_WARM' ? 'SALE_NOT_WARM' : 'NOT_FOUND' };
    return { ok: true, restored: reply[1] === '1', hold: publicHold(holdFrom(pairs(reply, 2))) };
  }

  /** Expires up to `limit` due holds; each one's stock comes back exactly once. */
  async expireDue(input: { saleId: string; now: number; limit: number }): Promise<HoldRecord[]> {
    const i = validateFields('expireDue', { saleId: SaleId, now: EpochMs, limit: PositiveInt }, input);
    const k = this.keys(i.saleId);
    const reply = await this.context.scripts.list(
      'expire-due',
      [k.meta, k.stock, k.seats, k.users, k.idempotency, k.expiry],
      [k.base, i.now, i.limit, this.context.retentionMs],
    );
    return reply.map((record) => publicHold(holdFrom(pairs(record as unknown[]))));
  }

  /**
   * A hold record, or null: never made, garbage-collected after its retention, or a live record
   * of another load of the loaded sale (an orphan a partial loss left, see `writeSnapshot`).
   */
  async getHold(saleId: string, reservationId: string): Promise<HoldRecord | null> {
    const i = validateFields(
      'getHold',
      { saleId: SaleId, reservationId: ReservationId },
      { saleId, reservationId },
    );
    const k = this.keys(i.saleId);
    const [gen, fields] = (await exec(
      this.context.redis.multi().hget(k.meta, 'gen').hgetall(k.hold(i.reservationId)),
      'getHold',
    )) as [string | null, Record<string, string>];
    if (!fields.reservationId) return null;
    // a live record of another load counts nowhere (an orphan); an ended one is a tombstone that
    // says how the hold ended (the worker must not hold it again). A sale not loaded (or loaded
    // before loads had a gen) has no load to compare with.
    const live = fields.status === 'HELD' || fields.status === 'CONFIRMED';
    if (live && gen !== null && (fields.gen ?? '') !== gen) return null;
    return publicHold(holdFrom(fields));
  }

  /** Counts for the reconciler; `UnknownSaleError` for a sale that is not loaded. */
  async counts(saleId: string): Promise<InventoryCounts> {
    const { saleId: id } = validateFields('sale', { saleId: SaleId }, { saleId });
    const k = this.keys(id);
    const results = await exec(
      this.context.redis.multi().hmget(k.meta, 'warm', 'initialStock', 'held', 'confirmed').get(k.stock),
      'counts',
    );
    const [warm, initialStock, held, confirmed] = results[0] as Array<string | null>;
    if (warm !== '1') throw new UnknownSaleError(id);
    return {
      saleId: id,
      initialStock: Number(initialStock),
      available: Number(results[1] ?? 0),
      held: Number(held ?? 0),
      confirmed: Number(confirmed ?? 0),
    };
  }

  /** Every seat's state; empty for general admission. */
  async seatStates(saleId: string): Promise<Record<string, SeatState>> {
    const { saleId: id } = validateFields('sale', { saleId: SaleId }, { saleId });
    const k = this.keys(id);
    const results = await exec(
      this.context.redis.multi().hget(k.meta, 'warm').hgetall(k.seats),
      'seatStates',
    );
    if (results[0] !== '1') throw new UnknownSaleError(id);
    const states: Record<string, SeatState> = {};
    for (const [seatId, state] of Object.entries(results[1] as Record<string, string>)) {
      states[seatId] = SEAT_STATE[state] ?? 'AVAILABLE';
    }
    return states;
  }

  /**
   * Makes the store agree with the source of truth, in one script (`src/lua/repair.lua`): see
   * `InventoryStore.repair` for what it keeps.
   */
  async repair(truth: InventoryTruth): Promise<{ before: InventoryCounts; after: InventoryCounts }> {
    const t = validateTruth(truth);
    const k = this.keys(t.saleId);
    const reply = await this.context.scripts.list('repair', [k.meta, k.stock, k.seats], repairArgs(t));
    if (reply[0] === 'UNKNOWN') throw new UnknownSaleError(t.saleId);
    if (reply[0] === 'INVALID') {
      const issues: Array<{ path: string; message: string }> = [];
      if (reply[1] === 'UNITS')
        issues.push({ path: 'confirmedUnits', message: 'more than the initial stock' });
      for (let i = 2; i + 1 < reply.length; i += 2) {
        issues.push({
          path: String(reply[i]),
          message: `seat ${String(reply[i + 1])} is not in the seat map`,
        });
      }
      throw new ValidationError('inventory truth', issues);
    }
    const [initialStock, availableBefore, heldBefore, confirmedBefore, available, held, confirmed] = reply
      .slice(1)
      .map(Number) as [number, number, number, number, number, number, number];
    return {
      before: {
        saleId: t.saleId,
        initialStock,
        available: availableBefore,
        held: heldBefore,
        confirmed: confirmedBefore,
      },
      after: { saleId: t.saleId, initialStock, available, held, confirmed },
    };
  }
}

/**
 * The KEYS of release-hold.lua and compensate.lua, which give a hold's units back (see their
 * headers): the hold, the sale's meta, stock, seats, buyers' units, outcomes (declared, unused),
 * expiry index and the hold's expiry timer.
 */
function givingBackKeys(k: SaleKeys, reservationId: string): string[] {
  return [
    k.hold(reservationId),
    k.meta,
    k.stock,
    k.seats,
    k.users,
    k.idempotency,
    k.expiry,
    k.holdTimer(reservationId),
  ];
}

/** The fields every owner-only hold change takes. */
const HOLD_OWNER = { saleId: SaleId, reservationId: ReservationId, userId: UserId };

function holdChange(raw: unknown): HoldChangeOutcome {
  const reply = asList(raw, 'hold change');
  if (reply[0] === 'OK') return { ok: true, hold: publicHold(holdFrom(pairs(reply, 1))) };
  return { ok: false, code: String(reply[1]) as Extract<HoldChangeOutcome, { ok: false }>['code'] };
}

/** A repair's truth, checked field by field (`ValidationError` naming each bad one). */
export function validateTruth(truth: InventoryTruth): InventoryTruth {
  return validateFields(
    'inventory truth',
    {
      saleId: SaleId,
      confirmedUnits: Count,
      confirmedSeatIds: SeatId.array(),
      pendingUnits: Count,
      pendingSeatIds: SeatId.array(),
      observedConfirmed: optional(Count),
      observedConfirmedSeatIds: optional(SeatId.array()),
    },
    truth,
  );
}

/** repair.lua's arguments (see its header). */
function repairArgs(t: InventoryTruth): Array<string | number> {
  const seen = t.observedConfirmedSeatIds;
  return [
    t.confirmedUnits,
    t.pendingUnits,
    t.observedConfirmed ?? '',
    t.confirmedSeatIds.length,
    t.pendingSeatIds.length,
    seen ? seen.length : -1,
    ...t.confirmedSeatIds,
    ...t.pendingSeatIds,
    ...(seen ?? []),
  ];
}

/** A script's {'REFUSED', code, seatId…} as an outcome. */
function refusal<Code extends string>(reply: unknown[]): { ok: false; code: Code; seatIds?: string[] } {
  const code = reply[1] as Code;
  return reply.length > 2 ? { ok: false, code, seatIds: reply.slice(2) as string[] } : { ok: false, code };
}

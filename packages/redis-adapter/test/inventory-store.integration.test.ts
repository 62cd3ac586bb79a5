import { ConfigurationError, type ReserveOutcome, UnknownSaleError, ValidationError } from '@seatrush/core';
import { KeySpace, RedisInventoryStore, RedisWaitingRoomStore } from '@seatrush/redis-adapter';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generalSale, isolatedPrefix, keysUnder, onConnections, seatedSale } from './helpers';

const url = inject('services').redisUrl;
let redis: Redis;
beforeAll(() => {
  redis = new Redis(url);
});
afterAll(async () => {
  await redis.quit();
});

const T0 = 1_000_000;
const request = (over: Partial<Parameters<RedisInventoryStore['reserve']>[0]> = {}) => ({
  saleId: 'sale1',
  userId: 'u1',
  reservationId: 'r1',
  idempotencyKey: 'k1',
  selection: { kind: 'quantity' as const, quantity: 1 },
  holdMs: 60_000,
  requireAdmission: false,
  now: T0,
  ...over,
});

/** u1's own request on `request()`'s hold r1 at `now` (a confirm, a release, an extension). */
const ownerOfR1 = (now: number) => ({ saleId: 'sale1', reservationId: 'r1', userId: 'u1', now });

describe('RedisInventoryStore on one Redis', () => {
  it('holds, replays by idempotency key, confirms, and keeps the stock invariant', async () => {
    const keyPrefix = isolatedPrefix();
    const store = new RedisInventoryStore(redis, { keyPrefix });
    await store.load(generalSale('sale1', 10));
    const first = await store.reserve(request({ selection: { kind: 'quantity', quantity: 2 } }));
    expect(first).toMatchObject({ ok: true, code: 'HELD', replayed: false });
    const again = await store.reserve(
      request({ reservationId: 'r-other', selection: { kind: 'quantity', quantity: 2 } }),
    );
    expect(again).toMatchObject({ ok: true, replayed: true, hold: { reservationId: 'r1', quantity: 2 } });
    const reused = await store.reserve(
      request({ reservationId: 'r3', selection: { kind: 'quantity', quantity: 1 } }),
    );
    expect(reused).toEqual({ ok: false, code: 'IDEMPOTENCY_KEY_REUSED' });
    expect(await store.counts('sale1')).toEqual({
      saleId: 'sale1',
      initialStock: 10,
      available: 8,
      held: 2,
      confirmed: 0,
    });
    expect(await store.confirm({ saleId: 'sale1', reservationId: 'r1', userId: 'u2', now: T0 })).toEqual({
      ok: false,
      code: 'NOT_OWNER',
    });
    const confirmed = await store.confirm(ownerOfR1(T0 + 1));
    expect(confirmed).toMatchObject({ ok: true, hold: { status: 'CONFIRMED' } });
    expect(await store.counts('sale1')).toMatchObject({ available: 8, held: 0, confirmed: 2 });
    expect(await redis.pttl(`${new KeySpace(keyPrefix).sale('sale1').hold('r1')}`)).toBe(-1);
  });

  it('refuses without admission, and admits through the shared admitted set', async () => {
    const keyPrefix = isolatedPrefix();
    const store = new RedisInventoryStore(redis, { keyPrefix });
    const room = new RedisWaitingRoomStore(redis, { keyPrefix });
    await store.load(generalSale('sale1', 5));
    expect(await store.reserve(request({ requireAdmission: true }))).toEqual({
      ok: false,
      code: 'NOT_ADMITTED',
    });
    await room.join({ saleId: 'sale1', userId: 'u1', now: T0 });
    await room.admit({ saleId: 'sale1', max: 1, maxActive: 10, sessionMs: 1_000, now: T0 });
    expect(await store.reserve(request({ requireAdmission: true, now: T0 + 999 }))).toMatchObject({
      ok: true,
    });
    expect(
      await store.reserve(
        request({ requireAdmission: true, now: T0 + 1_000, reservationId: 'r2', idempotencyKey: 'k2' }),
      ),
    ).toEqual({ ok: false, code: 'NOT_ADMITTED' });
  });

  it('answers every refusal as a value and changes nothing', async () => {
    const keyPrefix = isolatedPrefix();
    const store = new RedisInventoryStore(redis, { keyPrefix });
    expect(await store.reserve(request())).toEqual({ ok: false, code: 'SALE_NOT_WARM' });
    await store.load(seatedSale('sale1', 3, 2));
    const before = await keysUnder(redis, keyPrefix);
    const snapshot = async () => Promise.all(before.map((k) => redis.dump(k)));
    const state = await snapshot();
    const seats = (ids: string[]) => ({ kind: 'seats' as const, seatIds: ids });
    expect(await store.reserve(request())).toEqual({ ok: false, code: 'WRONG_SELECTION' });
    expect(await store.reserve(request({ selection: seats(['s1', 'nope']) }))).toEqual({
      ok: false,
      code: 'UNKNOWN_SEAT',
      seatIds: ['nope'],
    });
    expect(await store.reserve(request({ selection: seats(['s1', 's2', 's3']) }))).toEqual({
      ok: false,
      code: 'LIMIT_EXCEEDED',
    });
    expect(await keysUnder(redis, keyPrefix)).toEqual(before);
    expect(await snapshot()).toEqual(state);
    await store.reserve(request({ selection: seats(['s2']) }));
    expect(
      await store.reserve(
        request({ userId: 'u2', reservationId: 'r2', idempotencyKey: 'k2', selection: seats(['s1', 's2']) }),
      ),
    ).toEqual({ ok: false, code: 'SEAT_TAKEN', seatIds: ['s2'] });
    expect(await store.seatStates('sale1')).toEqual({ s1: 'AVAILABLE', s2: 'HELD', s3: 'AVAILABLE' });
  });

  it('rejects bad input with a ValidationError listing every issue and touches no key', async () => {
    const keyPrefix = isolatedPrefix();
    const store = new RedisInventoryStore(redis, { keyPrefix });
    await store.load(generalSale('sale1', 5));
    await store.reserve(request());
    const before = await keysUnder(redis, keyPrefix);
    const state = async () => Promise.all(before.map((k) => redis.dump(k)));
    const saved = await state();
    const error = await store
      .reserve(request({ saleId: 'bad{tag}', userId: 'a b', selection: { kind: 'quantity', quantity: -1 } }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(['saleId', 'userId', 'selection.quantity']),
    );
    await expect(
      store.reserve(request({ reservationId: 'r1', idempotencyKey: 'k2' })),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(store.load({ ...generalSale('sale1', 5), available: 6 })).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(store.counts('nosuchsale')).rejects.toBeInstanceOf(UnknownSaleError);
    expect(await keysUnder(redis, keyPrefix)).toEqual(before);
    expect(await state()).toEqual(saved);
  });

  it('refuses an ioredis client configured with keyPrefix', () => {
    const prefixed = new Redis(url, { keyPrefix: 'x:', lazyConnect: true });
    expect(() => new RedisInventoryStore(prefixed)).toThrow(ConfigurationError);
    prefixed.disconnect();
  });

  it('extends, releases and compensates by the owner only, restoring stock once', async () => {
    const store = new RedisInventoryStore(redis, { keyPrefix: isolatedPrefix() });
    await store.load(generalSale('sale1', 5));
    await store.reserve(request({ selection: { kind: 'quantity', quantity: 3 } }));
    const extended = await store.extend({ ...ownerOfR1(T0 + 10), holdMs: 120_000 });
    expect(extended).toMatchObject({ ok: true, hold: { expiresAt: T0 + 120_010 } });
    expect(await store.expireDue({ saleId: 'sale1', now: T0 + 60_000, limit: 10 })).toEqual([]);
    const released = await store.release(ownerOfR1(T0 + 20));
    expect(released).toMatchObject({ ok: true, hold: { status: 'RELEASED' } });
    expect(await store.release(ownerOfR1(T0 + 21))).toEqual({
      ok: false,
      code: 'NOT_HELD',
    });
    expect(await store.counts('sale1')).toMatchObject({ available: 5, held: 0 });
    // the key stays spent: the same key answers the released hold and holds nothing
    const again = request({
      reservationId: 'r9',
      selection: { kind: 'quantity', quantity: 3 },
      now: T0 + 25,
    });
    expect(await store.reserve(again)).toMatchObject({
      ok: true,
      replayed: true,
      hold: { reservationId: 'r1', status: 'RELEASED' },
    });
    expect(await store.counts('sale1')).toMatchObject({ available: 5, held: 0 });
    // a new key makes a new hold
    expect(
      await store.reserve(request({ reservationId: 'r2', idempotencyKey: 'k2', now: T0 + 30 })),
    ).toMatchObject({
      ok: true,
      replayed: false,
    });
    const compensated = await store.compensate({ saleId: 'sale1', reservationId: 'r2' });
    expect(compensated).toMatchObject({ ok: true, restored: true, hold: { status: 'COMPENSATED' } });
    expect(
      await store.reserve(request({ reservationId: 'r8', idempotencyKey: 'k2', now: T0 + 35 })),
    ).toMatchObject({ ok: true, replayed: true, hold: { reservationId: 'r2', status: 'COMPENSATED' } });
    expect(await store.compensate({ saleId: 'sale1', reservationId: 'r2' })).toMatchObject({
      ok: true,
      restored: false,
    });
    expect(await store.compensate({ saleId: 'sale1', reservationId: 'nope' })).toEqual({
      ok: false,
      code: 'NOT_FOUND',
    });
    expect(await store.counts('sale1')).toEqual({
      saleId: 'sale1',
      initialStock: 5,
      available: 5,
      held: 0,
      confirmed: 0,
    });
  });

  it('expires due holds exactly once when many sweepers race', async () => {
    await onConnections(8, async (clients, keyPrefix) => {
      const stores = clients.map((c) => new RedisInventoryStore(c, { keyPrefix }));
      await stores[0]!.load(generalSale('sale1', 200, 200));
      for (let i = 0; i < 50; i++) {
        await stores[0]!.reserve(
          request({
            reservationId: `r${i}`,
            idempotencyKey: `k${i}`,
            userId: `u${i}`,
            selection: { kind: 'quantity', quantity: 2 },
          }),
        );
      }
      const swept = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          stores[i % stores.length]!.expireDue({ saleId: 'sale1', now: T0 + 60_000, limit: 7 }),
        ),
      );
      const ids = swept.flat().map((h) => h.reservationId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.length).toBe(50);
      expect(await stores[0]!.counts('sale1')).toEqual({
        saleId: 'sale1',
        initialStock: 200,
        available: 200,
        held: 0,
        confirmed: 0,
      });
      expect(await stores[0]!.getHold('sale1', 'r7')).toMatchObject({ status: 'EXPIRED' });
    });
  });

  it('repairs the store from the source of truth', async () => {
    const store = new RedisInventoryStore(redis, { keyPrefix: isolatedPrefix() });
    await store.load(seatedSale('sale1', 4));
    await store.reserve(request({ selection: { kind: 'seats', seatIds: ['s1'] } }));
    const { before, after } = await store.repair({
      saleId: 'sale1',
      confirmedUnits: 2,
      confirmedSeatIds: ['s3', 's4'],
      pendingUnits: 0,
      pendingSeatIds: [],
    });
    expect(before).toMatchObject({ available: 3, held: 1, confirmed: 0 });
    expect(after).toEqual({ saleId: 'sale1', initialStock: 4, available: 1, held: 1, confirmed: 2 });
    expect(await store.seatStates('sale1')).toEqual({
      s1: 'HELD',
      s2: 'AVAILABLE',
      s3: 'CONFIRMED',
      s4: 'CONFIRMED',
    });
  });
});

describe('oversell under contention (real Redis, many connections)', () => {
  const countHeld = (outcomes: ReserveOutcome[]) => outcomes.filter((o) => o.ok).length;

  it('5,000 concurrent reserves for 100 units hold exactly 100, stock 0, never below', async () => {
    await onConnections(16, async (clients, keyPrefix) => {
      const stores = clients.map((c) => new RedisInventoryStore(c, { keyPrefix }));
      await stores[0]!.load(generalSale('spike', 100, 1));
      // a watcher on its own connection samples the stock all through the spike
      const stockKey = new KeySpace(keyPrefix).sale('spike').stock;
      const samples: number[] = [];
      let spiking = true;
      const watching = (async () => {
        while (spiking) samples.push(Number(await redis.get(stockKey)));
      })();
      const outcomes = await Promise.all(
        Array.from({ length: 5_000 }, (_, i) =>
          stores[i % stores.length]!.reserve(
            request({ saleId: 'spike', userId: `u${i}`, reservationId: `r${i}`, idempotencyKey: `k${i}` }),
          ),
        ),
      );
      spiking = false;
      await watching;
      expect(samples.length).toBeGreaterThan(0);
      expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
      expect(countHeld(outcomes)).toBe(100);
      expect(outcomes.filter((o) => !o.ok).every((o) => o.code === 'SOLD_OUT')).toBe(true);
      expect(await stores[0]!.counts('spike')).toEqual({
        saleId: 'spike',
        initialStock: 100,
        available: 0,
        held: 100,
        confirmed: 0,
      });
      expect(await redis.get(new KeySpace(keyPrefix).sale('spike').stock)).toBe('0');
    });
  });

  it('300 seats raced for by 3,000 users: every seat held once, by one reservation', async () => {
    await onConnections(16, async (clients, keyPrefix) => {
      const stores = clients.map((c) => new RedisInventoryStore(c, { keyPrefix }));
      await stores[0]!.load(seatedSale('seats', 300, 2));
      const outcomes = await Promise.all(
        Array.from({ length: 3_000 }, (_, i) => {
          const a = (i * 7) % 300;
          const seatIds =
            Math.floor(i / 300) % 2 === 0 ? [`s${a + 1}`, `s${((a + 1) % 300) + 1}`] : [`s${a + 1}`];
          return stores[i % stores.length]!.reserve(
            request({
              saleId: 'seats',
              userId: `u${i}`,
              reservationId: `r${i}`,
              idempotencyKey: `k${i}`,
              selection: { kind: 'seats', seatIds },
            }),
          );
        }),
      );
      const held = outcomes.flatMap((o) => (o.ok ? o.hold.seatIds : []));
      expect(new Set(held).size).toBe(held.length);
      expect(held.length).toBe(300);
      expect(
        outcomes.filter((o) => !o.ok).every((o) => o.code === 'SEAT_TAKEN' || o.code === 'SOLD_OUT'),
      ).toBe(true);
      expect(Object.values(await stores[0]!.seatStates('seats')).every((s) => s === 'HELD')).toBe(true);
      expect(await stores[0]!.counts('seats')).toMatchObject({ available: 0, held: 300 });
    });
  });
});

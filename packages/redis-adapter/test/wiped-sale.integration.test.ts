import type { HoldRecord, ReserveOutcome } from '@seatrush/core';
import { RedisInventoryStore } from '@seatrush/redis-adapter';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generalSale, isolatedPrefix, keysUnder, seatedSale } from './helpers';

// Issue 20: a script must never write into a sale that is not warm. A wipe (FLUSHALL, a lost
// server, an operator's DEL) followed by the app's own scripts used to leave a half-made meta hash
// (`held -20`, no `initialStock`, no `warm`) for the rebuild to trip over.

const NOW = 1_000_000;
const HOLD_MS = 600_000;

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('services').redisUrl);
});
afterAll(async () => {
  await redis.quit();
});

/** Every key under `prefix` with its type and value, to prove nothing changed. */
async function contents(prefix: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const key of await keysUnder(redis, prefix)) {
    const type = await redis.type(key);
    if (type === 'hash') out[key] = await redis.hgetall(key);
    else if (type === 'zset') out[key] = await redis.zrange(key, 0, -1, 'WITHSCORES');
    else if (type === 'string') out[key] = await redis.get(key);
    else out[key] = type;
  }
  return out;
}

function heldOf(outcome: ReserveOutcome): HoldRecord {
  if (!outcome.ok) throw new Error(`expected a hold, got ${outcome.code}`);
  return outcome.hold;
}

/** Runs every write path of the store against `saleId`; answers what each said. */
async function everyWrite(inventory: RedisInventoryStore, saleId: string, ids: Record<string, string>) {
  const steps = inventory.steps();
  const waitingList = inventory.waitingList();
  const owner = (reservationId: string, userId: string) => ({ saleId, reservationId, userId, now: NOW + 1 });
  const thrown = (p: Promise<unknown>) =>
    p.then(
      (value) => ({ value }),
      (error: { code?: string }) => ({ error: error.code }),
    );
  return {
    reserve: await inventory.reserve({
      saleId,
      userId: 'u9',
      reservationId: 'r-new',
      idempotencyKey: 'k-new',
      selection: { kind: 'seats', seatIds: ['s4'] },
      holdMs: HOLD_MS,
      requireAdmission: false,
      now: NOW + 1,
    }),
    reserveGroup: await inventory.reserveGroup({
      saleId,
      userId: 'u9',
      reservationId: 'g-new',
      idempotencyKey: 'kg-new',
      size: 2,
      rows: [['s1', 's2', 's3', 's4']],
      fallback: 'split',
      holdMs: HOLD_MS,
      requireAdmission: false,
      now: NOW + 1,
    }),
    confirm: await inventory.confirm(owner(ids.held!, 'u1')),
    extend: await inventory.extend({ ...owner(ids.held!, 'u1'), holdMs: HOLD_MS }),
    release: await inventory.release(owner(ids.held!, 'u1')),
    compensateConfirmed: await inventory.compensate({ saleId, reservationId: ids.confirmed! }),
    compensateHeld: await inventory.compensate({ saleId, reservationId: ids.held! }),
    expire: await inventory.expireDue({ saleId, now: NOW + 10 * HOLD_MS, limit: 100 }),
    claim: await waitingList.claim({
      saleId,
      userId: 'u5',
      offerId: ids.offer!,
      holdMs: HOLD_MS,
      now: NOW + 2,
    }),
    offer: await waitingList.offer({
      saleId,
      rows: [['s1', 's2', 's3', 's4']],
      claimMs: 5_000,
      offerIds: ['o-new'],
      now: NOW + 2,
    }),
    join: await waitingList.join({ saleId, userId: 'u8', size: 1, now: NOW + 2 }),
    takeStock: await thrown(steps.takeStock(saleId, 1, 99)),
    returnStock: await thrown(steps.returnStock(saleId, 1)),
    writeHold: await thrown(
      steps.writeHold(
        {
          reservationId: 'r-lock',
          saleId,
          userId: 'u7',
          idempotencyKey: 'k-lock',
          quantity: 1,
          seatIds: ['s4'],
          status: 'HELD',
          heldAt: NOW + 3,
          expiresAt: NOW + 3 + HOLD_MS,
        },
        'fp',
        99,
      ),
    ),
    repair: await thrown(
      inventory.repair({
        saleId,
        confirmedUnits: 1,
        confirmedSeatIds: ['s2'],
        pendingUnits: 0,
        pendingSeatIds: [],
      }),
    ),
  };
}

const REFUSED = { ok: false, code: 'SALE_NOT_WARM' };

/** What every write path must answer for a sale that is not warm. */
const ALL_REFUSED = {
  reserve: REFUSED,
  reserveGroup: REFUSED,
  confirm: REFUSED,
  extend: REFUSED,
  release: REFUSED,
  compensateConfirmed: REFUSED,
  compensateHeld: REFUSED,
  expire: [],
  claim: REFUSED,
  offer: [],
  join: REFUSED,
  takeStock: { error: 'UNKNOWN_SALE' },
  returnStock: { error: 'UNKNOWN_SALE' },
  writeHold: { error: 'UNKNOWN_SALE' },
  repair: { error: 'UNKNOWN_SALE' },
};

describe('a wiped sale: every script refuses to write until warm-up', () => {
  it('answers SALE_NOT_WARM on every write path and changes no key, half-wiped or wiped whole', async () => {
    const keyPrefix = isolatedPrefix();
    const inventory = new RedisInventoryStore(redis, { keyPrefix });
    const saleId = 'wiped';
    const snapshot = { ...seatedSale(saleId, 4), ticketsPerUser: 2 };
    await inventory.load(snapshot);
    const reserve = (userId: string, seat: string, holdMs = HOLD_MS) =>
      inventory.reserve({
        saleId,
        userId,
        reservationId: `r-${userId}`,
        idempotencyKey: `k-${userId}`,
        selection: { kind: 'seats', seatIds: [seat] },
        holdMs,
        requireAdmission: false,
        now: NOW,
      });
    // mid-use: a live hold, a confirmed one, one past its expiry, and a waiting-list offer
    const held = heldOf(await reserve('u1', 's1'));
    const confirmed = heldOf(await reserve('u2', 's2'));
    expect(
      await inventory.confirm({ saleId, reservationId: confirmed.reservationId, userId: 'u2', now: NOW }),
    ).toMatchObject({ ok: true });
    heldOf(await reserve('u3', 's3', 10));
    const waitingList = inventory.waitingList();
    expect(await waitingList.join({ saleId, userId: 'u5', size: 1, now: NOW })).toMatchObject({ ok: true });
    const [offer] = await waitingList.offer({
      saleId,
      rows: [['s1', 's2', 's3', 's4']],
      claimMs: HOLD_MS,
      offerIds: ['o1'],
      now: NOW,
    });
    expect(offer).toMatchObject({ userId: 'u5', seatIds: ['s4'] });
    const ids = { held: held.reservationId, confirmed: confirmed.reservationId, offer: 'o1' };

    // half-wiped: the sale's own keys are gone, hold records and waiting-list entries are left
    // (a SCAN + DEL caught half-way, or keys evicted) — the case that made `held -20`
    const k = `${keyPrefix}sr:{${saleId}}:`;
    await redis.del(
      `${k}meta`,
      `${k}stock`,
      `${k}seats`,
      `${k}users`,
      `${k}idem`,
      `${k}expiry`,
      `${k}outbox`,
      `${k}fence`,
    );
    const before = await contents(keyPrefix);
    expect(Object.keys(before).some((key) => key.includes(':hold:'))).toBe(true);
    expect(await everyWrite(inventory, saleId, ids)).toEqual(ALL_REFUSED);
    expect(await contents(keyPrefix)).toEqual(before);

    // wiped whole: every path still refuses and nothing at all is recreated
    const left = await keysUnder(redis, keyPrefix);
    await redis.del(...left);
    expect(await everyWrite(inventory, saleId, ids)).toEqual({
      ...ALL_REFUSED,
    });
    expect(await keysUnder(redis, keyPrefix)).toEqual([]);

    // only warm-up writes the sale again, and what it writes is whole
    await inventory.load(snapshot);
    expect(await keysUnder(redis, keyPrefix)).toEqual([`${k}meta`, `${k}seats`, `${k}stock`]);
    expect(await redis.hgetall(`${k}meta`)).toEqual({
      // the load's name: hold records of another load are not this sale's
      gen: expect.stringMatching(/^[0-9a-f]{16}$/),
      initialStock: '4',
      ticketsPerUser: '2',
      kind: 'assigned',
      held: '0',
      confirmed: '0',
      warm: '1',
    });
  });

  it('recreates no key when the sale is wiped in one step while 400 writes are in flight', async () => {
    const keyPrefix = isolatedPrefix();
    const inventory = new RedisInventoryStore(redis, { keyPrefix });
    const saleId = 'spike';
    await inventory.load(generalSale(saleId, 150, 2));
    const holds: HoldRecord[] = [];
    for (let i = 0; i < 60; i++) {
      holds.push(
        heldOf(
          await inventory.reserve({
            saleId,
            userId: `h${i}`,
            reservationId: `rh${i}`,
            idempotencyKey: `kh${i}`,
            selection: { kind: 'quantity', quantity: 1 },
            holdMs: i % 3 === 0 ? 5 : HOLD_MS,
            requireAdmission: false,
            now: NOW,
          }),
        ),
      );
    }
    let wiped = false;
    const afterWipe: unknown[] = [];
    const ops = Array.from({ length: 400 }, (_, i) => {
      const hold = holds[i % holds.length]!;
      const ref = { saleId, reservationId: hold.reservationId, userId: hold.userId, now: NOW + 1 };
      const op = [
        () =>
          inventory.reserve({
            saleId,
            userId: `n${i}`,
            reservationId: `rn${i}`,
            idempotencyKey: `kn${i}`,
            selection: { kind: 'quantity', quantity: 1 },
            holdMs: HOLD_MS,
            requireAdmission: false,
            now: NOW + 1,
          }),
        () => inventory.confirm(ref),
        () => inventory.extend({ ...ref, holdMs: HOLD_MS }),
        () => inventory.release(ref),
        () => inventory.compensate({ saleId, reservationId: hold.reservationId }),
        () => inventory.expireDue({ saleId, now: NOW + 100, limit: 5 }),
      ][i % 6]!;
      return op().then((answer) => {
        if (wiped) afterWipe.push(answer);
      });
    });
    // one DEL of every key of the sale: atomic, as a FLUSHALL or a lost server is
    const wipe = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 2));
      const keys = await keysUnder(redis, keyPrefix);
      await redis.del(...keys);
      wiped = true;
    })();
    await Promise.all([...ops, wipe]);
    // answers that came after the wipe's DEL returned: refusals only
    for (const answer of afterWipe) {
      expect(answer).toSatisfy(
        (a: unknown) =>
          (Array.isArray(a) && a.length === 0) || (a as { code?: string }).code === 'SALE_NOT_WARM',
      );
    }
    // and nothing of the sale was recreated: no half-made meta, stock or seats
    const left = await keysUnder(redis, keyPrefix);
    expect(left.filter((key) => !key.includes(':hold:'))).toEqual([]);
    expect(await inventory.isWarm(saleId)).toBe(false);
  });
});

import { ManualClock } from '@seatrush/core/testing';
import { RedisWaitingRoomStore } from '@seatrush/redis-adapter';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { isolatedPrefix, waitingRoomOver } from './helpers';

const SECRET = 'readmit-secret-0123456789-abcdefghijklmnop';
const SESSION_MS = 600_000;
const redis = new Redis(inject('services').redisUrl);
afterAll(async () => void (await redis.quit()));

function room(store: RedisWaitingRoomStore, clock: ManualClock, maxActive: number) {
  const sale = { id: 'readmit', name: 'Re-admission', secret: SECRET, usersPerInterval: 3, maxActive };
  return waitingRoomOver(store, clock, { ...sale, sessionMs: SESSION_MS });
}

describe('RedisWaitingRoomStore.readmit (a wiped room)', () => {
  it('re-admits admitted buyers from their valid tokens after the room keys are deleted, bounded by maxActive', async () => {
    const prefix = isolatedPrefix();
    const store = new RedisWaitingRoomStore(redis, { keyPrefix: prefix });
    const clock = new ManualClock(1_000_000);
    const before = room(store, clock, 3);
    for (const userId of ['ana', 'ben', 'cy', 'dee']) await before.join({ userId });
    const report = await before.tick();
    const tokens = new Map(report.admitted.map((user) => [user.userId, user.admissionToken]));
    expect([...tokens.keys()]).toEqual(['ana', 'ben', 'cy']);

    // the room's keys are lost: every key under this test's prefix is deleted
    const keys = await redis.keys(`${prefix}*`);
    expect(keys.length).toBeGreaterThan(0);
    await redis.del(...keys);
    clock.advance(5_000);
    const after = room(store, clock, 2);
    expect(await after.status({ userId: 'ana' })).toBeNull();

    expect(await after.readmit({ userId: 'ana', token: tokens.get('ana') })).toMatchObject({
      ok: true,
      readmitted: true,
      status: { state: 'ADMITTED', admittedUntil: 1_000_000 + SESSION_MS },
    });
    // what the reserve script reads: the admitted set, scored by the token's expiry
    expect(await store.admission({ saleId: 'readmit', userId: 'ana', now: clock.now() })).toEqual({
      admitted: true,
      until: 1_000_000 + SESSION_MS,
    });
    expect(await after.readmit({ userId: 'ana', token: tokens.get('ana') })).toMatchObject({
      readmitted: false,
    });
    expect(await after.readmit({ userId: 'dee', token: tokens.get('cy') })).toMatchObject({
      code: 'NOT_ADMITTED',
      tokenRefusal: 'WRONG_USER',
    });
    expect(await after.join({ userId: 'ben', admissionToken: tokens.get('ben')! })).toMatchObject({
      ok: true,
      readmitted: true,
    });
    // two live admissions, maxActive 2: cy waits for a place, and is not admitted meanwhile
    expect(await after.readmit({ userId: 'cy', token: tokens.get('cy') })).toEqual({
      ok: false,
      code: 'ROOM_FULL',
    });
    expect(await store.admission({ saleId: 'readmit', userId: 'cy', now: clock.now() })).toEqual({
      admitted: false,
    });
    await after.leave({ userId: 'ana' });
    expect(await after.readmit({ userId: 'cy', token: tokens.get('cy') })).toMatchObject({
      ok: true,
      readmitted: true,
    });
    expect((await store.stats({ saleId: 'readmit', now: clock.now() })).active).toBe(2);
    // a buyer who was waiting holds no token: they queue again
    expect(await after.join({ userId: 'dee' })).toMatchObject({ ok: true, status: { state: 'WAITING' } });
  });
});

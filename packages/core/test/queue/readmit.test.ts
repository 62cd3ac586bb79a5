import { describe, expect, it } from 'vitest';
import { ConfigurationError, ValidationError } from '../../src';
import { MemoryWaitingRoomStore } from '../../src/subpaths/memory';
import type { WaitingRoom } from '../../src/subpaths/services';
import { ManualClock } from '../../src/subpaths/testing';
import { roomOver } from './room';

const SESSION_MS = 600_000;

/** A room over `store` admitting at most 2 at a time; over a fresh store, the room after its state was lost. */
const roomOfTwo = (store: MemoryWaitingRoomStore, clock: ManualClock) =>
  roomOver(store, clock, { maxActive: 2 });

/** Joins `users`, admits the first two, and answers their tokens. */
async function admitted(room: WaitingRoom, users: string[]) {
  for (const userId of users) await room.join({ userId });
  const report = await room.tick();
  return new Map(report.admitted.map((user) => [user.userId, user.admissionToken]));
}

describe('WaitingRoom.readmit: admitted buyers come back from their signed tokens after the room is lost', () => {
  it('re-admits a buyer with a valid token to a room that lost them, until the token expires, bounded by maxActive', async () => {
    const clock = new ManualClock(1_000_000);
    const tokens = await admitted(roomOfTwo(new MemoryWaitingRoomStore(), clock), ['ana', 'ben', 'cy']);
    expect([...tokens.keys()]).toEqual(['ana', 'ben']);

    // the store is lost (a wiped Redis): a room over an empty store, the same secret
    const store = new MemoryWaitingRoomStore();
    const room = roomOfTwo(store, clock);
    const saleId = room.sale.id;
    clock.advance(5_000);
    expect(await room.status({ userId: 'ana' })).toBeNull();
    expect((await store.admission({ saleId, userId: 'ana', now: clock.now() })).admitted).toBe(false);

    const back = await room.readmit({ userId: 'ana', token: tokens.get('ana') });
    expect(back).toMatchObject({ ok: true, readmitted: true, status: { state: 'ADMITTED' } });
    // the admission the reserve path checks is back, until the token's own expiry
    const admission = await store.admission({ saleId, userId: 'ana', now: clock.now() });
    expect(admission).toEqual({ admitted: true, until: 1_000_000 + SESSION_MS });
    // again: the room knows her, nothing changes
    expect(await room.readmit({ userId: 'ana', token: tokens.get('ana') })).toMatchObject({
      ok: true,
      readmitted: false,
    });

    // a token of someone else, a forged one, an expired one admit nobody
    expect(await room.readmit({ userId: 'cy', token: tokens.get('ben') })).toEqual({
      ok: false,
      code: 'NOT_ADMITTED',
      tokenRefusal: 'WRONG_USER',
    });
    const forged = `${tokens.get('ben')!.split('.')[0]}.${'A'.repeat(43)}`;
    expect(await room.readmit({ userId: 'ben', token: forged })).toMatchObject({
      tokenRefusal: 'BAD_SIGNATURE',
    });
    expect(await room.status({ userId: 'cy' })).toBeNull();

    // the cap holds: with maxActive 1, ben waits for a place
    room.setAdmissionRate({ maxActive: 1 });
    expect(await room.readmit({ userId: 'ben', token: tokens.get('ben') })).toEqual({
      ok: false,
      code: 'ROOM_FULL',
    });
    expect(await room.status({ userId: 'ben' })).toBeNull();
    room.setAdmissionRate({ maxActive: 2 });
    expect(await room.readmit({ userId: 'ben', token: tokens.get('ben') })).toMatchObject({
      ok: true,
      readmitted: true,
    });

    clock.advance(SESSION_MS);
    expect(await room.readmit({ userId: 'ben', token: tokens.get('ben') })).toMatchObject({
      tokenRefusal: 'EXPIRED',
    });
  });

  it('a join with a valid token re-admits; without one, or with a dead one, the buyer queues again', async () => {
    const clock = new ManualClock(1_000_000);
    const tokens = await admitted(roomOfTwo(new MemoryWaitingRoomStore(), clock), ['ana', 'ben']);
    const room = roomOfTwo(new MemoryWaitingRoomStore(), clock);
    expect(await room.join({ userId: 'ana', admissionToken: tokens.get('ana')! })).toMatchObject({
      ok: true,
      readmitted: true,
      alreadyJoined: false,
      status: { state: 'ADMITTED' },
    });
    expect(await room.join({ userId: 'ben', admissionToken: 'not-a-token' })).toMatchObject({
      ok: true,
      status: { state: 'WAITING', ticket: 1 },
    });
    expect(await room.join({ userId: 'cy' })).toMatchObject({
      ok: true,
      status: { state: 'WAITING', ticket: 2 },
    });
    await expect(room.readmit({ userId: 'bad user{1}', token: 'x' })).rejects.toBeInstanceOf(ValidationError);
  });

  it('says so when the store cannot re-admit', async () => {
    const clock = new ManualClock(1_000_000);
    const store = new MemoryWaitingRoomStore();
    const room = roomOfTwo(
      Object.assign(Object.create(store) as MemoryWaitingRoomStore, { readmit: undefined }),
      clock,
    );
    await expect(room.readmit({ userId: 'ana', token: 'x' })).rejects.toBeInstanceOf(ConfigurationError);
  });
});

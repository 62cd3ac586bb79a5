import { InfrastructureError } from '@seatrush/core';
import { MemoryWaitingRoomStore } from '@seatrush/core/memory';
import { AdmissionTokens, QueueingRoom } from '@seatrush/core/services';
import { ManualClock, testSale } from '@seatrush/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { overriding } from '../overriding';

// Found by the simulation (seed 3, fault kind `store`): a waiting-room store failing during the
// queueing room's start left a rejected promise nobody handled, and Node ends a process on an
// unhandled rejection — one failed Redis call at start-up took the whole API instance down.
describe('QueueingRoom start against a failing store', () => {
  const unhandled: unknown[] = [];
  const listener = (reason: unknown) => unhandled.push(reason);
  afterEach(() => {
    process.off('unhandledRejection', listener);
  });

  it('rejects the start and leaves no unhandled rejection behind; the next start works', async () => {
    process.on('unhandledRejection', listener);
    const store = new MemoryWaitingRoomStore();
    let failures = 1;
    const failing = overriding(store, {
      queueConfig: (input) => {
        if (failures-- > 0) return Promise.reject(new InfrastructureError('redis is down'));
        return store.queueConfig(input);
      },
    });
    const clock = new ManualClock();
    const room = new QueueingRoom({
      sale: testSale({
        id: 'sale-1',
        opensAt: clock.now(),
        admission: { usersPerInterval: 1, intervalMs: 1_000, maxActive: 5 },
      }),
      store: failing,
      tokens: new AdmissionTokens({ secret: 'a-secret-of-at-least-thirty-two-bytes!!' }),
      clock,
    });
    await expect(room.start()).rejects.toThrow('redis is down');
    // let Node notice an unhandled rejection, if one was left
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(unhandled).toEqual([]);
    await expect(room.start()).resolves.toMatchObject({ method: 'fifo' });
  });
});

import { describeInventorySteps, describeStripedInventoryStore } from '@seatrush/conformance';
import { RedisStripedInventoryStore, RedisWaitingRoomStore } from '@seatrush/redis-adapter';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { generalSale, isolatedPrefix, seatedSale } from './helpers';

/** A striped store (3 stripes) and the waiting room over one key prefix per test. */
async function stripedParts() {
  const redis = new Redis(inject('services').redisUrl);
  const keyPrefix = isolatedPrefix();
  return {
    inventory: new RedisStripedInventoryStore(redis, { keyPrefix, stripes: 3 }),
    waitingRoom: new RedisWaitingRoomStore(redis, { keyPrefix }),
    dispose: async () => void (await redis.quit()),
  };
}

describeStripedInventoryStore('RedisStripedInventoryStore, 3 stripes on one Redis', stripedParts);
// the lock strategy's steps: holds on stripe 0, which borrows from the others
describeInventorySteps('RedisStripedInventorySteps, 3 stripes on one Redis', async () => {
  const parts = await stripedParts();
  return { ...parts, steps: parts.inventory.steps() };
});

describe("a striped store's waiting list", () => {
  it('refuses a join to a striped sale (its per-user limit would not be exact) and serves a seated one', async () => {
    const { inventory, dispose } = await stripedParts();
    try {
      await inventory.load(generalSale('striped-ga', 30));
      await inventory.load(seatedSale('seated', 6));
      const waitingList = inventory.waitingList();
      await expect(
        waitingList.join({ saleId: 'striped-ga', userId: 'u1', size: 1, fallback: 'split', now: 1_000 }),
      ).rejects.toMatchObject({ code: 'INVALID_CONFIGURATION' });
      expect(
        await waitingList.join({ saleId: 'seated', userId: 'u1', size: 1, fallback: 'split', now: 1_000 }),
      ).toMatchObject({ ok: true, created: true });
      // the offer rounds of a striped sale find no party and offer nothing
      expect(
        await waitingList.offer({
          saleId: 'striped-ga',
          rows: [],
          offerIds: ['o1'],
          claimMs: 1_000,
          now: 2_000,
        }),
      ).toEqual([]);
    } finally {
      await dispose();
    }
  });
});

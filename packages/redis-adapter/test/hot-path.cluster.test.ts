import { checkDurability, connectRedis, RedisInventoryStore } from '@seatrush/redis-adapter';
import { clusterAddressesFromEnv } from '@seatrush/test-support';
import { Cluster } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { describeHotPathStores, redisCluster } from './deployments';
import { generalSale, isolatedPrefix, seatedSale } from './helpers';
import { buyerRequest } from './inventory-data';

const nodes = () => clusterAddressesFromEnv().redisClusterNodes;
const cluster = () => new Cluster(nodes(), { scaleReads: 'master' });

/** The same code on a 3-master Redis Cluster: every script's keys share the sale's slot. */
describeHotPathStores(redisCluster);

describe('the hot path on a 3-master Redis Cluster', () => {
  it('sells 12 sales spread over the masters at once without overselling any', async () => {
    const clients = Array.from({ length: 6 }, cluster);
    try {
      const keyPrefix = isolatedPrefix();
      const stores = clients.map((c) => new RedisInventoryStore(c, { keyPrefix }));
      const sales = Array.from({ length: 12 }, (_, s) => `sale${s}`);
      await Promise.all(
        sales.map((saleId, s) =>
          stores[0]!.load(s % 2 ? seatedSale(saleId, 40, 2) : generalSale(saleId, 50, 1)),
        ),
      );
      // the sales' hash tags land on more than one master
      const slots = new Set(
        sales.map((saleId) => clients[0]!.slots.length && keySlot(`${keyPrefix}sr:{${saleId}}:stock`)),
      );
      const owners = new Set([...slots].map((slot) => clients[0]!.slots[slot as number]?.[0]));
      expect(owners.size).toBeGreaterThan(1);
      const outcomes = await Promise.all(
        Array.from({ length: 3_000 }, (_, i) => {
          const s = i % sales.length;
          const selection =
            s % 2
              ? { kind: 'seats' as const, seatIds: [`s${(Math.floor(i / sales.length) % 40) + 1}`] }
              : { kind: 'quantity' as const, quantity: 1 };
          return stores[i % stores.length]!.reserve(
            buyerRequest(sales[s]!, i, { holdMs: 60_000, now: 1_000, selection }),
          );
        }),
      );
      for (const [s, saleId] of sales.entries()) {
        const counts = await stores[0]!.counts(saleId);
        const capacity = s % 2 ? 40 : 50;
        expect(counts).toEqual({
          saleId,
          initialStock: capacity,
          available: 0,
          held: capacity,
          confirmed: 0,
        });
        const mine = outcomes.filter((o, i) => i % sales.length === s && o.ok);
        expect(mine).toHaveLength(capacity);
      }
      const expired = await Promise.all(
        sales.map((saleId) => stores[1]!.expireDue({ saleId, now: 61_000, limit: 100 })),
      );
      expect(expired.flat()).toHaveLength(6 * 50 + 6 * 40);
      for (const saleId of sales)
        expect(await stores[2]!.counts(saleId)).toMatchObject({ held: 0, confirmed: 0 });
    } finally {
      await Promise.all(clients.map((c) => c.quit()));
    }
  });
});

/** CRC16 (XMODEM) of a key's hash tag, mod 16384: the Redis Cluster slot. */
function keySlot(key: string): number {
  const open = key.indexOf('{');
  const close = open >= 0 ? key.indexOf('}', open + 1) : -1;
  const tag = open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
  let crc = 0;
  for (const byte of Buffer.from(tag)) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

describe('checkDurability on a Redis Cluster', () => {
  it('checks every master of a Redis Cluster', async () => {
    const cluster = connectRedis({ mode: 'cluster', nodes: clusterAddressesFromEnv().redisClusterNodes });
    try {
      const store = new RedisInventoryStore(cluster, { keyPrefix: isolatedPrefix() });
      await store.load(generalSale('clustered', 2)); // connects and learns the masters
      const warnings = await checkDurability(cluster);
      // the test cluster runs without AOF (scripts/services/redis.sh): one warning per master
      expect(new Set(warnings.filter((w) => w.code === 'NO_AOF').map((w) => w.server)).size).toBe(3);
    } finally {
      await cluster.quit();
    }
  });
});

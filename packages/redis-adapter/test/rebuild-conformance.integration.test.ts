import { describeInventoryRebuild } from '@seatrush/conformance';
import { RedisInventoryStore, RedisStripedInventoryStore } from '@seatrush/redis-adapter';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { isolatedPrefix } from './helpers';

// Issue 20: the rebuild's store contract on Redis, single-slot and striped. A lost sale is its keys
// deleted; a partial loss keeps some hold records (those written between a SCAN and its DEL), and a
// lost stripe is one stripe's keys (a Cluster master's share of the sale).

/** Every key of the sale under `keyPrefix`, its stripes' among them (`{sale}` and `{sale~n}` tags). */
async function saleKeys(redis: Redis, keyPrefix: string, tag: string, stripes: boolean): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  const match = stripes ? `${keyPrefix}sr:{${tag}[}~]*` : `${keyPrefix}sr:{${tag}}:*`;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

function subject(stripes?: number) {
  const redis = new Redis(inject('services').redisUrl);
  const keyPrefix = isolatedPrefix();
  const inventory =
    stripes === undefined
      ? new RedisInventoryStore(redis, { keyPrefix })
      : new RedisStripedInventoryStore(redis, { keyPrefix, stripes });
  return {
    inventory,
    async loseSale(saleId: string, keepHoldRecords: string[] = []) {
      const kept = new Set(keepHoldRecords);
      const keys = (await saleKeys(redis, keyPrefix, saleId, true)).filter((key) => {
        const at = key.indexOf(':hold:');
        return at < 0 || !kept.has(key.slice(at + ':hold:'.length));
      });
      if (keys.length > 0) await redis.del(...keys);
    },
    async loseStripe(saleId: string, stripe: number) {
      const tags = (await redis.hget(`${keyPrefix}sr:{${saleId}}:stripes`, 'tags'))?.split(',') ?? [saleId];
      const keys = await saleKeys(redis, keyPrefix, tags[stripe]!, false);
      if (keys.length > 0) await redis.del(...keys);
    },
    dispose: async () => {
      const keys = await redis.keys(`${keyPrefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    },
  };
}

describeInventoryRebuild('RedisInventoryStore (rebuild)', async () => subject());
describeInventoryRebuild('RedisStripedInventoryStore, 3 stripes (rebuild)', async () => subject(3), true);

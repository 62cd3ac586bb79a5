import { homeStripe, slotOfTag } from '@seatrush/redis-adapter';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { stripeTags } from '../src/stripe-layout';

describe('stripe layout', () => {
  it('computes the slots Redis Cluster computes (CLUSTER KEYSLOT)', () => {
    expect(slotOfTag('foo')).toBe(12182);
    expect(slotOfTag('bar')).toBe(5061);
    expect(slotOfTag('123456789')).toBe(0x31c3 % 16384);
  });

  it('sends every user home to one stripe, the same in every process, about evenly', () => {
    expect(homeStripe('u1', 1)).toBe(0);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) {
      const home = homeStripe(`user-${i}`, 4);
      expect(homeStripe(`user-${i}`, 4)).toBe(home);
      counts[home]! += 1;
    }
    for (const count of counts) expect(count).toBeGreaterThan(9_000);
  });

  it('tags stripe 0 with the sale id and the others with slots of their own', () => {
    // a client that is no Cluster: no masters to spread over, only distinct slots
    const redis = new Redis({ lazyConnect: true });
    const tags = stripeTags(redis, 'sale-1', 8);
    expect(tags[0]).toBe('sale-1');
    expect(tags.slice(1).every((tag, i) => tag.startsWith(`sale-1~${i + 1}.`))).toBe(true);
    expect(new Set(tags.map(slotOfTag)).size).toBe(8);
    redis.disconnect();
  });
});

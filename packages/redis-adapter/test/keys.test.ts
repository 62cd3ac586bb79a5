import { KeySpace } from '@seatrush/redis-adapter';
import { describe, expect, it } from 'vitest';

describe('KeySpace', () => {
  it('puts every key of a sale under the sale hash tag, after the key prefix', () => {
    const keys = new KeySpace('app1:').sale('evt42');
    const all = [
      keys.meta,
      keys.stock,
      keys.seats,
      keys.users,
      keys.idempotency,
      keys.expiry,
      keys.fence,
      keys.admitted,
    ];
    all.push(
      keys.ticketSeq,
      keys.queue,
      keys.tickets,
      keys.heartbeats,
      keys.served,
      keys.hold('r1'),
      keys.holdTimer('r1'),
    );
    for (const key of all) expect(key.startsWith('app1:sr:{evt42}:')).toBe(true);
    expect(new Set(all).size).toBe(all.length);
    expect(keys.stock).toBe('app1:sr:{evt42}:stock');
  });

  it('reads the sale and reservation back from a hold timer key, and nothing from other keys', () => {
    const space = new KeySpace('p:');
    expect(space.parseHoldTimer(space.sale('s-1').holdTimer('r.9'))).toEqual({
      saleId: 's-1',
      reservationId: 'r.9',
    });
    expect(space.parseHoldTimer(space.sale('s-1').hold('r.9'))).toBeNull();
    expect(space.parseHoldTimer(new KeySpace('other:').sale('s-1').holdTimer('r'))).toBeNull();
  });
});

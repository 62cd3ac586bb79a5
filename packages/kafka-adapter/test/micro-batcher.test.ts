import { describe, expect, it } from 'vitest';
import { backoffDelay, MicroBatcher, type MicroBatcherOptions } from '../src';

const options = (o: Partial<MicroBatcherOptions> = {}): MicroBatcherOptions => ({
  lingerMs: 0,
  maxBatchCount: 100,
  maxBatchBytes: 1_000_000,
  maxInFlight: 1,
  ...o,
});

describe('MicroBatcher', () => {
  it('groups the calls of one tick into one batch, in order', async () => {
    const batches: number[][] = [];
    const batcher = new MicroBatcher<number>(
      options(),
      async (items) => {
        batches.push(items);
        return items.map(() => undefined);
      },
      () => 1,
    );
    await Promise.all(Array.from({ length: 10 }, (_, i) => batcher.add(i)));
    expect(batches).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);
  });

  it('splits by count and by bytes, and keeps one batch in flight at a time', async () => {
    const batches: number[][] = [];
    let inFlight = 0;
    let most = 0;
    const batcher = new MicroBatcher<number>(
      options({ maxBatchCount: 4, maxBatchBytes: 30 }),
      async (items) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        batches.push(items);
        inFlight -= 1;
        return items.map(() => undefined);
      },
      (n) => (n === 5 ? 25 : 10),
    );
    await Promise.all(Array.from({ length: 10 }, (_, i) => batcher.add(i)));
    expect(batches.flat()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(batches.every((b) => b.length <= 4)).toBe(true);
    // 5 weighs 25 bytes: it never shares a batch whose total would pass 30
    expect(batches.find((b) => b.includes(5))).toEqual([5]);
    expect(most).toBe(1);
  });

  it("settles each caller with its own item's outcome", async () => {
    const batcher = new MicroBatcher<number>(
      options(),
      async (items) => items.map((n) => (n % 2 === 0 ? undefined : new Error(`odd ${n}`))),
      () => 1,
    );
    const results = await Promise.allSettled([0, 1, 2, 3].map((n) => batcher.add(n)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected']);
    expect((results[1] as PromiseRejectedResult).reason.message).toBe('odd 1');
  });

  it('rejects every caller of a batch whose send throws', async () => {
    const batcher = new MicroBatcher<number>(
      options(),
      async () => {
        throw new Error('broker gone');
      },
      () => 1,
    );
    const results = await Promise.allSettled([batcher.add(1), batcher.add(2)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });

  it('flush sends what is lingering at once and waits for its answer', async () => {
    const sent: number[] = [];
    const batcher = new MicroBatcher<number>(
      options({ lingerMs: 60_000 }),
      async (items) => {
        sent.push(...items);
        return items.map(() => undefined);
      },
      () => 1,
    );
    const added = batcher.add(7);
    await batcher.flush();
    expect(sent).toEqual([7]);
    expect(batcher.pending).toBe(0);
    await added;
  });
});

describe('backoffDelay', () => {
  const policy = { maxAttempts: 6, initialDelayMs: 100, maxDelayMs: 1_000 };

  it('doubles from the initial delay up to the maximum, with jitter in the upper half', () => {
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(policy, a, () => 0))).toEqual([50, 100, 200, 400, 500]);
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(policy, a, () => 0.999_999))).toEqual([
      100, 200, 400, 800, 1_000,
    ]);
  });
});

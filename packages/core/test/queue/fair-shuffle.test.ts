import { describe, expect, it } from 'vitest';
import type { RandomBelow } from '../../src';
import { MemoryWaitingRoomStore } from '../../src/subpaths/memory';
import { fairShuffle } from '../../src/subpaths/services';
import { chiSquareCritical, chiSquareUniform } from '../../src/subpaths/testing';

const N = 10_000;
const BINS = 10;

/**
 * Runs `trials` openings of a 10,000-buyer pre-queue in the memory store and counts, for a tracked
 * subset (the 10 earliest and the 10 latest arrivals), which tenth of the queue they land in.
 */
async function positionsOfTracked(trials: number, random?: RandomBelow): Promise<number[]> {
  const bins = new Array<number>(BINS).fill(0);
  const tracked = [
    ...Array.from({ length: 10 }, (_, i) => i),
    ...Array.from({ length: 10 }, (_, i) => N - 1 - i),
  ];
  for (let t = 0; t < trials; t += 1) {
    const store = new MemoryWaitingRoomStore(random ? { random } : {});
    const saleId = `s${t}`;
    await store.configure({ saleId, preQueue: true });
    for (let i = 0; i < N; i += 1) {
      await store.enter({ saleId, userId: `b${i}`, now: 1, maxActive: 10, sessionMs: 1_000 });
    }
    await store.openPreQueue({ saleId, now: 2 });
    for (const i of tracked) {
      const position = await store.position({ saleId, userId: `b${i}`, now: 2 });
      bins[Math.floor(((position?.ticket ?? 0) - 1) / (N / BINS))]! += 1;
    }
  }
  return bins;
}

describe('pre-queue shuffle fairness (memory, many trials)', () => {
  it('puts the earliest and latest of 10,000 pre-queued buyers anywhere with equal chance', async () => {
    const bins = await positionsOfTracked(40);
    expect(bins.reduce((a, b) => a + b, 0)).toBe(40 * 20);
    expect(chiSquareUniform(bins)).toBeLessThan(chiSquareCritical(BINS - 1));
  }, 120_000);

  it('the same test catches a biased shuffle (a draw that always answers 0)', async () => {
    const bins = await positionsOfTracked(3, () => 0);
    expect(chiSquareUniform(bins)).toBeGreaterThan(chiSquareCritical(BINS - 1));
  }, 60_000);

  it('fairShuffle gives every item every position equally often over 20,000 shuffles', () => {
    const n = 12;
    const counts = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    for (let t = 0; t < 20_000; t += 1) {
      const order = fairShuffle(Array.from({ length: n }, (_, i) => i));
      order.forEach((item, position) => {
        counts[item]![position]! += 1;
      });
    }
    for (const row of counts) expect(chiSquareUniform(row)).toBeLessThan(chiSquareCritical(n - 1));
    // and the naive "swap with any index" shuffle, which is biased, is caught by the same test
    const naive = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    for (let t = 0; t < 20_000; t += 1) {
      const items = Array.from({ length: n }, (_, i) => i);
      for (let i = 0; i < n; i += 1) {
        const j = Math.floor(Math.random() * n);
        [items[i], items[j]] = [items[j]!, items[i]!];
      }
      items.forEach((item, position) => {
        naive[item]![position]! += 1;
      });
    }
    expect(naive.some((row) => chiSquareUniform(row) > chiSquareCritical(n - 1))).toBe(true);
  });
});

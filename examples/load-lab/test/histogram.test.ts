import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketOf, Histogram, highestIn } from '../src/histogram';

describe('log-linear histogram', () => {
  it('maps every value to a bucket whose range contains it, buckets in order', () => {
    let previous = -1;
    for (let v = 0; v < 300_000; v += v < 1_000 ? 1 : 97) {
      const b = bucketOf(v);
      expect(b).toBeGreaterThanOrEqual(previous);
      expect(highestIn(b)).toBeGreaterThanOrEqual(v);
      if (b > 0) expect(highestIn(b - 1)).toBeLessThan(v);
      previous = b;
    }
  });

  it('keeps every value within 1/128 of itself', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (v) => {
        const top = highestIn(bucketOf(v));
        expect(top).toBeGreaterThanOrEqual(v);
        expect((top - v) / v).toBeLessThanOrEqual(1 / 128);
      }),
    );
  });

  it('answers percentiles within 1 % of the exact ones', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.01, max: 60_000, noNaN: true }), { minLength: 1, maxLength: 400 }),
        fc.constantFrom(50, 90, 95, 99, 99.9, 100),
        (values, p) => {
          const h = new Histogram();
          for (const v of values) h.record(v);
          const sorted = [...values].sort((a, b) => a - b);
          const exact = sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
          const answer = h.percentile(p);
          // the bucket's upper edge: never below the exact value by more than rounding to 1 µs
          expect(answer).toBeGreaterThanOrEqual(exact - 0.001);
          expect(answer).toBeLessThanOrEqual(exact * (1 + 1 / 128) + 0.001);
        },
      ),
    );
  });

  it('summarises count, extremes and mean, and merges by adding counts', () => {
    const a = new Histogram();
    const b = new Histogram();
    for (let i = 1; i <= 100; i++) a.record(i);
    for (let i = 101; i <= 200; i++) b.record(i);
    expect(a.summary()).toMatchObject({ count: 100, minMs: 1, maxMs: 100, meanMs: 50.5 });
    a.merge(b);
    const s = a.summary();
    expect(s).toMatchObject({ count: 200, minMs: 1, maxMs: 200 });
    expect(s.p50).toBeCloseTo(100, 0);
    expect(s.p99).toBeGreaterThanOrEqual(198);
    expect(s.p99).toBeLessThanOrEqual(200);
  });

  it('is empty-safe', () => {
    expect(new Histogram().summary()).toMatchObject({ count: 0, minMs: 0, maxMs: 0, meanMs: 0, p99: 0 });
  });
});

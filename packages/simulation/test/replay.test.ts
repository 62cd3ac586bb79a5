import { describe, expect, it } from 'vitest';
import { runSimulation } from '../src/simulation';

describe('replay', () => {
  it('runs a seed the same way twice: same steps, same virtual time, same outcome', async () => {
    const first = await runSimulation({ seed: 7 });
    const second = await runSimulation({ seed: 7 });
    expect(second.fingerprint).toBe(first.fingerprint);
    expect(second.steps).toBe(first.steps);
    expect(second.virtualMs).toBe(first.virtualMs);
    expect(second.stats).toEqual(first.stats);
  });

  it('replays three instances with the buyer-driven checkout and its webhooks exactly', async () => {
    const config = { seed: 2, instances: 3, checkout: 'buyer' as const };
    const first = await runSimulation(config);
    expect(first.stats.webhooks!.attempts).toBeGreaterThan(0);
    const second = await runSimulation(config);
    expect(second.fingerprint).toBe(first.fingerprint);
    expect(second.stats).toEqual(first.stats);
  });

  it('runs another seed another way', async () => {
    const [a, b] = [await runSimulation({ seed: 7 }), await runSimulation({ seed: 8 })];
    expect(a.fingerprint).not.toBe(b.fingerprint);
  });

  it('restores the real timers after a run', async () => {
    const before = globalThis.setTimeout;
    await runSimulation({ seed: 1, maxSteps: 200 });
    expect(globalThis.setTimeout).toBe(before);
  });
});

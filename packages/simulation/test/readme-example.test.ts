import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');

describe('the README example', () => {
  it('is examples/replay-a-seed.ts, verbatim', () => {
    expect(read('../README.md')).toContain(read('../examples/replay-a-seed.ts').trim());
  });

  it('runs: the sale keeps its invariants, settles and replays identically', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await import('../examples/replay-a-seed');
      expect(log).toHaveBeenCalledWith(true, true, true);
    } finally {
      log.mockRestore();
    }
  });
});

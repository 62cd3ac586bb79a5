import { readFileSync } from 'node:fs';
import { uniqueName } from '@seatrush/test-support';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { databaseUrl, dropSchema } from './fixtures';

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');

describe('the README example of ReadSide', () => {
  const schema = uniqueName('sr_readme_serve');
  afterAll(async () => {
    await dropSchema(schema);
  });

  it('is test/read-side-serving-readme-example.ts, verbatim', () => {
    expect(read('../README.md')).toContain(read('./read-side-serving-readme-example.ts').trim());
  });

  it('runs: the hot store answers until the projector caught up, then the views', async () => {
    process.env.DATABASE_URL = databaseUrl();
    process.env.READ_SCHEMA = schema;
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await import('./read-side-serving-readme-example');
      expect(log.mock.calls[0]?.[0]).toMatchObject({ source: 'hot-store', fallback: 'stale', value: [] });
      expect(log.mock.calls[1]?.[0]).toMatchObject({
        source: 'read-side',
        fallback: null,
        value: [{ seatId: 'A7', state: 'HELD', userId: 'alice', reservationId: 'r-1', expiresAt: 301_000 }],
      });
      expect(log.mock.calls[2]).toEqual([1, true]);
    } finally {
      log.mockRestore();
    }
  }, 30_000);
});

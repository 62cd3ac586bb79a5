import { readFileSync } from 'node:fs';
import { uniqueName } from '@seatrush/test-support';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { databaseUrl, dropSchema } from './fixtures';

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');

describe('the README example of the read side', () => {
  const schema = uniqueName('sr_readme');
  afterAll(async () => {
    await dropSchema(schema);
    await dropSchema(`${schema}_rebuilt`);
  });

  it('is test/read-side-readme-example.ts, verbatim', () => {
    expect(read('../README.md')).toContain(read('./read-side-readme-example.ts').trim());
  });

  it('runs: the seat is sold to alice, a replay changes nothing, the rebuild agrees', async () => {
    process.env.DATABASE_URL = databaseUrl();
    process.env.READ_SCHEMA = schema;
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await import('./read-side-readme-example');
      expect(log.mock.calls[0]?.[0]).toEqual({ applied: 0, duplicates: 4 });
      expect(log.mock.calls[1]?.[0]).toMatchObject([{ seatId: 'A7', state: 'SOLD', userId: 'alice' }]);
      expect(log.mock.calls[2]?.[0]).toHaveLength(4);
      expect(log.mock.calls[3]?.[0]).toEqual([]);
    } finally {
      log.mockRestore();
    }
  });
});

import { readFileSync } from 'node:fs';
import { uniqueName } from '@seatrush/test-support';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { databaseUrl, dropSchema } from './fixtures';

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');

/** A README example kept as a file of its own in test/, and what its run must log. */
export interface ReadmeExample {
  /** The example's file name in test/ (without `.ts`). */
  file: string;
  /** Imports the example, which runs it (an import the bundler can see). */
  load: () => Promise<unknown>;
  /** The prefix of the fresh schema the example runs in (its `READ_SCHEMA`). */
  schemaPrefix: string;
  /** Schemas the example makes beside its own, by suffix, dropped after it too. */
  alsoDrops?: string[];
  /** The second test's name: what the run shows. */
  runs: string;
  /** Checks what the example logged, call by call. */
  expectLogged: (calls: unknown[][]) => void;
  timeoutMs?: number;
}

/**
 * Two tests of a README example: the README holds the file verbatim, and the file runs on the
 * database in a fresh schema, logging what `expectLogged` expects.
 */
export function describeReadmeExample(title: string, example: ReadmeExample): void {
  describe(title, () => {
    const schema = uniqueName(example.schemaPrefix);
    afterAll(async () => {
      await dropSchema(schema);
      for (const suffix of example.alsoDrops ?? []) await dropSchema(`${schema}${suffix}`);
    });

    it(`is test/${example.file}.ts, verbatim`, () => {
      expect(read('../README.md')).toContain(read(`./${example.file}.ts`).trim());
    });

    it(
      example.runs,
      async () => {
        process.env.DATABASE_URL = databaseUrl();
        process.env.READ_SCHEMA = schema;
        const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
        try {
          await example.load();
          example.expectLogged(log.mock.calls);
        } finally {
          log.mockRestore();
        }
      },
      example.timeoutMs,
    );
  });
}

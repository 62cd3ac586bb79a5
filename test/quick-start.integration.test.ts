import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { uniqueName } from './support';

const root = fileURLToPath(new URL('..', import.meta.url));
const program = join(root, 'test/quick-start/quick-start.ts');

/** The ```ts block that follows the quick-start marker of a README. */
function quickStartOf(readme: string): string {
  const text = readFileSync(join(root, readme), 'utf8');
  const marker = text.indexOf('<!-- quick-start: test/quick-start/quick-start.ts -->');
  expect(marker, `${readme} has the quick-start marker`).toBeGreaterThan(-1);
  const block = /```ts\n([\s\S]*?)```/.exec(text.slice(marker));
  return block?.[1] ?? '';
}

describe('the real-server quick start of the README', () => {
  const services = inject('services');
  const namespace = uniqueName('quickstart');
  afterAll(async () => {
    const db = new pg.Pool({ connectionString: services.databaseUrl, max: 1 });
    await db.query(`DROP SCHEMA IF EXISTS ${namespace} CASCADE`).catch(() => {});
    await db.end();
  });

  it('is shown verbatim in the root README and in core’s README, in at most 20 lines', () => {
    const code = readFileSync(program, 'utf8');
    expect(code.trimEnd().split('\n').length).toBeLessThanOrEqual(20);
    expect(quickStartOf('README.md')).toBe(code);
    expect(quickStartOf('packages/core/README.md')).toBe(code);
  });

  it('runs one sale end to end on Redis, Kafka and PostgreSQL as a host program, and exits by itself', async () => {
    // a host's project: the built packages and the clients in its node_modules, the program as is
    const host = mkdtempSync(join(tmpdir(), 'seatrush-quick-start-'));
    try {
      mkdirSync(join(host, 'node_modules/@seatrush'), { recursive: true });
      for (const name of ['core', 'redis-adapter', 'kafka-adapter', 'pg-adapter']) {
        symlinkSync(join(root, 'packages', name), join(host, 'node_modules/@seatrush', name));
      }
      for (const name of ['ioredis', 'pg'])
        symlinkSync(join(root, 'node_modules', name), join(host, 'node_modules', name));
      copyFileSync(program, join(host, 'quick-start.mts'));
      const started = Date.now();
      const { stdout } = await promisify(execFile)(process.execPath, ['quick-start.mts'], {
        cwd: host,
        timeout: 120_000,
        env: {
          ...process.env,
          REDIS_URL: services.redisUrl,
          KAFKA_BROKERS: services.kafkaBrokers.join(','),
          DATABASE_URL: services.databaseUrl,
          NAMESPACE: namespace,
        },
      });
      // it printed the outcome and exited: nothing it opened kept the process alive
      expect(stdout.trim()).toBe('ACCEPTED CONFIRMED');
      console.info(`[quick start] ran and exited in ${Date.now() - started} ms`);
    } finally {
      rmSync(host, { recursive: true, force: true });
    }
  }, 150_000);
});

import type { Redis } from 'ioredis';
import { holdArgs } from '../src/hold-calls';

/** Deletes the benchmark's keys (SCAN + UNLINK), so runs leave nothing behind. */
export async function cleanup(redis: Redis, keyPrefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 5_000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}

/** Runs a benchmark's main; a failure is printed and sets a non-zero exit code. */
export function runBenchmark(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}

/**
 * The ARGV the adapter sends for a general-admission reserve of 1 unit (see src/hold-calls.ts),
 * with `redis-benchmark`'s `__rand_int__` placeholders: a random user and ids on every call.
 */
export function randomReserveArgs(times: { holdMs: number; now: number; retentionMs: number }): string[] {
  return holdArgs({
    reservationId: 'r__rand_int__',
    userId: 'u__rand_int__',
    idempotencyKey: 'k__rand_int__',
    fingerprint: 'u__rand_int__|q|1',
    mode: 'q',
    requireAdmission: false,
    withTimer: false,
    units: 1,
    ...times,
    relayLagLimitMs: 0,
  });
}

import type { Redis } from 'ioredis';

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

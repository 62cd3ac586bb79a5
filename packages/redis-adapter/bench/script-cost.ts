/**
 * What one reserve costs Redis, the script of a git revision (default f31fd82, before issue 16's
 * includes and packed arguments) against today's, on one private `redis-server`: each run is
 * `redis-benchmark -c 50 -n BENCH_REQUESTS` EVALSHA of one script with the arguments its adapter
 * sent (a random user, reservation and key per call, general admission, no gate, no admission),
 * alternated BENCH_ROUNDS times with INCR as the yardstick; INFO commandstats' usec_per_call per
 * run. Prints the minimum (the run least disturbed by other work on the machine) and the median.
 *
 *   pnpm --filter @seatrush/redis-adapter bench:script-cost
 *   BENCH_BASELINE=<rev> BENCH_ROUNDS=7 BENCH_REQUESTS=20000 pnpm --filter @seatrush/redis-adapter bench:script-cost
 *
 * Prints figures; asserts nothing.
 */
import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { holdArgs } from '../src/hold-calls';
import { RedisInventoryStore } from '../src/index';
import { KeySpace } from '../src/keys';
import { luaSources } from '../src/scripts';
import { startRedis } from '../test/redis-process';
import { runBenchmark } from './support';

const baseline = process.env.BENCH_BASELINE ?? 'f31fd82';
const rounds = Number(process.env.BENCH_ROUNDS ?? 7);
const requests = Number(process.env.BENCH_REQUESTS ?? 20_000);
const saleId = 'cost';
const now = Date.now();

/** The KEYS and ARGV each script's adapter sent for a general-admission reserve of 1 unit. */
function callOf(which: 'baseline' | 'today'): string[] {
  const keys = new KeySpace('').sale(saleId);
  if (which === 'today') {
    const args = holdArgs({
      reservationId: 'r__rand_int__',
      userId: 'u__rand_int__',
      idempotencyKey: 'k__rand_int__',
      fingerprint: 'u__rand_int__|q|1',
      mode: 'q',
      requireAdmission: false,
      withTimer: false,
      units: 1,
      holdMs: 600_000,
      now,
      retentionMs: 86_400_000,
      relayLagLimitMs: 0,
    });
    return ['1', keys.meta, ...args];
  }
  const hold = [keys.hold('r__rand_int__'), keys.holdTimer('r__rand_int__')];
  const sale = [keys.meta, keys.stock, keys.seats, keys.users, keys.idempotency, keys.expiry, keys.admitted];
  return [
    '10',
    ...sale,
    ...hold,
    keys.outbox,
    keys.base,
    saleId,
    'u__rand_int__',
    'r__rand_int__',
    'k__rand_int__',
    'u__rand_int__|q|1',
    'quantity',
    '1',
    '600000',
    '0',
    String(now),
    '86400000',
    '0',
    '0',
  ];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const server = await startRedis();
  const redis = new Redis(server.url);
  try {
    const old = execFileSync('git', ['show', `${baseline}:packages/redis-adapter/src/lua/reserve.lua`], {
      encoding: 'utf8',
    });
    const shas = {
      baseline: (await redis.script('LOAD', old)) as string,
      today: (await redis.script('LOAD', luaSources().get('reserve')!)) as string,
    };
    await new RedisInventoryStore(redis).load({
      saleId,
      initialStock: 10_000_000,
      available: 10_000_000,
      seatIds: [],
      confirmedSeatIds: [],
      ticketsPerUser: 1,
      confirmedPerUser: {},
    });
    const { port } = new URL(server.url);
    const usecPerCall = async (command: string[], stat: string): Promise<number> => {
      await redis.config('RESETSTAT');
      execFileSync('redis-benchmark', [
        '-p',
        port,
        '-c',
        '50',
        '-n',
        String(requests),
        '-r',
        '1000000000',
        '-q',
        ...command,
      ]);
      const line = new RegExp(`cmdstat_${stat}:calls=\\d+,usec=\\d+,usec_per_call=([\\d.]+)`).exec(
        await redis.info('commandstats'),
      );
      return Number(line?.[1]);
    };
    const figures: Record<string, number[]> = { baseline: [], today: [], INCR: [] };
    for (let round = 0; round < rounds; round++) {
      figures.baseline!.push(await usecPerCall(['EVALSHA', shas.baseline, ...callOf('baseline')], 'evalsha'));
      figures.today!.push(await usecPerCall(['EVALSHA', shas.today, ...callOf('today')], 'evalsha'));
      figures.INCR!.push(await usecPerCall(['INCR', 'yardstick'], 'incr'));
    }
    console.log(
      `usec_per_call (INFO commandstats) of one reserve, ${rounds} alternated runs of redis-benchmark -c 50 -n ${requests}:`,
    );
    const incr = Math.min(...figures.INCR!);
    for (const [name, values] of Object.entries(figures)) {
      const label =
        name === 'INCR' ? 'INCR' : name === 'baseline' ? `reserve.lua at ${baseline}` : 'reserve.lua today';
      console.log(
        `${label.padEnd(28)} min ${Math.min(...values)
          .toFixed(2)
          .padStart(7)} µs (${(Math.min(...values) / incr).toFixed(0).padStart(3)} INCRs)   ` +
          `median ${median(values).toFixed(2).padStart(7)} µs   (${values.map((v) => v.toFixed(1)).join(', ')})`,
      );
    }
  } finally {
    await redis.quit();
    await server.destroy();
  }
}

runBenchmark(main);

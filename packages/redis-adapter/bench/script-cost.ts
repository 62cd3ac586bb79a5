/**
 * What one reserve costs Redis, the script of a git revision (default f31fd82, before issue 16's
 * includes and packed arguments) against today's, on one private `redis-server`: each run is
 * `redis-benchmark -c 50 -n BENCH_REQUESTS` EVALSHA of one script with the arguments its adapter
 * sent (a random user, reservation and key per call, general admission, no gate, no admission),
 * alternated BENCH_ROUNDS times with INCR as the yardstick; INFO commandstats' usec_per_call per
 * run, and the server's CPU time per request (INFO cpu, user + sys, command and network together),
 * which other work on the machine does not inflate as it does wall-clock usec. Prints the
 * minimum (the run least disturbed) and the median of each, and where today's script spends it:
 * the same call answering before it reads anything, and after its checks (before the writes).
 *
 *   pnpm --filter @seatrush/redis-adapter bench:script-cost
 *   BENCH_BASELINE=<rev> BENCH_ROUNDS=7 BENCH_REQUESTS=20000 pnpm --filter @seatrush/redis-adapter bench:script-cost
 *
 * Prints figures; asserts nothing.
 */
import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { RedisInventoryStore } from '../src/index';
import { KeySpace } from '../src/keys';
import { luaSources } from '../src/scripts';
import { generalSale } from '../test/inventory-data';
import { startRedis } from '../test/redis-process';
import { randomReserveArgs, runBenchmark } from './support';

const baseline = process.env.BENCH_BASELINE ?? 'f31fd82';
const rounds = Number(process.env.BENCH_ROUNDS ?? 7);
const requests = Number(process.env.BENCH_REQUESTS ?? 20_000);
const saleId = 'cost';
const now = Date.now();

/** The KEYS and ARGV each script's adapter sent for a general-admission reserve of 1 unit. */
function callOf(which: 'baseline' | 'today'): string[] {
  const keys = new KeySpace('').sale(saleId);
  if (which === 'today') {
    const args = randomReserveArgs({ holdMs: 600_000, now, retentionMs: 86_400_000 });
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
    const today = luaSources().get('reserve')!;
    const writes = "return holdUnits(seatIds, {}) or { 'HELD' }";
    if (!today.includes(writes))
      throw new Error('reserve.lua no longer ends with its writes: update the breakdown');
    const shas = {
      baseline: (await redis.script('LOAD', old)) as string,
      today: (await redis.script('LOAD', today)) as string,
      // the breakdown: the same call answered before anything is read, and after the checks
      call: (await redis.script('LOAD', `if true then return { 'HELD' } end\n${today}`)) as string,
      checks: (await redis.script('LOAD', today.replace(writes, "return { 'HELD' }"))) as string,
    };
    await new RedisInventoryStore(redis).load(generalSale(saleId, 10_000_000, 1));
    const { port } = new URL(server.url);
    const cpuSeconds = async () => {
      const info = await redis.info('cpu');
      const of = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1]);
      return of('used_cpu_user') + of('used_cpu_sys');
    };
    const usec: Record<string, number[]> = {};
    const cpu: Record<string, number[]> = {};
    const measure = async (name: string, command: string[], stat: string): Promise<void> => {
      await redis.config('RESETSTAT');
      const before = await cpuSeconds();
      const options = ['-p', port, '-c', '50', '-n', String(requests), '-r', '1000000000', '-q'];
      execFileSync('redis-benchmark', [...options, ...command]);
      const spent = ((await cpuSeconds()) - before) * 1e6;
      const line = new RegExp(`cmdstat_${stat}:calls=(\\d+),usec=\\d+,usec_per_call=([\\d.]+)`).exec(
        await redis.info('commandstats'),
      );
      usec[name] = [...(usec[name] ?? []), Number(line?.[2])];
      cpu[name] = [...(cpu[name] ?? []), spent / Number(line?.[1])];
    };
    for (let round = 0; round < rounds; round++) {
      await measure('baseline', ['EVALSHA', shas.baseline, ...callOf('baseline')], 'evalsha');
      await measure('today', ['EVALSHA', shas.today, ...callOf('today')], 'evalsha');
      await measure('call', ['EVALSHA', shas.call, ...callOf('today')], 'evalsha');
      await measure('checks', ['EVALSHA', shas.checks, ...callOf('today')], 'evalsha');
      await measure('INCR', ['INCR', 'yardstick'], 'incr');
    }
    console.log(`one reserve on Redis, ${rounds} alternated runs of redis-benchmark -c 50 -n ${requests}:`);
    const labels: Record<string, string> = {
      baseline: `reserve.lua at ${baseline}`,
      today: 'reserve.lua today',
      call: '  its call alone',
      checks: '  its call and checks',
      INCR: 'INCR',
    };
    for (const [what, table] of [
      ['usec_per_call', usec],
      ['server CPU a request', cpu],
    ] as const) {
      const incr = Math.min(...table.INCR!);
      for (const [name, values] of Object.entries(table)) {
        const least = Math.min(...values);
        console.log(
          `${what.padEnd(21)} ${labels[name]!.padEnd(26)} min ${least.toFixed(2).padStart(7)} µs ` +
            `(${(least / incr).toFixed(1).padStart(5)} INCRs)   median ${median(values).toFixed(2).padStart(7)} µs` +
            `   (${values.map((v) => v.toFixed(1)).join(', ')})`,
        );
      }
    }
  } finally {
    await redis.quit();
    await server.destroy();
  }
}

runBenchmark(main);

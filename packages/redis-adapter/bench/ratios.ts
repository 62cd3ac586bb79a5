/**
 * The SDK's reserve against the server's own ceiling, side by side in one run: core's
 * `Reservations.reserve` on `RedisInventoryStore` (BENCH_CLIENTS callers over 8 connections, one
 * sale, no publisher), with and without ioredis auto-pipelining, the store's `reserve` alone
 * (auto-pipelined: one script call a reserve, as EVALSHA is), and `redis-benchmark` calling the
 * SAME assembled reserve script by EVALSHA with the SAME packed arguments, `-c 50` and
 * `-c 50 -P 16`. BENCH_PAIRS (3) back-to-back rounds; each ratio is the median of the rounds'
 * ratios. Then what one call costs Redis: INFO commandstats (usec_per_call) and SLOWLOG (every
 * call logged) over a sample of SDK reserves.
 *
 *   pnpm --filter @seatrush/redis-adapter bench:ratios
 *   BENCH_REQUESTS=20000 BENCH_PAIRS=3 BENCH_CLIENTS=64 BENCH_WARMUP=1 pnpm --filter @seatrush/redis-adapter bench:ratios
 *   BENCH_ONLY=runtime node --cpu-prof dist/bench/ratios.js   # the runtime and the store alone, to profile
 *
 * BENCH_WARMUP (1) untimed runs of each SDK path come first, so the rounds measure the code V8
 * has compiled (a host's process serves reserves for hours), not its first seconds.
 *
 * Starts a private `redis-server` (BENCH_REDIS_URL to use another; the script resets its stats
 * and slowlog settings). Prints figures; asserts nothing.
 */
import { execFileSync } from 'node:child_process';
import { systemClock } from '@seatrush/core';
import { MemoryAlertSink } from '@seatrush/core/memory';
import { Reservations } from '@seatrush/core/services';
import { Redis, type RedisOptions } from 'ioredis';
import { RedisInventoryStore } from '../src/index';
import { KeySpace } from '../src/keys';
import { luaSources } from '../src/scripts';
import { generalSale } from '../test/inventory-data';
import { benchServer, nullPublisher, oneEachDefinition, randomReserveArgs, runBenchmark } from './support';

const requests = Number(process.env.BENCH_REQUESTS ?? 20_000);
const pairs = Number(process.env.BENCH_PAIRS ?? 3);
const callers = Number(process.env.BENCH_CLIENTS ?? 64);
const warmups = Number(process.env.BENCH_WARMUP ?? 1);
const connectionsCount = 8;
const benchmarkClients = 50;
const STOCK = 10_000_000;
const AUTO: RedisOptions = { enableAutoPipelining: true };

async function loadSale(redis: Redis, saleId: string): Promise<void> {
  await new RedisInventoryStore(redis).load(generalSale(saleId, STOCK, 1));
}

/** One reserve of caller `i`, answering whether it held. */
type ReserveOne = (i: number) => Promise<boolean>;

/** The SDK as a host runs it: core's `Reservations` over the store (the relay marks each hold relayed). */
function throughRuntime(saleId: string, round: number) {
  return (redis: Redis): ReserveOne => {
    const service = new Reservations({
      sale: oneEachDefinition(saleId, STOCK),
      inventory: new RedisInventoryStore(redis),
      publisher: nullPublisher,
      clock: systemClock,
      alerts: new MemoryAlertSink(),
      requireAdmission: false,
    });
    return async (i) =>
      (
        await service.reserve({
          userId: `u${round}x${i}`,
          idempotencyKey: `k${round}x${i}`,
          selection: { kind: 'quantity', quantity: 1 },
        })
      ).ok;
  };
}

/** The adapter alone: `RedisInventoryStore.reserve`, one script call a reserve, as EVALSHA is. */
function storeAlone(saleId: string, round: number) {
  return (redis: Redis): ReserveOne => {
    const store = new RedisInventoryStore(redis);
    return async (i) =>
      (
        await store.reserve({
          saleId,
          userId: `u${round}x${i}`,
          reservationId: `r${round}x${i}`,
          idempotencyKey: `k${round}x${i}`,
          selection: { kind: 'quantity', quantity: 1 },
          holdMs: 600_000,
          requireAdmission: false,
          now: Date.now(),
        })
      ).ok;
  };
}

/** A run of the SDK: reserves per second, and the CPU time of this process per reserve, in µs. */
interface SdkRun {
  rate: number;
  cpuUs: number;
}

/** Reserves per second of `requests` reserves through `callers` concurrent callers (distinct users). */
async function sdkRate(
  url: string,
  options: RedisOptions,
  saleId: string,
  reserver: (redis: Redis) => ReserveOne,
): Promise<SdkRun> {
  const connections = Array.from({ length: connectionsCount }, () => new Redis(url, options));
  try {
    await loadSale(connections[0]!, saleId);
    const reserves = connections.map(reserver);
    let next = 0;
    let held = 0;
    const started = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    await Promise.all(
      Array.from({ length: callers }, async (_, caller) => {
        const reserve = reserves[caller % reserves.length]!;
        while (next < requests) {
          if (await reserve(next++)) held += 1;
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const used = process.cpuUsage(cpu);
    if (held !== requests) console.log(`  (${requests - held} of ${requests} SDK reserves were refused)`);
    return { rate: requests / seconds, cpuUs: (used.user + used.system) / requests };
  } finally {
    await Promise.all(connections.map((c) => c.quit()));
  }
}

/** `redis-benchmark` EVALSHA of the reserve script, with the arguments the SDK sends. */
function evalshaRate(url: string, sha: string, saleId: string, pipeline: number): number {
  const { hostname, port } = new URL(url);
  const args = randomReserveArgs({ holdMs: 600_000, now: Date.now(), retentionMs: 86_400_000 });
  const out = execFileSync(
    'redis-benchmark',
    [
      ...['-h', hostname, '-p', port || '6379', '-c', String(benchmarkClients), '-n', String(requests)],
      ...['-P', String(pipeline), '-r', '1000000000', '--csv'],
      ...['EVALSHA', sha, '1', new KeySpace('').sale(saleId).meta, ...args],
    ],
    { encoding: 'utf8' },
  );
  // --csv: a header line, then "EVALSHA …","<requests per second>",…
  const row = out.trim().split('\n').pop() ?? '';
  return Number(JSON.parse(`[${row}]`)[1]);
}

/** Median of a list of numbers. */
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** usec_per_call of EVALSHA since the last CONFIG RESETSTAT. */
async function evalshaUsecPerCall(admin: Redis): Promise<number> {
  const info = await admin.info('commandstats');
  const match = /cmdstat_evalsha:calls=(\d+),usec=(\d+),usec_per_call=([\d.]+)/.exec(info);
  return match ? Number(match[3]) : Number.NaN;
}

async function main(): Promise<void> {
  const server = await benchServer();
  const { url, own } = server;
  const admin = new Redis(url);
  try {
    await admin.flushall();
    const version = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1];
    const sha = (await admin.script('LOAD', luaSources().get('reserve')!)) as string;
    console.log(
      `SeatRush reserve vs redis-benchmark EVALSHA of the same reserve.lua, Redis ${version}${own ? ' (private server)' : ''}: ` +
        `${requests} requests a run, SDK ${callers} callers over ${connectionsCount} connections, ` +
        `redis-benchmark -c ${benchmarkClients}; ${warmups} untimed warm-up run(s) of each SDK path, ` +
        `then ${pairs} back-to-back rounds, medians`,
    );
    const rows: Record<string, number[]> = {};
    const add = (name: string, value: number) => {
      rows[name] ??= [];
      rows[name].push(value);
    };
    // One untimed run of each SDK path first: its first 20,000 reserves run while V8 is still
    // compiling the path (round 1 made half of round 3 in a cold process), and redis-benchmark,
    // in C, has nothing to warm up.
    for (let w = 0; w < warmups; w++) {
      await sdkRate(url, {}, `warm${w}`, throughRuntime(`warm${w}`, -1 - w));
      await sdkRate(url, AUTO, `warmauto${w}`, throughRuntime(`warmauto${w}`, -1 - w));
      await sdkRate(url, AUTO, `warmalone${w}`, storeAlone(`warmalone${w}`, -1 - w));
    }
    if (process.env.BENCH_ONLY === 'runtime') {
      // for a CPU profile of the runtime's reserve alone (node --cpu-prof dist/bench/ratios.js)
      for (let round = 0; round < pairs; round++) {
        const rate = (await sdkRate(url, AUTO, `only${round}`, throughRuntime(`only${round}`, round))).rate;
        const alone = (await sdkRate(url, AUTO, `onlyalone${round}`, storeAlone(`onlyalone${round}`, round)))
          .rate;
        console.log(
          `  round ${round + 1}: SDK auto-pipelined ${rate.toFixed(0)}/s, store alone ${alone.toFixed(0)}/s`,
        );
      }
      return;
    }
    for (let round = 0; round < pairs; round++) {
      // each round runs its five measurements in turn, odd rounds in the reverse order, so that a
      // load that rises or falls during a round weighs on both sides of each ratio alike
      let plain = { rate: 0, cpuUs: 0 };
      let auto = { rate: 0, cpuUs: 0 };
      let alone = { rate: 0, cpuUs: 0 };
      let c50 = 0;
      let p16 = 0;
      const steps: Array<() => Promise<void>> = [
        async () => {
          await loadSale(admin, `ceiling${round}`);
          c50 = evalshaRate(url, sha, `ceiling${round}`, 1);
        },
        async () => {
          auto = await sdkRate(url, AUTO, `auto${round}`, throughRuntime(`auto${round}`, round));
        },
        async () => {
          plain = await sdkRate(url, {}, `plain${round}`, throughRuntime(`plain${round}`, round));
        },
        async () => {
          alone = await sdkRate(url, AUTO, `alone${round}`, storeAlone(`alone${round}`, round));
        },
        async () => {
          await loadSale(admin, `ceilingP${round}`);
          p16 = evalshaRate(url, sha, `ceilingP${round}`, 16);
        },
      ];
      for (const step of round % 2 === 0 ? steps : steps.reverse()) await step();
      add('SDK reserve', plain.rate);
      add('SDK reserve, enableAutoPipelining', auto.rate);
      add('EVALSHA -c 50', c50);
      add('EVALSHA -c 50 -P 16', p16);
      add('SDK / EVALSHA -c 50', plain.rate / c50);
      add('SDK / EVALSHA -c 50 -P 16', plain.rate / p16);
      add('SDK auto-pipelined / EVALSHA -c 50', auto.rate / c50);
      add('SDK auto-pipelined / EVALSHA -c 50 -P 16', auto.rate / p16);
      add('store alone, auto-pipelined', alone.rate);
      add('store alone / EVALSHA -c 50', alone.rate / c50);
      add('store alone / EVALSHA -c 50 -P 16', alone.rate / p16);
      add('CPU µs a reserve, SDK', plain.cpuUs);
      add('CPU µs a reserve, SDK auto-pipelined', auto.cpuUs);
      add('CPU µs a reserve, store alone', alone.cpuUs);
      console.log(
        `  round ${round + 1}: SDK ${plain.rate.toFixed(0)}/s, auto-pipelined ${auto.rate.toFixed(0)}/s, store alone ${alone.rate.toFixed(0)}/s, ` +
          `EVALSHA -c 50 ${c50.toFixed(0)}/s, -P 16 ${p16.toFixed(0)}/s`,
      );
    }
    for (const [name, values] of Object.entries(rows)) {
      const ratio = name.includes(' / ');
      const cpu = name.startsWith('CPU');
      const shown = ratio
        ? median(values).toFixed(2)
        : cpu
          ? `${median(values).toFixed(1)} µs`
          : `${median(values).toFixed(0)} reserves/s`;
      console.log(
        `${name.padEnd(44)} ${shown.padStart(18)}   (${values.map((v) => v.toFixed(ratio ? 2 : cpu ? 1 : 0)).join(', ')})`,
      );
    }

    // what one call costs the server: commandstats over a whole run, SLOWLOG over a sample
    await admin.config('SET', 'slowlog-log-slower-than', '0');
    await admin.config('SET', 'slowlog-max-len', '2000');
    await admin.config('RESETSTAT');
    await admin.slowlog('RESET');
    await sdkRate(url, {}, 'cost', throughRuntime('cost', pairs));
    const usec = await evalshaUsecPerCall(admin);
    const log = (await admin.slowlog('GET', 2000)) as Array<[number, number, number, string[]]>;
    const durations = log
      .filter((entry) => entry[3][0]?.toUpperCase() === 'EVALSHA')
      .map((entry) => entry[2]);
    durations.sort((a, b) => a - b);
    const at = (q: number) => durations[Math.min(durations.length - 1, Math.floor(q * durations.length))];
    await admin.config('RESETSTAT');
    await admin.set('probe', '0');
    for (let i = 0; i < 2_000; i++) await admin.incr('probe');
    const incr = /cmdstat_incr:calls=\d+,usec=\d+,usec_per_call=([\d.]+)/.exec(
      await admin.info('commandstats'),
    );
    console.log(
      `server cost of one SDK reserve: INFO commandstats usec_per_call ${usec.toFixed(2)} µs ` +
        `(INCR: ${incr?.[1]} µs); SLOWLOG of the last ${durations.length} calls: p50 ${at(0.5)} µs, p99 ${at(0.99)} µs, max ${at(1)} µs`,
    );
    await admin.config('SET', 'slowlog-log-slower-than', '10000');
  } finally {
    if (own) await admin.flushall();
    await admin.quit();
    await server.stop();
  }
}

runBenchmark(main);

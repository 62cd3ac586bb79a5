import { Redis } from 'ioredis';
import { RedisWaitingRoomStore } from '../src/index';
import { cleanup, onBenchServer, runBenchmark } from './support';

const sizes = (process.env.BENCH_PREQUEUE ?? '10000,100000').split(',').map(Number);
const runs = Number(process.env.BENCH_RUNS ?? 3);
const fillCallers = 64;
const connectionsCount = 4;

interface Run {
  /** Redis's own measure of the script, in ms (SLOWLOG). */
  scriptMs: number;
  /** The openPreQueue call as the client saw it, in ms. */
  callMs: number;
  /** The longest PING round trip while the script ran, in ms. */
  maxPingMs: number;
}

/** Puts `count` users in the sale's pre-queue, through the real `enter` script. */
async function fill(stores: RedisWaitingRoomStore[], saleId: string, count: number): Promise<void> {
  let next = 0;
  const now = Date.now();
  await Promise.all(
    Array.from({ length: fillCallers }, async (_, caller) => {
      const store = stores[caller % stores.length]!;
      while (next < count) {
        const i = next++;
        await store.enter({ saleId, userId: `u${i}`, now, maxActive: 1_000, sessionMs: 600_000 });
      }
    }),
  );
}

/** PINGs back to back until `stop` resolves; answers the longest round trip. */
async function probe(redis: Redis, stop: Promise<void>): Promise<number> {
  let stopped = false;
  void stop.then(() => {
    stopped = true;
  });
  let longest = 0;
  while (!stopped) {
    const t0 = process.hrtime.bigint();
    await redis.ping();
    longest = Math.max(longest, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return longest;
}

/** The longest EVAL/EVALSHA in the SLOWLOG, in ms (entries: [id, at, µs, args, …]). */
async function slowestScriptMs(redis: Redis): Promise<number> {
  const entries = (await redis.slowlog('GET', 128)) as Array<[number, number, number, string[]]>;
  const scripts = entries.filter((entry) => /^eval/i.test(String(entry[3]?.[0] ?? '')));
  return Math.max(0, ...scripts.map((entry) => Number(entry[2]) / 1_000));
}

async function once(
  admin: Redis,
  stores: RedisWaitingRoomStore[],
  probeClient: Redis,
  size: number,
  run: number,
): Promise<Run> {
  const saleId = `prequeue-${size}-${run}`;
  await stores[0]!.configure({ saleId, preQueue: true });
  await fill(stores, saleId, size);
  const config = await stores[0]!.queueConfig({ saleId });
  if (config.preQueued !== size) throw new Error(`pre-queue holds ${config.preQueued}, expected ${size}`);
  await admin.slowlog('RESET');
  let done!: () => void;
  const stop = new Promise<void>((resolve) => {
    done = resolve;
  });
  const longestPing = probe(probeClient, stop);
  // let the probe get going before the script starts
  await new Promise((resolve) => setTimeout(resolve, 20));
  const t0 = process.hrtime.bigint();
  const opened = await stores[0]!.openPreQueue({ saleId, now: Date.now() });
  const callMs = Number(process.hrtime.bigint() - t0) / 1e6;
  done();
  const maxPingMs = await longestPing;
  if (opened.shuffled !== size) throw new Error(`shuffled ${opened.shuffled}, expected ${size}`);
  return { scriptMs: await slowestScriptMs(admin), callMs, maxPingMs };
}

function summary(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return `median ${median.toFixed(1).padStart(7)} ms, max ${sorted[sorted.length - 1]!.toFixed(1).padStart(7)} ms`;
}

async function main(): Promise<void> {
  await onBenchServer(connectionsCount, async ({ url, own, keyPrefix, connections, admin }) => {
    const probeClient = new Redis(url);
    try {
      // log every command, so the script's own time is in the SLOWLOG
      await admin.config('SET', 'slowlog-log-slower-than', '0');
      await admin.config('SET', 'slowlog-max-len', '1024');
      const version = ((await admin.info('server')).match(/redis_version:(\S+)/) ?? [])[1];
      console.log(
        `SeatRush pre-queue opening (open-pre-queue.lua) on Redis ${version} at ${url}${own ? ' (private server)' : ''}, ${runs} runs per size`,
      );
      const stores = connections.map((redis) => new RedisWaitingRoomStore(redis, { keyPrefix }));
      for (const size of sizes) {
        const results: Run[] = [];
        for (let run = 0; run < runs; run += 1) {
          results.push(await once(admin, stores, probeClient, size, run));
          await cleanup(admin, keyPrefix);
        }
        console.log(
          `${String(size).padStart(7)} pre-queued: Redis blocked (script) ${summary(results.map((r) => r.scriptMs))}` +
            ` | call ${summary(results.map((r) => r.callMs))}` +
            ` | longest PING meanwhile ${summary(results.map((r) => r.maxPingMs))}`,
        );
      }
    } finally {
      await probeClient.quit();
    }
  });
}

runBenchmark(main);

/**
 * A striped sale against a single-slot sale on the 3-master Redis Cluster, side by side in one
 * run (issue 16, item 4). Each round runs, back to back and in alternating order:
 *
 * - the SDK: `RedisStripedInventoryStore.reserve` of 1 unit by distinct users, BENCH_CLIENTS (64)
 *   callers spread over BENCH_THREADS (3) client threads, each with its own event loop and
 *   BENCH_CONNECTIONS (4) auto-pipelined Cluster clients, on a sale of 3 stripes (one a master)
 *   and on a sale of 1 stripe (one slot, one master), driven alike (one Node thread cannot keep 3
 *   masters busy when each has a core; BENCH_THREADS=1 is the single client of before);
 * - ioredis alone: BENCH_CONNECTIONS clients and the callers in the main thread calling
 *   reserve.lua by EVALSHA, no SeatRush code;
 * - the servers: `redis-benchmark` calling the SAME reserve.lua by EVALSHA, `-c 50 -P 16`, on the
 *   single slot's master alone, then one redis-benchmark per stripe at once, each on its stripe's
 *   master: what the masters can take when the client is not Node.
 *
 * Ratios are striped / single-slot, the median of BENCH_ROUNDS (3) rounds. Also printed: the
 * client's CPU over each SDK run (1.00 = one core busy: the single-threaded client is the bound),
 * the host's load, and the server time per reserve on the BUSIEST master (INFO commandstats, all
 * commands): one master serves a single-slot sale, so its time per reserve bounds the sale at
 * 1e6 / µs reserves/s; striped, the busiest master's share bounds it. Their ratio is the ceiling
 * striping gives when each master has a core of its own, which a 2-core host cannot show as
 * throughput. Prints figures; asserts nothing.
 *
 *   bash scripts/services.sh up cluster && set -a && . .services/env && set +a
 *   pnpm --filter @seatrush/redis-adapter bench:stripes
 *   BENCH_REQUESTS=30000 BENCH_ROUNDS=3 BENCH_CLIENTS=64 pnpm --filter @seatrush/redis-adapter bench:stripes
 */
import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import { promisify } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Cluster, type Redis } from 'ioredis';
import { RedisStripedInventoryStore, slotOfTag } from '../src/index';
import { KeySpace } from '../src/keys';
import { luaSources } from '../src/scripts';
import { buyerRequest, generalSale } from '../test/inventory-data';
import { randomReserveArgs, runBenchmark } from './support';

const run = promisify(execFile);
const requests = Number(process.env.BENCH_REQUESTS ?? 20_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const callers = Number(process.env.BENCH_CLIENTS ?? 64);
const connectionsCount = Number(process.env.BENCH_CONNECTIONS ?? 4);
/** Client threads driving the SDK's reserves (each with BENCH_CONNECTIONS clients). */
const threads = Number(process.env.BENCH_THREADS ?? 3);
const STRIPES = 3;
const STOCK = 30_000_000;

function clusterNodes(): Array<{ host: string; port: number }> {
  const nodes = process.env.REDIS_CLUSTER_NODES;
  if (!nodes) {
    throw new Error(
      'REDIS_CLUSTER_NODES is not set: run `bash scripts/services.sh up cluster`, then `set -a; . .services/env; set +a`',
    );
  }
  return nodes.split(',').map((node) => {
    const [host, port] = node.split(':');
    return { host: host!, port: Number(port) };
  });
}

const connect = () => new Cluster(clusterNodes(), { scaleReads: 'master', enableAutoPipelining: true });

/** Microseconds every master spent in commands since its last CONFIG RESETSTAT (INFO commandstats). */
async function serverMicros(admin: Cluster): Promise<number[]> {
  return Promise.all(
    admin.nodes('master').map(async (node) => {
      const info = await node.info('commandstats');
      return [...info.matchAll(/usec=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
    }),
  );
}

/** What the main thread tells a client thread to do: `count` reserves of users `from`… */
interface ClientJob {
  keyPrefix: string;
  saleId: string;
  stripes: number;
  from: number;
  count: number;
  callers: number;
}

/**
 * A client thread: its own auto-pipelined Cluster clients and stores on the sale, `callers`
 * callers reserving 1 unit each for distinct users. Answers 'ready' once every client knows the
 * layout and the slots, starts on 'go', and answers how many were held.
 */
async function clientThread(job: ClientJob): Promise<void> {
  const clients = Array.from({ length: connectionsCount }, connect);
  try {
    const stores = clients.map(
      (c) => new RedisStripedInventoryStore(c, { keyPrefix: job.keyPrefix, stripes: job.stripes }),
    );
    await Promise.all(stores.map((s) => s.counts(job.saleId)));
    const go = new Promise<void>((resolve) => parentPort!.once('message', () => resolve()));
    parentPort!.postMessage('ready');
    await go;
    let next = 0;
    let held = 0;
    await Promise.all(
      Array.from({ length: job.callers }, async (_, caller) => {
        const store = stores[caller % stores.length]!;
        while (next < job.count) {
          const i = job.from + next++;
          const outcome = await store.reserve(
            buyerRequest(job.saleId, i, { holdMs: 600_000, now: Date.now() }),
          );
          if (outcome.ok) held += 1;
        }
      }),
    );
    parentPort!.postMessage({ held });
  } finally {
    await Promise.all(clients.map((c) => c.quit()));
  }
}

/**
 * Reserves per second of the SDK on one sale, driven by BENCH_THREADS client threads (each its
 * own event loop, clients and share of the callers and reserves), the process's CPU over the run
 * (cores busy), and the server time per reserve of the busiest master (its commandstats' usec
 * over the run).
 */
async function sdkRate(
  admin: Cluster,
  keyPrefix: string,
  saleId: string,
  stripes: number,
): Promise<{ rate: number; cpu: number; busiestMicros: number }> {
  await new RedisStripedInventoryStore(admin, { keyPrefix, stripes }).load(generalSale(saleId, STOCK, 1));
  const share = Math.ceil(requests / threads);
  const workers = Array.from({ length: threads }, (_, t) => {
    const job: ClientJob = {
      keyPrefix,
      saleId,
      stripes,
      from: t * share,
      count: Math.min(share, requests - t * share),
      callers: Math.max(1, Math.round(callers / threads)),
    };
    return new Worker(new URL(import.meta.url), { workerData: job });
  });
  const exited = workers.map((w) => new Promise((resolve) => w.once('exit', resolve)));
  try {
    const message = (w: Worker) =>
      new Promise<unknown>((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      });
    await Promise.all(workers.map(message)); // 'ready'
    await Promise.all(admin.nodes('master').map((node) => node.config('RESETSTAT')));
    const cpuBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    const done = workers.map(message);
    for (const w of workers) w.postMessage('go');
    const answers = (await Promise.all(done)) as Array<{ held: number }>;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuBefore);
    const held = answers.reduce((sum, a) => sum + a.held, 0);
    const busiestMicros = Math.max(...(await serverMicros(admin))) / requests;
    if (held !== requests) console.log(`  (${requests - held} of ${requests} reserves were refused)`);
    return { rate: requests / seconds, cpu: (cpu.user + cpu.system) / 1e6 / seconds, busiestMicros };
  } finally {
    await Promise.all(exited);
  }
}

/** The master (host, port) serving a hash tag's slot. */
function masterOf(cluster: Cluster, tag: string): { host: string; port: string } {
  const node = cluster.slots[slotOfTag(tag)]?.[0];
  if (!node) throw new Error(`no master serves the slot of ${tag}`);
  const [host, port] = node.split(':');
  return { host: host!, port: port! };
}

/** redis-benchmark's rate of EVALSHA reserve.lua on one sale key, `-c 50 -P 16`. */
async function evalshaRate(target: { host: string; port: string }, sha: string, meta: string, n: number) {
  const args = randomReserveArgs({ holdMs: 600_000, now: Date.now(), retentionMs: 86_400_000 });
  const { stdout } = await run(
    'redis-benchmark',
    [
      ...['-h', target.host, '-p', target.port, '-c', '50', '-n', String(n), '-P', '16'],
      ...['-r', '1000000000', '--csv', 'EVALSHA', sha, '1', meta, ...args],
    ],
    { encoding: 'utf8' },
  );
  const row = stdout.trim().split('\n').pop() ?? '';
  return Number(JSON.parse(`[${row}]`)[1]);
}

/** The servers' rate: one redis-benchmark per sale tag at once, summed. */
async function serversRate(
  cluster: Cluster,
  keyPrefix: string,
  tags: string[],
  sha: string,
): Promise<number> {
  const keys = new KeySpace(keyPrefix);
  const started = process.hrtime.bigint();
  await Promise.all(
    tags.map((tag) =>
      evalshaRate(masterOf(cluster, tag), sha, keys.sale(tag).meta, Math.round(requests / tags.length)),
    ),
  );
  // the runs overlap but do not end together: the rate of the whole, start to last end
  return requests / (Number(process.hrtime.bigint() - started) / 1e9);
}

/** Deletes one master's keys under the prefix (SCAN + one UNLINK per key). */
async function cleanupEach(node: Redis, keyPrefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 5_000);
    cursor = next;
    await Promise.all(keys.map((key) => node.unlink(key)));
  } while (cursor !== '0');
}

/**
 * Node without the store: ioredis (the same 4 auto-pipelined Cluster clients, the same callers)
 * calling reserve.lua by EVALSHA on the given stripes' keys in turn, with redis-benchmark's
 * random ids. What the client library and the host allow, before any SeatRush code.
 */
async function rawRate(keyPrefix: string, tags: string[]): Promise<number> {
  const clients = Array.from({ length: connectionsCount }, connect);
  try {
    const keys = new KeySpace(keyPrefix);
    const metas = tags.map((tag) => keys.sale(tag).meta);
    const lua = luaSources().get('reserve')!;
    for (const c of clients) c.defineCommand('benchReserve', { lua, numberOfKeys: 1 });
    type Reserve = (meta: string, ...args: string[]) => Promise<unknown>;
    const call = (c: Cluster) => (c as unknown as { benchReserve: Reserve }).benchReserve.bind(c);
    const base = randomReserveArgs({ holdMs: 600_000, now: Date.now(), retentionMs: 86_400_000 });
    await Promise.all(clients.map((c) => Promise.all(metas.map((meta) => c.exists(meta)))));
    let next = 0;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: callers }, async (_, caller) => {
        const reserve = call(clients[caller % clients.length]!);
        while (next < requests) {
          const i = next++;
          const id = `raw${i}`;
          await reserve(metas[i % metas.length]!, ...base.map((a) => a.replaceAll('__rand_int__', id)));
        }
      }),
    );
    return requests / (Number(process.hrtime.bigint() - started) / 1e9);
  } finally {
    await Promise.all(clients.map((c) => c.quit()));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const admin = connect();
  const keyPrefix = `bench-stripes-${process.pid}:`;
  try {
    await admin.ping();
    const masters = admin.nodes('master');
    const version = /redis_version:(\S+)/.exec(await masters[0]!.info('server'))?.[1];
    const sha = (
      await Promise.all(masters.map((m) => m.script('LOAD', luaSources().get('reserve')!)))
    )[0] as string;
    console.log(
      `Striped sale (${STRIPES} stripes) vs single-slot sale on a ${masters.length}-master Redis Cluster ${version}; ` +
        `${requests} reserves a run; SDK: ${callers} callers over ${threads} client thread(s) of ${connectionsCount} auto-pipelined Cluster clients; ` +
        `servers: redis-benchmark EVALSHA reserve.lua -c 50 -P 16; ${rounds} rounds, medians; load ${loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')}`,
    );
    const rows: Record<string, number[]> = {};
    const add = (name: string, value: number) => {
      rows[name] ??= [];
      rows[name].push(value);
    };
    for (let round = 0; round < rounds; round++) {
      // alternate which goes first, so a drifting load favours neither
      const order = round % 2 === 0 ? [STRIPES, 1] : [1, STRIPES];
      const sdk: Record<number, { rate: number; cpu: number; busiestMicros: number }> = {};
      for (const stripes of order)
        sdk[stripes] = await sdkRate(admin, keyPrefix, `s${stripes}r${round}`, stripes);
      const striped = sdk[STRIPES]!;
      const single = sdk[1]!;
      // the servers: the same two layouts, loaded by the store, driven by redis-benchmark
      const store = new RedisStripedInventoryStore(admin, { keyPrefix, stripes: STRIPES });
      await store.load(generalSale(`ceiling${round}`, STOCK, 1));
      const tags = (await store.stripeCounts(`ceiling${round}`)).map((s) => s.tag);
      const serverOrder = round % 2 === 0 ? ['striped', 'single'] : ['single', 'striped'];
      const servers: Record<string, number> = {};
      for (const which of serverOrder) {
        servers[which] = await serversRate(admin, keyPrefix, which === 'striped' ? tags : [tags[0]!], sha);
      }
      add('SDK, single-slot sale', single.rate);
      add(`SDK, striped sale (${STRIPES} stripes)`, striped.rate);
      add('SDK striped / single-slot', striped.rate / single.rate);
      add('SDK client CPU, single-slot (cores)', single.cpu);
      add('SDK client CPU, striped (cores)', striped.cpu);
      add('busiest master µs a reserve, single-slot', single.busiestMicros);
      add('busiest master µs a reserve, striped', striped.busiestMicros);
      add('ceiling striped / single-slot (µs / µs)', single.busiestMicros / striped.busiestMicros);
      add('servers, single slot (1 redis-benchmark)', servers.single!);
      add(`servers, ${STRIPES} stripes (${STRIPES} redis-benchmark at once)`, servers.striped!);
      add('servers striped / single-slot', servers.striped! / servers.single!);
      const raw: Record<string, number> = {};
      for (const which of serverOrder) {
        raw[which] = await rawRate(keyPrefix, which === 'striped' ? tags : [tags[0]!]);
      }
      add('ioredis alone, single slot', raw.single!);
      add(`ioredis alone, ${STRIPES} stripes`, raw.striped!);
      add('ioredis alone striped / single-slot', raw.striped! / raw.single!);
      console.log(
        `  round ${round + 1}: SDK single ${single.rate.toFixed(0)}/s (client CPU ${single.cpu.toFixed(2)}), ` +
          `striped ${striped.rate.toFixed(0)}/s (client CPU ${striped.cpu.toFixed(2)}); busiest master ` +
          `${single.busiestMicros.toFixed(1)} vs ${striped.busiestMicros.toFixed(1)} µs a reserve; ` +
          `servers single ${servers.single!.toFixed(0)}/s, striped ${servers.striped!.toFixed(0)}/s; ` +
          `ioredis alone single ${raw.single!.toFixed(0)}/s, striped ${raw.striped!.toFixed(0)}/s`,
      );
    }
    for (const [name, values] of Object.entries(rows)) {
      const ratio = name.includes(' / ') || name.includes('CPU') || name.includes('µs');
      const shown = ratio ? median(values).toFixed(2) : `${median(values).toFixed(0)} reserves/s`;
      console.log(
        `${name.padEnd(50)} ${shown.padStart(18)}   (${values.map((v) => v.toFixed(ratio ? 2 : 0)).join(', ')})`,
      );
    }
    console.log(
      `load after: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
  } finally {
    // one UNLINK a key: a master refuses keys of several slots in one command
    await Promise.all(admin.nodes('master').map((node) => cleanupEach(node as Redis, keyPrefix)));
    await admin.quit();
  }
}

if (isMainThread) runBenchmark(main);
// a client thread's failure is an 'error' event in the main thread (an unhandled rejection)
else void clientThread(workerData as ClientJob);

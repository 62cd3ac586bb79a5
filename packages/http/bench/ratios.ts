/**
 * The package against a bare route of the same framework (Fastify), side by side in one run, on
 * the in-memory runtime, or on the real servers with `BENCH_STORE=servers` (REDIS_URL,
 * DATABASE_URL, KAFKA_BROKERS from the environment; the Redis request guard): reserve (POST, a fresh Idempotency-Key each) and a read (GET a sale).
 * The load comes from a child process (autocannon in `load.ts`), so the server measured here
 * keeps its event loop to itself. Then the memory of an idle SSE stream, measured in a separate
 * server process.
 *
 *   pnpm --filter @seatrush/http bench          (BENCH_SECONDS=5 BENCH_CONNECTIONS=50 BENCH_STREAMS=2000)
 *   BENCH_STORE=servers pnpm --filter @seatrush/http bench:ratios    (after `. .services/env`)
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof packages/http/dist/bench/ratios.js   (profiles the server)
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { loadavg } from 'node:os';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { SeatRushRuntime } from '@seatrush/core';
import type { SeatRushHttp, SeatRushRequest, SeatRushResponse } from '../src';
import { BUYERS, benchApp } from './bench-app';
import type { LoadJob, LoadResult } from './load';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const streams = Number(process.env.BENCH_STREAMS ?? 2_000);
const only = process.env.BENCH_ONLY; // 'throughput', 'streams' or 'in-process'
/** BENCH_ROWS=reserve,read: only the table's lines starting with these. */
const rowsWanted = process.env.BENCH_ROWS?.split(',');
/** Interleaved pairs of runs per line; the median is shown. */
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

interface Measured extends LoadResult {
  /** CPU time of this (the server's) process per answer, in µs: steady on a machine shared with others. */
  cpuPerRequestUs: number;
}

/** Runs one load job in a child process (never profiled: `execArgv: []`), timing this process's CPU. */
async function load(job: Omit<LoadJob, 'connections' | 'seconds'> & { warmUp?: boolean }): Promise<Measured> {
  const { warmUp, ...rest } = job;
  const child = fork(fileURLToPath(new URL('./load.js', import.meta.url)), [], { execArgv: [] });
  const cpu = process.cpuUsage();
  child.send({ ...rest, connections, seconds: warmUp ? 1 : seconds } satisfies LoadJob);
  const [result] = (await once(child, 'message')) as [LoadResult];
  const used = process.cpuUsage(cpu);
  return { ...result, cpuPerRequestUs: Math.round((used.user + used.system) / Math.max(1, result.total)) };
}

/** One line of the table: the package's route, and the bare route it is compared with. */
interface Pair {
  name: string;
  ours: Omit<LoadJob, 'connections' | 'seconds'>;
  bare: Omit<LoadJob, 'connections' | 'seconds'>;
  /** What the bare route does, for the table. */
  bareDoes: string;
}

async function throughput(): Promise<void> {
  const { api, runtime, base, tokens, store, close } = await benchApp();
  const buyers = tokens.map((token, i): [string, string] => [`b${i}`, token]);
  if (only === 'in-process') {
    await inProcessOnly(api, runtime, tokens);
    await close();
    return;
  }
  const reserve = { url: base, kind: 'reserve', path: '/api/sales/ga/reservations', buyers } as const;
  const candidates: Pair[] = [
    {
      // the fair comparison: a route of the same framework doing the same reserve on the same
      // stores, without the package's layers (guard, identity, body, checks, views)
      name: 'reserve',
      ours: reserve,
      bare: { ...reserve, path: '/bare/sdk-reserve' },
      bareDoes: "the SDK's reserve, nothing else",
    },
    {
      // the first table: the reserve beside a route that calls no store at all
      name: 'reserve (vs no store call)',
      ours: reserve,
      bare: { url: base, kind: 'post-json', path: '/bare/reserve' } as const,
      bareDoes: 'a constant answer, no store call',
    },
    {
      // the same read on both sides: a sale's description from memory (the package adds its guard)
      name: 'read (GET /sales/:id)',
      ours: { url: base, kind: 'get', path: '/api/sales/ga' } as const,
      bare: { url: base, kind: 'get', path: '/bare/read' } as const,
      bareDoes: "the sale's description from memory",
    },
  ];
  const pairs = candidates.filter((pair) => !rowsWanted || rowsWanted.some((w) => pair.name.startsWith(w)));
  // JIT and heap first: the first run of each route would pay for them
  for (const pair of pairs) {
    await load({ ...pair.ours, warmUp: true });
    await load({ ...pair.bare, warmUp: true });
  }
  // pairs interleaved (ours, bare, ours, bare…): a neighbour's burst hits both sides alike
  const runs = pairs.map(() => ({ ours: [] as Measured[], bare: [] as Measured[] }));
  for (let round = 0; round < rounds; round++) {
    for (const [i, pair] of pairs.entries()) {
      runs[i]?.ours.push(await load(pair.ours));
      runs[i]?.bare.push(await load(pair.bare));
    }
  }
  // the runtime's own loops (sweeper, relay, reconciler…) spend CPU per second, not per request
  const idle = await idleCpu(runtime);
  console.log(
    `${store === 'servers' ? 'on the real servers (Redis, PostgreSQL, Kafka; the Redis request guard)' : 'in memory'}, Fastify, autocannon -c ${connections} -d ${seconds} (in a child process), median of ${rounds} interleaved pairs, load average ${loadavg()[0]?.toFixed(1)}`,
  );
  console.log(
    `this process idle, with ${idle.holds} holds in the store: ${idle.msPerSecond} ms of CPU per second (the runtime's loops)`,
  );
  console.log(
    'route                      | SeatRush rps (p99 ms, non-2xx, server CPU/request) | bare Fastify route: what it does | bare rps (p99 ms, CPU/request) | ratio (rps) | ratio (CPU)',
  );
  for (const [i, pair] of pairs.entries()) {
    const ours = median(runs[i]?.ours ?? []);
    const bare = median(runs[i]?.bare ?? []);
    const each = (runs[i]?.ours ?? []).map((run, k) => (run.rps / (runs[i]?.bare[k]?.rps ?? 1)).toFixed(2));
    console.log(
      `${pair.name.padEnd(26)} | ${String(ours.rps).padStart(6)} (${ours.p99} ms, ${ours.bad}, ${ours.cpuPerRequestUs} µs) | ${pair.bareDoes} | ${String(bare.rps).padStart(6)} (${bare.p99} ms, ${bare.cpuPerRequestUs} µs) | ${(ours.rps / bare.rps).toFixed(2)} (pairs: ${each.join(', ')}) | ${(bare.cpuPerRequestUs / ours.cpuPerRequestUs).toFixed(2)}`,
    );
  }
  await close();
}

/** The run with the median rps. */
function median(runs: Measured[]): Measured {
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  return sorted[Math.floor((sorted.length - 1) / 2)] as Measured;
}

/** `BENCH_ONLY=in-process`: the SDK's reserve, then the package's reserve and read, without sockets (to profile). */
async function inProcessOnly(api: SeatRushHttp, runtime: SeatRushRuntime, tokens: string[]): Promise<void> {
  const sdk = await inProcess(async (n) => {
    await runtime.sale('ga')?.reservations.reserve({
      userId: `b${n % BUYERS}`,
      idempotencyKey: `direct-${n}`,
      selection: { kind: 'quantity', quantity: 1 },
      admissionToken: tokens[n % BUYERS] as string,
    });
  });
  const handled = await inProcess(async (n) => {
    await api.handle(
      reserveRequest(`b${n % BUYERS}`, tokens[n % BUYERS] as string, `handle-${n}`),
      new MemoryResponse(),
    );
  });
  const read = await inProcess(async () => {
    await api.handle(readRequest(), new MemoryResponse());
  });
  console.log(
    `without sockets: SDK reserve ${sdk.cpuUs} µs, api.handle reserve ${handled.cpuUs} µs, api.handle read ${read.cpuUs} µs`,
  );
}

/** CPU this process spends per second while no request comes. */
async function idleCpu(runtime: SeatRushRuntime): Promise<{ msPerSecond: number; holds: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const used = process.cpuUsage(cpu);
  const elapsed = (performance.now() - started) / 1_000;
  const { held } = await runtime.ports.inventory.counts('ga');
  return { msPerSecond: Math.round((used.user + used.system) / 1_000 / elapsed), holds: held };
}

/** Runs `call` with `connections` concurrent callers for `seconds`: CPU µs per call and calls per second. */
async function inProcess(call: (n: number) => Promise<void>): Promise<{ cpuUs: number; perSecond: number }> {
  let calls = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const caller = async () => {
    while (performance.now() - started < seconds * 1_000) await call(calls++);
  };
  await Promise.all(Array.from({ length: connections }, caller));
  const used = process.cpuUsage(cpu);
  const elapsed = (performance.now() - started) / 1_000;
  return { cpuUs: Math.round((used.user + used.system) / calls), perSecond: Math.round(calls / elapsed) };
}

/** A reserve as node:http would hand it over, without a socket. */
function reserveRequest(buyer: string, token: string, key: string): SeatRushRequest {
  const body = Buffer.from('{"quantity":1}');
  return Object.assign(Readable.from([body]), {
    method: 'POST',
    url: '/sales/ga/reservations',
    headers: {
      'content-type': 'application/json',
      'content-length': String(body.length),
      'x-buyer': buyer,
      'x-admission-token': token,
      'idempotency-key': key,
    },
    socket: { remoteAddress: '127.0.0.1' },
  });
}

/** A read of the sale, as node:http would hand it over. */
function readRequest(): SeatRushRequest {
  return Object.assign(Readable.from([]), {
    method: 'GET',
    url: '/sales/ga',
    headers: {},
    socket: { remoteAddress: '127.0.0.1' },
  });
}

/** A response that keeps its status and drops its bytes. */
class MemoryResponse implements SeatRushResponse {
  status = 0;
  headersSent = false;
  writableEnded = false;
  writeHead(status: number) {
    this.status = status;
    this.headersSent = true;
  }
  write() {
    return true;
  }
  end() {
    this.writableEnded = true;
  }
  once() {
    return this;
  }
}

/**
 * Opens `streams` idle seat-map streams on a server in another process and reports its memory per
 * stream (the heap's growth per stream, in KiB), twice: `cold`, the first streams of a fresh
 * process (their growth includes the code V8 compiles for serving them, once); and `warm`, the
 * same number again once those are closed (what every further stream costs a server that has
 * served streams before).
 */
async function streamMemory(server: string, label: string): Promise<{ cold: number; warm: number }> {
  const child = fork(fileURLToPath(new URL(server, import.meta.url)), [], {
    execArgv: ['--expose-gc'],
  });
  const [ready] = (await once(child, 'message')) as [{ port: number }];
  const ask = async () => {
    child.send('measure');
    const [m] = (await once(child, 'message')) as [{ heap: number; rss: number; streams: number }];
    return m;
  };
  const open = async () => {
    const sockets: Array<() => void> = [];
    // several loopback source addresses, as many clients would come from
    for (let i = 0; i < streams; i++) {
      await new Promise<void>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: ready.port,
            path: '/api/sales/ga/seats/stream',
            localAddress: `127.0.0.${2 + (i % 200)}`,
            agent: false,
          },
          (res) => {
            res.once('data', () => resolve());
            sockets.push(() => req.destroy());
          },
        );
        req.on('error', reject);
        req.end();
      });
    }
    return sockets;
  };
  const measure = async (round: string) => {
    const before = await ask();
    const sockets = await open();
    const after = await ask();
    const heapKiB = (after.heap - before.heap) / streams / 1024;
    console.log(
      `${label}, ${round}: ${after.streams} idle SSE streams open; per stream: heap ${heapKiB.toFixed(2)} KiB, rss ${((after.rss - before.rss) / streams / 1024).toFixed(1)} KiB (server process, after GC)`,
    );
    for (const close of sockets) close();
    // the server has seen every stream close before the next round
    while ((await ask()).streams > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    return heapKiB;
  };
  const cold = await measure('cold');
  const warm = await measure('warm');
  child.kill();
  return { cold, warm };
}

if (only !== 'streams') await throughput();
if (only !== 'throughput') {
  // side by side in one run, the bare floor between the two (the machine's load moves)
  const fastify = await streamMemory('./sse-server.js', 'SeatRush (seat-map stream through Fastify)');
  const bare = await streamMemory('./bare-sse-server.js', 'bare node:http, the floor');
  const node = await streamMemory(
    './sse-node-server.js',
    'SeatRush (seat-map stream on node:http, nodeHandler)',
  );
  // the socket alone, no HTTP server: how much of a stream is node:http's per-connection objects
  const raw = await streamMemory('./raw-socket-sse-server.js', 'a raw net socket, no HTTP server');
  for (const round of ['cold', 'warm'] as const) {
    console.log(
      `idle SSE stream, heap per stream, ${streams} streams, ${round}: SeatRush on node:http ${node[round].toFixed(2)} KiB = ${(node[round] / bare[round]).toFixed(2)} of bare node:http's ${bare[round].toFixed(2)} KiB; through Fastify ${fastify[round].toFixed(2)} KiB = ${(fastify[round] / bare[round]).toFixed(2)}; a raw socket ${raw[round].toFixed(2)} KiB; goal 4 KB (3.91 KiB)`,
    );
  }
}

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
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { SeatRushRuntime } from '@seatrush/core';
import type { SeatRushRequest, SeatRushResponse } from '../src';
import { BUYERS, benchApp } from './bench-app';
import type { LoadJob, LoadResult } from './load';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const streams = Number(process.env.BENCH_STREAMS ?? 2_000);
const only = process.env.BENCH_ONLY; // 'throughput' or 'streams'

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

async function throughput(): Promise<void> {
  const { api, runtime, base, tokens, store, close } = await benchApp();
  const buyers = tokens.map((token, i): [string, string] => [`b${i}`, token]);
  const rows: Array<[string, Measured, Measured]> = [];
  const reserveJob = { url: base, kind: 'reserve', path: '/api/sales/ga/reservations', buyers } as const;
  await load({ ...reserveJob, warmUp: true }); // JIT and heap first: the first run would pay for them
  await load({ url: base, kind: 'post-json', path: '/bare/reserve', warmUp: true });
  const reserve = await load(reserveJob);
  const bareReserve = await load({ url: base, kind: 'post-json', path: '/bare/reserve' });
  rows.push(['reserve', reserve, bareReserve]);
  const sdkReserve = await load({ ...reserveJob, path: '/bare/sdk-reserve' });
  rows.push(['SDK reserve behind a bare route', sdkReserve, bareReserve]);
  const read = await load({ url: base, kind: 'get', path: '/api/sales/ga' });
  const bareRead = await load({ url: base, kind: 'get', path: '/bare/read' });
  rows.push(['read', read, bareRead]);
  // the runtime's own loops (sweeper, relay, reconciler…) spend CPU per second, not per request
  const idle = await idleCpu(runtime);
  // where a reserve's CPU goes, without sockets: the SDK alone, then the package over it
  const refused = { sdk: 0, handle: 0 };
  const sdk = await inProcess(async (n) => {
    const result = await runtime.sale('ga')?.reservations.reserve({
      userId: `b${n % BUYERS}`,
      idempotencyKey: `direct-${n}`,
      selection: { kind: 'quantity', quantity: 1 },
      admissionToken: tokens[n % BUYERS] as string,
    });
    if (!result?.ok) refused.sdk++;
  });
  const handled = await inProcess(async (n) => {
    const response = new MemoryResponse();
    await api.handle(reserveRequest(`b${n % BUYERS}`, tokens[n % BUYERS] as string, `handle-${n}`), response);
    if (response.status !== 201) refused.handle++;
  });
  console.log(
    `${store === 'servers' ? 'on the real servers (Redis, PostgreSQL, Kafka; the Redis request guard)' : 'in memory'}, Fastify, autocannon -c ${connections} -d ${seconds} (in a child process)`,
  );
  console.log(
    `this process idle, with ${idle.holds} holds in the store: ${idle.msPerSecond} ms of CPU per second (the runtime's loops)`,
  );
  console.log(
    `reserve without sockets (${connections} concurrent callers, CPU of this process per call): the SDK alone ${sdk.cpuUs} µs (${sdk.perSecond}/s); api.handle ${handled.cpuUs} µs (${handled.perSecond}/s): the package adds ${handled.cpuUs - sdk.cpuUs} µs (refused: ${refused.sdk} and ${refused.handle})`,
  );
  console.log(
    'route                           | SeatRush rps (p99 ms, non-2xx, server CPU/request) | bare Fastify rps (p99 ms, CPU/request) | ratio (rps) | ratio (CPU)',
  );
  for (const [name, ours, bare] of rows) {
    console.log(
      `${name.padEnd(31)} | ${String(ours.rps).padStart(7)} (${ours.p99} ms, ${ours.bad}, ${ours.cpuPerRequestUs} µs) | ${String(bare.rps).padStart(7)} (${bare.p99} ms, ${bare.cpuPerRequestUs} µs) | ${(ours.rps / bare.rps).toFixed(2)} | ${(bare.cpuPerRequestUs / ours.cpuPerRequestUs).toFixed(2)}`,
    );
  }
  await close();
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

/** Opens `count` idle seat-map streams on a server in another process and reports its memory per stream. */
async function streamMemory(server: string, label: string): Promise<void> {
  const child = fork(fileURLToPath(new URL(server, import.meta.url)), [], {
    execArgv: ['--expose-gc'],
  });
  const [ready] = (await once(child, 'message')) as [{ port: number }];
  const ask = async () => {
    child.send('measure');
    const [m] = (await once(child, 'message')) as [{ heap: number; rss: number; streams: number }];
    return m;
  };
  const before = await ask();
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
  const after = await ask();
  console.log(
    `${label}: ${after.streams} idle SSE streams open; per stream: heap ${((after.heap - before.heap) / streams / 1024).toFixed(1)} KiB, rss ${((after.rss - before.rss) / streams / 1024).toFixed(1)} KiB (server process, after GC)`,
  );
  for (const close of sockets) close();
  child.kill();
}

if (only !== 'streams') await throughput();
if (only !== 'throughput') {
  await streamMemory('./sse-server.js', 'SeatRush (seat-map stream through Fastify)');
  await streamMemory('./bare-sse-server.js', 'bare node:http, the floor');
}

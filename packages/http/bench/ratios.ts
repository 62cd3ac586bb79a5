/**
 * The package against a bare route of the same framework (Fastify), side by side in one run, on
 * the in-memory runtime: reserve (POST, a fresh Idempotency-Key each) and a read (GET a sale).
 * Then the memory of an idle SSE stream, measured in a separate server process.
 *
 *   pnpm --filter @seatrush/http bench          (BENCH_SECONDS=5 BENCH_CONNECTIONS=50 BENCH_STREAMS=2000)
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { BUYERS, benchApp } from './bench-app';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const streams = Number(process.env.BENCH_STREAMS ?? 2_000);

async function load(url: string, options: Partial<autocannon.Options> = {}) {
  const result = await autocannon({ url, connections, duration: seconds, ...options });
  const bad = result.non2xx + result.errors + result.timeouts;
  return { rps: Math.round(result.requests.average), p99: result.latency.p99, bad };
}

async function throughput(): Promise<void> {
  const { app, api, runtime, base, tokens } = await benchApp();
  let n = 0;
  const reserve = {
    method: 'POST' as const,
    path: '/api/sales/ga/reservations',
    setupRequest: (req: autocannon.Request) => {
      const i = n++ % BUYERS;
      return {
        ...req,
        headers: {
          'content-type': 'application/json',
          'x-buyer': `b${i}`,
          'x-admission-token': tokens[i] as string,
          'idempotency-key': `k${n}`,
        },
        body: '{"quantity":1}',
      };
    },
  };
  const bareReserve = {
    method: 'POST' as const,
    path: '/bare/reserve',
    headers: { 'content-type': 'application/json' },
    body: '{"quantity":1}',
  };
  const rows: Array<
    [string, { rps: number; p99: number; bad: number }, { rps: number; p99: number; bad: number }]
  > = [];
  rows.push([
    'reserve',
    await load(base, { requests: [reserve] }),
    await load(base, { requests: [bareReserve] }),
  ]);
  rows.push(['read', await load(`${base}/api/sales/ga`), await load(`${base}/bare/read`)]);
  // the SDK alone, no HTTP: what the runtime itself allows on this machine now
  const sale = runtime.sale('ga');
  let calls = 0;
  const started = performance.now();
  const caller = async () => {
    while (sale && performance.now() - started < seconds * 1_000) {
      const i = calls++ % BUYERS;
      await sale.reservations.reserve({
        userId: `b${i}`,
        idempotencyKey: `direct-${calls}`,
        selection: { kind: 'quantity', quantity: 1 },
        admissionToken: tokens[i] as string,
      });
    }
  };
  await Promise.all(Array.from({ length: connections }, caller));
  const direct = Math.round(calls / seconds);
  console.log(`in memory, Fastify, autocannon -c ${connections} -d ${seconds} (in this process)`);
  console.log(
    `reserve through the SDK alone (no HTTP, ${connections} concurrent callers): ${direct} calls/s`,
  );
  console.log('route    | SeatRush rps (p99 ms, non-2xx) | bare Fastify rps (p99 ms) | ratio');
  for (const [name, ours, bare] of rows) {
    console.log(
      `${name.padEnd(8)} | ${String(ours.rps).padStart(7)} (${ours.p99} ms, ${ours.bad}) | ${String(bare.rps).padStart(7)} (${bare.p99} ms) | ${(ours.rps / bare.rps).toFixed(2)}`,
    );
  }
  api.close();
  await app.close();
  await runtime.close();
}

/** Opens `count` idle seat-map streams on a server in another process and reports its memory per stream. */
async function streamMemory(): Promise<void> {
  const child = fork(fileURLToPath(new URL('./sse-server.js', import.meta.url)), [], {
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
    `idle SSE streams: ${after.streams} open; per stream: heap ${((after.heap - before.heap) / streams / 1024).toFixed(1)} KiB, rss ${((after.rss - before.rss) / streams / 1024).toFixed(1)} KiB (server process, after GC)`,
  );
  for (const close of sockets) close();
  child.kill();
}

await throughput();
await streamMemory();

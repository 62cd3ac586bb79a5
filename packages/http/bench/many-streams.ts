/**
 * One process holding many idle SSE streams (issue 19: 50,000), opened from several loopback
 * source addresses (127.0.0.2 …), with the package's caps set for the run: streams and
 * connections per address at MANY_STREAMS / MANY_ADDRESSES, one stream past an address's cap
 * answered 429. The server (`many-streams-server.ts`) and the client each run in a child process
 * whose open-files limit is raised first (`ulimit -n`, where the user may); the run stops by
 * itself after MANY_SECONDS, and says how far it got and why when it falls short.
 *
 *   pnpm --filter @seatrush/http bench:streams     (MANY_STREAMS=50000 MANY_ADDRESSES=20 MANY_SECONDS=240)
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';

const target = Number(process.env.MANY_STREAMS ?? 50_000);
const addresses = Number(process.env.MANY_ADDRESSES ?? 20);
const seconds = Number(process.env.MANY_SECONDS ?? 240);
const files = target + 1_000;
/** The open-files limit a child gets: `files` where `ulimit -n` may raise it, else the hard limit. */
const childFiles =
  spawnSync('/bin/sh', ['-c', `ulimit -n ${files}`]).status === 0 ? files : openFilesLimit('hard');
// a socket is a file: one process holds at most its open-files limit, less what it has open
const reachable = Math.min(target, childFiles - 200);
const perAddress = Math.ceil(reachable / addresses);

/** What the client reports. */
interface ClientReport {
  opened: number;
  /** Refusals and failures by reason (`429`, `ECONNRESET`, `EADDRNOTAVAIL`, `timeout`…). */
  failures: Record<string, number>;
  /** The status of one stream more from 127.0.0.2, past its cap. */
  pastCap: string;
  openFiles: number;
  ms: number;
}

interface ServerFigures {
  heap: number;
  rss: number;
  streams: number;
}

/** A node child whose open-files soft limit is raised to `files` first, where allowed. */
function spawnWithFiles(script: string, files: number, env: Record<string, string>): ChildProcess {
  const command = `ulimit -n ${files} 2>/dev/null || ulimit -n hard 2>/dev/null; exec "$0" "$@"`;
  return spawn(
    '/bin/sh',
    ['-c', command, process.execPath, '--expose-gc', script, ...process.argv.slice(2)],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, ...env },
    },
  );
}

/** This process's limit of open files, soft or hard (Linux: /proc/self/limits). */
function openFilesLimit(which: 'soft' | 'hard' = 'soft'): number {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  return Number(line?.split(/\s+/)[which === 'soft' ? 3 : 4] ?? 0);
}

async function orchestrate(): Promise<void> {
  const started = Date.now();
  const server = spawnWithFiles(fileURLToPath(new URL('./many-streams-server.js', import.meta.url)), files, {
    MANY_PER_ADDRESS: String(perAddress),
    // room in the total for the probe past one address's cap: it must meet the address's cap
    MANY_TOTAL: String(reachable + 100),
  });
  let client: ChildProcess | undefined;
  const stop = () => {
    client?.kill('SIGKILL');
    server.kill('SIGKILL');
  };
  // bounded: whatever happens, the run ends after `seconds`
  let progress = 'no stream opened yet';
  const deadline = setTimeout(() => {
    console.log(`stopped after ${seconds} s (MANY_SECONDS), at: ${progress}`);
    stop();
    process.exit(1);
  }, seconds * 1_000);
  server.once('exit', (code, signal) => {
    if (signal === 'SIGKILL') return; // stopped by this script
    console.log(`the server process ended (${signal ?? code}) at: ${progress}`);
    stop();
    process.exit(1);
  });
  try {
    const [ready] = (await once(server, 'message')) as [{ port: number; openFiles: number }];
    const ask = async (): Promise<ServerFigures> => {
      server.send('measure');
      return ((await once(server, 'message')) as [ServerFigures])[0];
    };
    const before = await ask();
    if (reachable < target) {
      console.log(
        `the open-files limit is ${ready.openFiles} (\`ulimit -n ${files}\` was refused: raising the hard limit needs CAP_SYS_RESOURCE): this run opens ${reachable} streams`,
      );
    }
    client = spawnWithFiles(fileURLToPath(import.meta.url), files, { MANY_ROLE: 'client' });
    client.send({ port: ready.port, count: reachable, deadline: started + (seconds - 45) * 1_000 });
    const report = await new Promise<ClientReport>((resolve) => {
      client?.on('message', (message: ClientReport | { progress: string }) => {
        if ('progress' in message) {
          progress = message.progress;
          console.log(progress);
        } else resolve(message);
      });
    });
    const after = await ask();
    const held = after.streams;
    console.log(
      `${held} idle SSE streams held by one server process (goal ${target}, this run ${reachable}), opened from ${addresses} loopback addresses (127.0.0.2-127.0.0.${addresses + 1}) in ${(report.ms / 1_000).toFixed(1)} s`,
    );
    console.log(
      `open-files limit: server ${ready.openFiles}, client ${report.openFiles} (asked ${files}); caps for the run: ${perAddress} streams and ${perAddress + 10} connections per address, ${reachable + 100} streams in all`,
    );
    console.log(
      `server per stream at ${held} streams (after GC): heap ${((after.heap - before.heap) / Math.max(1, held) / 1024).toFixed(2)} KiB, rss ${((after.rss - before.rss) / Math.max(1, held) / 1024).toFixed(1)} KiB; total heap ${(after.heap / 2 ** 20).toFixed(0)} MiB, rss ${(after.rss / 2 ** 20).toFixed(0)} MiB`,
    );
    console.log(`one more stream from 127.0.0.2, past its cap: ${report.pastCap}`);
    const failed = Object.entries(report.failures);
    if (failed.length > 0) console.log(`not opened: ${failed.map(([why, n]) => `${n} × ${why}`).join(', ')}`);
    if (held < reachable) console.log(`short of ${reachable}: see what was not opened above`);
  } finally {
    clearTimeout(deadline);
    stop();
  }
}

/** The client: opens the streams, `concurrency` at a time, each from its source address. */
async function runClient(job: { port: number; count: number; deadline: number }): Promise<ClientReport> {
  const started = Date.now();
  const failures: Record<string, number> = {};
  const sockets: Array<{ destroy(): void }> = [];
  const request = 'GET /api/sales/ga/seats/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
  const open = (address: string) =>
    new Promise<string>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: job.port, localAddress: address });
      // a connection the server never takes (its accept queue full) answers nothing: bounded here
      const timer = setTimeout(() => fail('no answer in 15 s'), 15_000);
      const fail = (why: string) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(why);
      };
      socket.once('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message));
      socket.once('connect', () => socket.write(request));
      socket.once('data', (chunk: Buffer) => {
        const status = chunk.toString('latin1', 9, 12);
        clearTimeout(timer);
        if (status !== '200') {
          const message = /"message":"([^"]*)"/.exec(chunk.toString('latin1'))?.[1];
          return fail(message ? `${status} (${message})` : status);
        }
        socket.removeAllListeners('error');
        socket.on('error', () => undefined);
        socket.resume(); // keep-alive comments are read and dropped
        sockets.push(socket);
        resolve('200');
      });
    });
  let next = 0;
  let consecutiveFailures = 0;
  const ticker = setInterval(() => {
    const failed = Object.values(failures).reduce((a, b) => a + b, 0);
    process.send?.({
      progress: `${((Date.now() - started) / 1_000).toFixed(0)} s: ${sockets.length} open, ${failed} failed`,
    });
  }, 10_000);
  const worker = async () => {
    while (next < job.count && Date.now() < job.deadline && consecutiveFailures < 500) {
      const i = next++;
      const answer = await open(`127.0.0.${2 + (i % addresses)}`);
      if (answer === '200') consecutiveFailures = 0;
      else {
        consecutiveFailures++;
        failures[answer] = (failures[answer] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: 200 }, worker));
  clearInterval(ticker);
  const ms = Date.now() - started;
  const pastCap = await open('127.0.0.2');
  return { opened: sockets.length, failures, pastCap, openFiles: openFilesLimit(), ms };
}

if (process.env.MANY_ROLE === 'client') {
  process.once('message', async (job: { port: number; count: number; deadline: number }) => {
    const report = await runClient(job);
    process.send?.(report);
  });
} else {
  await orchestrate();
}

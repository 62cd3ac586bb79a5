import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { freePort, uniqueName } from '@seatrush/test-support';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Buyer, serversEnv, sleep, TEST_APP_ENV } from './support/harness';

/** The inodes of the sockets listening on `port` (IPv4), from /proc/net/tcp. */
async function listeningInodes(port: number): Promise<string[]> {
  const text = await readFile('/proc/net/tcp', 'utf8');
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return text
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A')
    .map((f) => f[9]!);
}

/** The socket inodes a process holds open. */
async function socketInodes(pid: number): Promise<string[]> {
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  const links = await Promise.all(fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
  return links.flatMap((l) => /^socket:\[(\d+)\]$/.exec(l)?.[1] ?? []);
}

async function childrenOf(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return text.split(/\s+/).filter(Boolean).map(Number);
}

/** The inode of the server's end of the connection from `clientPort` to `port`, from /proc/net/tcp. */
async function acceptedInode(port: number, clientPort: number): Promise<string | null> {
  const text = await readFile('/proc/net/tcp', 'utf8');
  const hex = (n: number) => `:${n.toString(16).toUpperCase().padStart(4, '0')}`;
  const line = text
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .find((f) => f[1]?.endsWith(hex(port)) && f[2]?.endsWith(hex(clientPort)) && f[3] === '01');
  return line?.[9] ?? null;
}

/**
 * GET on a connection of its own, so each lands where the kernel (or the primary) puts it; the
 * connection is kept open until the process that accepted it is found by its socket's inode.
 */
async function freshGet(
  url: string,
  cookie: string,
  pids: number[],
): Promise<{ status: number; pid?: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const { status, clientPort } = await new Promise<{ status: number; clientPort: number }>(
      (resolve, reject) => {
        const req = request(
          url,
          { agent, headers: { cookie, 'user-agent': 'Mozilla/5.0 SeatRushTest' } },
          (res) => {
            const clientPort = res.socket.localPort ?? 0;
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, clientPort }));
          },
        );
        req.on('error', reject);
        req.end();
      },
    );
    const inode = await acceptedInode(Number(new URL(url).port), clientPort);
    for (const pid of pids) if (inode && (await socketInodes(pid)).includes(inode)) return { status, pid };
    return { status };
  } finally {
    agent.destroy();
  }
}

describe('PROCESSES=2: two processes of the app on one port (Redis, Kafka, PostgreSQL)', () => {
  const services = inject('services');
  const namespace = uniqueName('frontdoor');
  const db = new pg.Pool({ connectionString: services.databaseUrl, max: 1 });
  const started: ChildProcess[] = [];

  afterAll(async () => {
    for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
    await db.query(`DROP SCHEMA IF EXISTS ${namespace} CASCADE`).catch(() => {});
    await db.end();
  });

  for (const sharing of ['reuseport', 'cluster'] as const) {
    it(`${sharing}: serves one session secret from both, holds the listening sockets as the mode says, stops both on SIGTERM`, async () => {
      const entry = fileURLToPath(new URL('../dist/main.js', import.meta.url));
      expect(existsSync(entry), 'the example app is built (pnpm build)').toBe(true);
      const port = await freePort();
      const env: Record<string, string | undefined> = {
        ...process.env,
        ...TEST_APP_ENV,
        ...serversEnv(services),
        NAMESPACE: namespace,
        PORT: String(port),
        LOG_LEVEL: 'error',
        DEMO_SALE: 'none',
        // no reservation consumer to join a group: the processes start and stop sooner
        WORKER: 'false',
        PROCESSES: '2',
        PROCESS_SHARING: sharing,
        // each process listens in 3 accept lanes (none under the cluster primary)
        ACCEPT_LANES: '3',
        // the primary generates it once for both: a cookie of one process is valid at the other
        SESSION_SECRET: undefined,
      };
      const primary = spawn(process.execPath, [entry], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      started.push(primary);
      let stderr = '';
      primary.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
      });
      const deadline = Date.now() + 120_000;
      while (!stderr.includes(`2 processes (${sharing})`)) {
        if (primary.exitCode !== null) throw new Error(`the app exited with ${primary.exitCode}:\n${stderr}`);
        if (Date.now() > deadline) throw new Error(`the app did not start within 120 s:\n${stderr}`);
        await sleep(100);
      }
      const workers = await childrenOf(primary.pid!);
      expect(workers).toHaveLength(2);

      const listening = await listeningInodes(port);
      const held = await Promise.all([primary.pid!, ...workers].map(socketInodes));
      const holding = held.map((inodes) => listening.filter((inode) => inodes.includes(inode)).length);
      if (sharing === 'reuseport') {
        // SO_REUSEPORT: each process its own listening sockets, its lanes (and their accept
        // queues), none in the primary
        expect(listening).toHaveLength(6);
        expect(holding).toEqual([0, 3, 3]);
      } else {
        // node:cluster's round robin: one socket, in the primary, which hands out the connections
        expect(listening).toHaveLength(1);
        expect(holding).toEqual([1, 0, 0]);
      }

      const url = `http://127.0.0.1:${port}`;
      const buyer = await new Buyer(url).login('front door');
      const cookie = [...buyer.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      // 16 new connections: both processes serve some of them, and each knows the cookie
      const answers = [];
      for (let i = 0; i < 16; i += 1) answers.push(await freshGet(`${url}/api/me`, cookie, workers));
      expect(answers.map((a) => a.status)).toEqual(new Array(16).fill(200));
      expect(new Set(answers.map((a) => a.pid))).toEqual(new Set(workers));

      primary.kill('SIGTERM');
      const code = await new Promise<number | null>((resolve) =>
        primary.exitCode === null ? primary.once('exit', resolve) : resolve(primary.exitCode),
      );
      expect(code).toBe(0);
      for (const pid of workers) expect(existsSync(`/proc/${pid}`), `process ${pid} stopped`).toBe(false);
    }, 180_000);
  }
});

import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { frontDoorEnv, startInstances } from '../src/app-process';
import { LabHttpClient } from '../src/http-client';
import { acceptQueue, processTree } from '../src/probe';
import { applyOverrides, PROFILE_DEFAULTS } from '../src/profiles';
import { textSummary } from '../src/report/text';
import { runProfile } from '../src/runner';

describe('the front door of a lab run', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  it('passes the backlog and the processes to the app only when set', () => {
    expect(frontDoorEnv(undefined)).toEqual({});
    expect(frontDoorEnv({ listenBacklog: 0, processes: 1, sharing: 'reuseport' })).toEqual({});
    expect(frontDoorEnv({ listenBacklog: 511, processes: 2, sharing: 'cluster' })).toEqual({
      LISTEN_BACKLOG: '511',
      PROCESSES: '2',
      PROCESS_SHARING: 'cluster',
    });
    const params = applyOverrides(PROFILE_DEFAULTS.spike, {
      listenBacklog: '511',
      processes: '2',
      roundRobin: '1',
      keepAlive: '0',
    });
    expect(params).toMatchObject({ listenBacklog: 511, processes: 2, roundRobin: 1, keepAlive: 0 });
    expect(PROFILE_DEFAULTS.spike).toMatchObject({ listenBacklog: 0, processes: 1, keepAlive: 1 });
    expect(frontDoorEnv({ acceptLanes: 4 })).toEqual({ ACCEPT_LANES: '4' });
    expect(applyOverrides(PROFILE_DEFAULTS.spike, { acceptLanes: '1' }).acceptLanes).toBe(1);
    expect(PROFILE_DEFAULTS.spike.acceptLanes).toBe(0);
  });

  it.skipIf(process.platform !== 'linux')(
    'reads the connections waiting in an accept queue the app has not taken in',
    async () => {
      // a listener whose process is busy for 3 s: connections complete in the kernel and wait
      const busy = spawn(
        process.execPath,
        [
          '-e',
          `require('node:net').createServer().listen(0, '127.0.0.1', function () {
             console.log(this.address().port);
             setTimeout(() => { const end = Date.now() + 3000; while (Date.now() < end); }, 100);
           });`,
        ],
        { stdio: ['ignore', 'pipe', 'ignore'] },
      );
      cleanups.push(() => busy.kill('SIGKILL'));
      const port = await new Promise<number>((resolve) =>
        busy.stdout.once('data', (d) => resolve(Number(String(d)))),
      );
      await new Promise((r) => setTimeout(r, 300));
      const sockets = await Promise.all(
        Array.from(
          { length: 5 },
          () =>
            new Promise<ReturnType<typeof connect>>((resolve) => {
              const s = connect(port, '127.0.0.1', () => resolve(s));
            }),
        ),
      );
      cleanups.push(() => {
        for (const s of sockets) s.destroy();
      });
      expect(await acceptQueue(port)).toBe(5);
      expect(await acceptQueue(1)).toBeNull();
    },
  );

  it('refuses several app processes on the embedded default', async () => {
    await expect(
      startInstances(
        {
          servers: null,
          powDifficulty: 4,
          paymentLatencyMs: 0,
          paymentFailureRate: 0,
          strategy: 'atomic',
          frontDoor: { processes: 2 },
        },
        1,
      ),
    ).rejects.toThrow(/--processes 2 needs the real servers/);
  });

  it('samples the app with the processes it forked', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    cleanups.push(() => child.kill('SIGKILL'));
    await new Promise((resolve) => child.once('spawn', resolve));
    const tree = await processTree(process.pid);
    expect(tree[0]).toBe(process.pid);
    expect(tree).toContain(child.pid);
  });

  it('opens one connection per request without keep-alive, and reuses one with it', async () => {
    let connections = 0;
    const server = createServer((_req, res) => res.end('{}'));
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => server.close());
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const keepAlive of [false, true]) {
      connections = 0;
      const client = new LabHttpClient(url, { keepAlive, requestSockets: 1 });
      for (let i = 0; i < 4; i++) expect((await client.request('GET', '/')).status).toBe(200);
      client.close();
      expect(connections).toBe(keepAlive ? 1 : 4);
    }
  });

  it('runs the front door alone: every buyer signs in once and leaves, nothing is sold', async () => {
    const params = applyOverrides(PROFILE_DEFAULTS.spike, {
      buyers: '40',
      seats: '5',
      signInOnly: '1',
      listenBacklog: '128',
      settleSeconds: '0',
      maxRunSeconds: '30',
    });
    const result = await runProfile({ profile: 'spike', params, servers: null });
    expect(result.steps.login?.count).toBe(40);
    expect(result.steps.challenge).toBeUndefined();
    expect(result.outcomes).toEqual({ ABANDONED: 40 });
    expect(result.figures?.confirmed).toBe(0);
    expect(result.invariant.ok).toBe(true);
    expect(textSummary(result)).toContain(
      "front door: listen backlog 128 · 1 process · accept lanes app's default · client keep-alive on · sign-in only",
    );
    // what waited outside the app: its accept queue (read) and the lab's own loop (measured)
    expect(result.server.some((s) => s.acceptQueue === 0)).toBe(true);
    expect(result.server.some((s) => (s.labLoopMaxMs ?? 0) > 0)).toBe(true);
    expect(textSummary(result)).toMatch(/waiting outside the app: accept queue peak \d+ connections/);
  }, 90_000);
});

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Server } from 'node:http';
import { type ListenOptions, Server as NetServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ConfigurationError } from '@seatrush/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../src/config';
import { listenOptions, type RunningApp } from '../src/server';
import { startTestApp, TEST_APP_ENV } from './support/harness';

const SERVERS = {
  REDIS_URL: 'redis://127.0.0.1:6379',
  KAFKA_BROKERS: '127.0.0.1:9092',
  DATABASE_URL: 'postgres://u@127.0.0.1:5432/db',
};

describe('the front door settings', () => {
  it('default to one process, a 4096 backlog and 65 s keep-alive, and take the environment', () => {
    expect(loadConfig({})).toMatchObject({
      listenBacklog: 4_096,
      keepAliveTimeoutMs: 65_000,
      processes: 1,
      processSharing: 'reuseport',
    });
    expect(
      loadConfig({
        ...SERVERS,
        LISTEN_BACKLOG: '511',
        KEEP_ALIVE_TIMEOUT_MS: '5000',
        PROCESSES: '3',
        PROCESS_SHARING: 'cluster',
      }),
    ).toMatchObject({
      listenBacklog: 511,
      keepAliveTimeoutMs: 5_000,
      processes: 3,
      processSharing: 'cluster',
    });
  });

  it('refuse several processes on the in-memory stores, and with the buyer checkout', () => {
    const memory = () => loadConfig({ PROCESSES: '2' });
    expect(memory).toThrow(ConfigurationError);
    expect(memory).toThrow(/PROCESSES=2 needs the real servers.*2 separate sales/);
    expect(() => loadConfig({ ...SERVERS, PROCESSES: '2', CHECKOUT: 'buyer' })).toThrow(
      /PROCESSES=2 with CHECKOUT=buyer/,
    );
    expect(loadConfig({ ...SERVERS, PROCESSES: '2' }).processes).toBe(2);
  });

  it('refuse bad values by name', () => {
    for (const env of [
      { LISTEN_BACKLOG: '0' },
      { LISTEN_BACKLOG: 'many' },
      { PROCESSES: '0' },
      { PROCESS_SHARING: 'fork' },
      { KEEP_ALIVE_TIMEOUT_MS: '-1' },
      { ACCEPT_LANES: '0' },
    ]) {
      expect(() => loadConfig(env)).toThrow(new RegExp(Object.keys(env)[0]!));
    }
  });

  it('listen with SO_REUSEPORT only when several processes share the port that way', () => {
    expect(listenOptions(loadConfig({ PORT: '8080', LISTEN_BACKLOG: '2048', ACCEPT_LANES: '1' }))).toEqual({
      port: 8080,
      host: '127.0.0.1',
      backlog: 2_048,
    });
    expect(listenOptions(loadConfig({ ...SERVERS, PROCESSES: '2' })).reusePort).toBe(true);
    expect(
      listenOptions(loadConfig({ ...SERVERS, PROCESSES: '2', PROCESS_SHARING: 'cluster' })).reusePort,
    ).toBeUndefined();
  });

  it('listen in accept lanes (64 on Linux by default), except under the cluster primary', () => {
    expect(listenOptions(loadConfig({ ACCEPT_LANES: '4' })).lanes).toBe(4);
    expect(listenOptions(loadConfig({})).lanes).toBe(process.platform === 'linux' ? 64 : undefined);
    expect(
      listenOptions(loadConfig({ ...SERVERS, PROCESSES: '2', PROCESS_SHARING: 'cluster', ACCEPT_LANES: '4' }))
        .lanes,
    ).toBeUndefined();
  });

  describe('reach the server', () => {
    let app: RunningApp | undefined;
    afterEach(async () => {
      vi.restoreAllMocks();
      await app?.close();
      app = undefined;
    });

    it('listens with the configured backlog and keeps idle connections for the configured time', async () => {
      const listen = vi.spyOn(Server.prototype, 'listen');
      app = await startTestApp({
        LISTEN_BACKLOG: '1234',
        KEEP_ALIVE_TIMEOUT_MS: '42000',
        ACCEPT_LANES: '1',
        DEMO_SALE: 'none',
      });
      const options = listen.mock.calls.map((call) => call[0] as ListenOptions);
      expect(options).toContainEqual({ port: 0, host: '127.0.0.1', backlog: 1_234 });
      expect(app.server.keepAliveTimeout).toBe(42_000);
      expect((await fetch(`${app.url}/health`)).status).toBe(200);
    });

    it('listens in its accept lanes on the one port, each with the configured backlog', async () => {
      // the server's own listen, and its lanes' (plain net servers)
      const listen = vi.spyOn(NetServer.prototype, 'listen');
      app = await startTestApp({ LISTEN_BACKLOG: '1234', ACCEPT_LANES: '3', DEMO_SALE: 'none' });
      const lanes = listen.mock.calls
        .map((call) => call[0] as ListenOptions)
        .filter((o) => o.backlog === 1_234);
      // (node marks a reusePort listen exclusive itself)
      expect(lanes).toMatchObject([
        { port: 0, host: '127.0.0.1', backlog: 1_234, reusePort: true },
        { port: app.port, host: '127.0.0.1', backlog: 1_234, reusePort: true },
        { port: app.port, host: '127.0.0.1', backlog: 1_234, reusePort: true },
      ]);
      const answers = await Promise.all(
        Array.from({ length: 12 }, () =>
          fetch(`${app!.url}/health`, { headers: { connection: 'close' } }).then((r) => r.status),
        ),
      );
      expect(answers).toEqual(Array(12).fill(200));
    });
  });

  it('the entry point exits with the reason when asked for several processes on the in-memory stores', async () => {
    const entry = fileURLToPath(new URL('../dist/main.js', import.meta.url));
    expect(existsSync(entry), 'the example app is built (pnpm build)').toBe(true);
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      ...TEST_APP_ENV,
      PROCESSES: '2',
    };
    const child = spawn(process.execPath, [entry], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(/PROCESSES=2 needs the real servers/);
  }, 30_000);
});

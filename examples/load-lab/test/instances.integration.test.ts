import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, inject, it } from 'vitest';
// the servers' addresses the integration project's global setup provides (its `inject` typing)
import type {} from '../../../test/support/global-setup';
import { APP_ENTRY, type ServerEnv } from '../src/app-process';
import { applyOverrides, PROFILE_DEFAULTS } from '../src/profiles';
import { startRoundRobinProxy } from '../src/proxy';
import { instanceLines } from '../src/report/text';
import { runProfile } from '../src/runner';

// Three instances of the real example app (its built dist/) on Redis, Kafka and PostgreSQL, the
// buyers behind the lab's round-robin proxy: the flow, the streams and the invariant are the app's.
beforeAll(() => {
  if (!existsSync(APP_ENTRY)) {
    execFileSync('pnpm', ['--filter', '@seatrush/example-express-app...', 'build'], { stdio: 'inherit' });
  }
}, 180_000);

describe('the load lab with several instances', () => {
  const services = inject('services');
  const servers: ServerEnv = {
    REDIS_URL: services.redisUrl,
    KAFKA_BROKERS: services.kafkaBrokers.join(','),
    DATABASE_URL: services.databaseUrl,
  };

  it('refuses several instances on the embedded default (its sale lives in each process)', async () => {
    const params = applyOverrides(PROFILE_DEFAULTS.spike, { instances: '3', buyers: '5', seats: '1' });
    await expect(runProfile({ profile: 'spike', params, servers: null })).rejects.toThrow(
      /3 instances need the real servers/,
    );
  });

  it('streams SSE through the round-robin proxy and spreads requests over the upstreams', async () => {
    const { createServer } = await import('node:http');
    const upstreams = await Promise.all(
      ['a', 'b'].map(
        (name) =>
          new Promise<{ url: string; close: () => void }>((resolve) => {
            const server = createServer((req, res) => {
              if (req.url === '/stream') {
                res.writeHead(200, { 'content-type': 'text/event-stream' });
                res.write(`data: ${name}-1\n\n`);
                // the second event only after the first has reached the client: nothing buffered
                setTimeout(() => res.end(`data: ${name}-2\n\n`), 200);
              } else res.end(name);
            });
            server.listen(0, '127.0.0.1', () => {
              const address = server.address() as { port: number };
              resolve({ url: `http://127.0.0.1:${address.port}`, close: () => server.close() });
            });
          }),
      ),
    );
    const proxy = await startRoundRobinProxy(upstreams.map((u) => u.url));
    try {
      const bodies = await Promise.all([1, 2, 3, 4].map(async () => (await fetch(proxy.url)).text()));
      expect(bodies.sort()).toEqual(['a', 'a', 'b', 'b']);
      const stream = await fetch(`${proxy.url}/stream`);
      const reader = stream.body!.getReader();
      const started = performance.now();
      const first = new TextDecoder().decode((await reader.read()).value);
      expect(first).toMatch(/^data: [ab]-1\n\n$/);
      // the first event came before the upstream ended the stream
      expect(performance.now() - started).toBeLessThan(200);
      await reader.cancel();
      // five requests in turn over two upstreams
      expect([...proxy.forwarded].sort()).toEqual([2, 3]);
    } finally {
      await proxy.close();
      for (const u of upstreams) u.close();
    }
  });

  it('a tiny spike over three instances on the real servers keeps the invariant', async () => {
    const params = applyOverrides(PROFILE_DEFAULTS.spike, {
      instances: '3',
      buyers: '60',
      seats: '10',
      spreadMs: '500',
      paymentLatencyMs: '50',
      settleSeconds: '30',
      maxRunSeconds: '90',
      'behaviour.thinkMs': '0,200',
    });
    const lines: string[] = [];
    const result = await runProfile({ profile: 'spike', params, servers, log: (l) => lines.push(l) });
    const failing = result.invariant.checks.filter((c) => !c.ok);
    expect(failing, `${JSON.stringify(failing)}\n${lines.join('\n')}`).toEqual([]);
    expect(result.invariant.ok).toBe(true);
    expect(result.meta.mode).toBe('servers');
    expect(result.instances).toHaveLength(3);
    // the proxy sent every instance its share, and each was sampled
    for (const instance of result.instances!) {
      expect(instance.forwarded).toBeGreaterThan(20);
      expect(instance.samples.some((s) => s.appRssMb !== null)).toBe(true);
    }
    expect(result.instances!.filter((i) => i.figuresFrom)).toHaveLength(1);
    expect(result.figures?.confirmed).toBeGreaterThan(0);
    expect(result.figures!.confirmed).toBeLessThanOrEqual(10);
    expect(result.reconciliation?.truthConfirmed).toBe(result.figures!.confirmed);
    expect(instanceLines(result)[0]).toMatch(/^instances: 3, CPU mean summed/);
  }, 180_000);
});

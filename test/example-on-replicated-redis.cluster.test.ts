import { connectRedis, redisDeploymentFromUrl } from '@seatrush/redis-adapter';
import { Cluster, type Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { RunningApp } from '../examples/express-app/src/server';
import { Buyer, startTestApp } from '../examples/express-app/test/support/harness';
import { uniqueName } from './support';
import { removeNamespace } from './support/namespace';

// Issue 20: the example app configured by REDIS_URL alone runs on a Sentinel group
// (`redis-sentinel://…/name`) and on a Redis Cluster (`redis-cluster://…`), as the SDK's
// `redisDeploymentFromUrl` reads them: a buyer holds a seat, the worker confirms it, and the sale's
// keys live on the group's primary or on the cluster, not on the single Redis.

function required(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`this test needs ${name}: run \`pnpm services up cluster\` and export .services/env`);
  return value;
}

const databaseUrl = required('DATABASE_URL');
const kafkaBrokers = required('KAFKA_BROKERS');
const deployments = {
  sentinel: `redis-sentinel://${required('REDIS_SENTINELS')}/${required('REDIS_SENTINEL_NAME')}`,
  cluster: `redis-cluster://${required('REDIS_CLUSTER_NODES')}`,
};

describe('the example app on a replicated Redis named by REDIS_URL', () => {
  let app: RunningApp | undefined;
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  afterAll(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => undefined);
  });

  it.each(Object.entries(deployments))('serves and confirms a sale on %s', async (_kind, redisUrl) => {
    const namespace = uniqueName('onrepl');
    const redis = connectRedis(redisDeploymentFromUrl(redisUrl));
    const db = new pg.Pool({ connectionString: databaseUrl, max: 1 });
    cleanups.push(async () => {
      if (redis instanceof Cluster) {
        for (const master of redis.nodes('master')) await removeNamespace(namespace, { redis: master });
      } else {
        await removeNamespace(namespace, { redis: redis as Redis });
      }
      await removeNamespace(namespace, { db, kafkaBrokers: kafkaBrokers.split(',') });
      redis.disconnect();
      await db.end();
    });
    app = await startTestApp({
      REDIS_URL: redisUrl,
      KAFKA_BROKERS: kafkaBrokers,
      DATABASE_URL: databaseUrl,
      NAMESPACE: namespace,
    });
    const buyer = await new Buyer(app.url).login('Ines');
    await buyer.enter('demo');
    const held = await buyer.reserve('demo', { seatIds: ['floor-A1'] }, 'ines-1');
    expect(held.status).toBe(201);
    expect((await buyer.waitForResult('demo', held.body.reservation.id, 30_000)).status).toBe('CONFIRMED');

    // the sale's keys are on the deployment REDIS_URL named
    const keys: string[] = [];
    const masters = redis instanceof Cluster ? redis.nodes('master') : [redis as Redis];
    for (const node of masters) {
      const [, found] = await node.scan('0', 'MATCH', `${namespace}:*`, 'COUNT', 10_000);
      keys.push(...found);
    }
    expect(keys.length).toBeGreaterThan(0);
    expect((await app.platform.runtime.ports.inventory.seatStates('demo'))['floor-A1']).toBe('CONFIRMED');
  });
});

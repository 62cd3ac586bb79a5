import { reserveRequest, units } from '@seatrush/conformance';
import { ConfigurationError } from '@seatrush/core';
import {
  checkDurability,
  connectRedis,
  RedisInventoryStore,
  redisDeploymentFromUrl,
} from '@seatrush/redis-adapter';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generalSale, isolatedPrefix } from './helpers';
import { type RedisProcess, startRedis, startSentinel } from './redis-process';

const reserveOne = (store: RedisInventoryStore, saleId: string) =>
  store.reserve(reserveRequest(saleId, 'u1', units(1), 1_000, { reservationId: 'r1', idempotencyKey: 'k1' }));

describe('deployment modes: the same stores on one node, behind Sentinel, with ACL users', () => {
  let secured: RedisProcess;
  let master: RedisProcess;
  let sentinel: RedisProcess;
  beforeAll(async () => {
    secured = await startRedis([
      '--user',
      'default',
      'off',
      '--user',
      'seatrush',
      'on',
      '>s3cret',
      '~*',
      '+@all',
    ]);
    master = await startRedis(['--appendonly', 'yes', '--appendfsync', 'always']);
    sentinel = await startSentinel(master.port, 'sales');
  });
  afterAll(async () => {
    await Promise.all([secured.destroy(), sentinel.destroy(), master.destroy()]);
  });

  it('connects with an ACL user and password, and is refused without them', async () => {
    const ok = connectRedis({
      mode: 'single',
      host: '127.0.0.1',
      port: secured.port,
      username: 'seatrush',
      password: 's3cret',
    });
    const store = new RedisInventoryStore(ok, { keyPrefix: isolatedPrefix() });
    await store.load(generalSale('acl', 3));
    expect(await reserveOne(store, 'acl')).toMatchObject({ ok: true });
    await ok.quit();
    const anonymous = connectRedis(
      { mode: 'single', url: secured.url },
      { maxRetriesPerRequest: 0, lazyConnect: true },
    ) as Redis;
    anonymous.on('error', () => {});
    await expect(anonymous.connect().then(() => anonymous.ping())).rejects.toThrow();
    anonymous.disconnect();
  });

  it('finds the master through Sentinel and runs the hot path there', async () => {
    const client = connectRedis({
      mode: 'sentinel',
      sentinels: [{ host: '127.0.0.1', port: sentinel.port }],
      name: 'sales',
    });
    try {
      const store = new RedisInventoryStore(client, { keyPrefix: isolatedPrefix() });
      await store.load(generalSale('sentinel', 3));
      expect(await reserveOne(store, 'sentinel')).toMatchObject({ ok: true });
      expect(await store.counts('sentinel')).toMatchObject({ available: 2, held: 1 });
      expect(await (client as Redis).call('CONFIG', 'GET', 'port')).toEqual(['port', String(master.port)]);
      expect(await checkDurability(client)).toEqual([]);
    } finally {
      await client.quit();
    }
  });

  it('finds the master through Sentinel from one URL (redis-sentinel://…/name), as a host configures it', async () => {
    const client = connectRedis(redisDeploymentFromUrl(`redis-sentinel://127.0.0.1:${sentinel.port}/sales`));
    try {
      const store = new RedisInventoryStore(client, { keyPrefix: isolatedPrefix() });
      await store.load(generalSale('sentinel-url', 3));
      expect(await reserveOne(store, 'sentinel-url')).toMatchObject({ ok: true });
      expect(await (client as Redis).call('CONFIG', 'GET', 'port')).toEqual(['port', String(master.port)]);
    } finally {
      await client.quit();
    }
  });

  it('connects with the ACL user and password of a redis:// URL', async () => {
    const client = connectRedis(redisDeploymentFromUrl(`redis://seatrush:s3cret@127.0.0.1:${secured.port}`));
    try {
      expect(await (client as Redis).call('ACL', 'WHOAMI')).toBe('seatrush');
    } finally {
      await client.quit();
    }
  });

  it('keeps working after the server lost its script cache (EVALSHA falls back on NOSCRIPT)', async () => {
    const client = connectRedis({ mode: 'single', url: master.url });
    try {
      const store = new RedisInventoryStore(client, { keyPrefix: isolatedPrefix() });
      await store.load(generalSale('flushed', 3));
      await (client as Redis).script('FLUSH');
      expect(await reserveOne(store, 'flushed')).toMatchObject({ ok: true });
    } finally {
      await client.quit();
    }
  });

  it('refuses an ioredis keyPrefix', () => {
    expect(() =>
      connectRedis({ mode: 'single', url: inject('services').redisUrl }, { keyPrefix: 'x:' } as never),
    ).toThrow(ConfigurationError);
  });
});

describe('checkDurability: warns about settings that lose sale data', () => {
  it('says nothing for AOF with fsync always and noeviction', async () => {
    const server = await startRedis([
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--maxmemory-policy',
      'noeviction',
    ]);
    const client = connectRedis({ mode: 'single', url: server.url });
    try {
      expect(await checkDurability(client)).toEqual([]);
    } finally {
      await client.quit();
      await server.destroy();
    }
  });

  it('warns about no AOF and about an evicting maxmemory-policy', async () => {
    const server = await startRedis(['--appendonly', 'no', '--maxmemory-policy', 'allkeys-lru']);
    const client = connectRedis({ mode: 'single', url: server.url });
    try {
      const codes = (await checkDurability(client)).map((w) => w.code).sort();
      expect(codes).toEqual(['EVICTING_POLICY', 'NO_AOF']);
    } finally {
      await client.quit();
      await server.destroy();
    }
  });
});

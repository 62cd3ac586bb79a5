import type { ConnectionOptions } from 'node:tls';
import { ConfigurationError } from '@seatrush/core';
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import type { RedisClient } from './scripts';

/** A host and port of a Redis server, Sentinel or cluster node. */
export interface RedisAddress {
  host: string;
  port: number;
}

/** Credentials and transport shared by every deployment mode (ACL user, password, TLS). */
export interface RedisAuth {
  /** ACL user (Redis 6+). */
  username?: string;
  password?: string;
  /** TLS options passed to ioredis as they are (`{}` for TLS with the system's CAs). */
  tls?: ConnectionOptions;
}

/** Where SeatRush's Redis is: one node, a Sentinel-managed master, or a Redis Cluster. */
export type RedisDeployment =
  | ({ mode: 'single'; url?: string; host?: string; port?: number; db?: number } & RedisAuth)
  | ({
      mode: 'sentinel';
      sentinels: RedisAddress[];
      /** The master's name as the Sentinels know it. */
      name: string;
      /** Credentials of the Sentinels themselves, when they differ. */
      sentinelUsername?: string;
      sentinelPassword?: string;
    } & RedisAuth)
  | ({ mode: 'cluster'; nodes: RedisAddress[] } & RedisAuth);

/** Extra ioredis options; `keyPrefix` is refused (see `assertUsableClient`). */
export type ExtraRedisOptions = Omit<RedisOptions, 'keyPrefix'>;

/**
 * Opens the ioredis client for a deployment. The stores run unchanged on all three modes: every
 * script's keys share the sale's hash tag, so on a cluster each script runs in one slot.
 * Auto-pipelining is on unless `extra` turns it off: the commands of concurrent requests leave in
 * one write per tick, which gave 1.1-1.7x the reserves a second of one write per command in 12 of
 * 15 rounds of `bench:ratios`, 0.66-0.93x in the other 3 (docs/performance.md).
 */
export function connectRedis(deployment: RedisDeployment, extra: ExtraRedisOptions = {}): RedisClient {
  if ((extra as RedisOptions).keyPrefix) {
    throw new ConfigurationError(
      "ioredis' keyPrefix is not supported: pass `keyPrefix` to the SeatRush stores",
    );
  }
  const auth: RedisOptions = {
    ...(deployment.username ? { username: deployment.username } : {}),
    ...(deployment.password ? { password: deployment.password } : {}),
    ...(deployment.tls ? { tls: deployment.tls } : {}),
  };
  switch (deployment.mode) {
    case 'single': {
      const options: RedisOptions = {
        enableAutoPipelining: true,
        ...extra,
        ...auth,
        ...(deployment.db !== undefined ? { db: deployment.db } : {}),
      };
      if (deployment.url) return new Redis(deployment.url, options);
      return new Redis({ host: deployment.host ?? '127.0.0.1', port: deployment.port ?? 6379, ...options });
    }
    case 'sentinel':
      if (deployment.sentinels.length === 0) throw new ConfigurationError('sentinel mode needs sentinels');
      return new Redis({
        enableAutoPipelining: true,
        ...extra,
        ...auth,
        sentinels: deployment.sentinels,
        name: deployment.name,
        ...(deployment.sentinelUsername ? { sentinelUsername: deployment.sentinelUsername } : {}),
        ...(deployment.sentinelPassword ? { sentinelPassword: deployment.sentinelPassword } : {}),
        ...(deployment.tls ? { enableTLSForSentinelMode: true, sentinelTLS: deployment.tls } : {}),
      });
    case 'cluster': {
      if (deployment.nodes.length === 0) throw new ConfigurationError('cluster mode needs at least one node');
      const { enableAutoPipelining = true, ...redisOptions } = extra;
      const options: ClusterOptions = {
        enableAutoPipelining,
        redisOptions: { ...redisOptions, ...auth },
        scaleReads: 'master',
      };
      return new Cluster(deployment.nodes, options);
    }
    default:
      throw new ConfigurationError(`unknown Redis mode ${String((deployment as { mode: unknown }).mode)}`);
  }
}

/** One setting of one server that can lose sale data. */
export interface DurabilityWarning {
  /** `host:port` of the server. */
  server: string;
  code: 'NO_AOF' | 'EVICTING_POLICY' | 'FSYNC_EVERYSEC' | 'SETTINGS_UNREADABLE';
  message: string;
}

/**
 * Reads every master's persistence and eviction settings and says what can lose sale data:
 * - no AOF: a crash loses every hold since the last RDB snapshot (or all of them);
 * - a `maxmemory-policy` other than `noeviction`: `allkeys-*` may evict a stock key (an
 *   oversell when warm-up is not re-run), `volatile-*` may evict live hold records (they carry a
 *   garbage-collection TTL) — both silently;
 * - `appendfsync everysec`: up to a second of acknowledged holds lost on a machine crash.
 * Managed services often refuse CONFIG; that is a warning too, not an error.
 */
export async function checkDurability(redis: RedisClient): Promise<DurabilityWarning[]> {
  const servers: Redis[] = redis instanceof Cluster ? redis.nodes('master') : [redis];
  const warnings: DurabilityWarning[] = [];
  for (const server of servers) {
    // the socket's peer is the real server (behind Sentinel, options name the default host)
    const peer = server.stream as { remoteAddress?: string; remotePort?: number } | undefined;
    const name = peer?.remoteAddress
      ? `${peer.remoteAddress}:${peer.remotePort}`
      : `${server.options.host ?? '?'}:${server.options.port ?? '?'}`;
    let settings: Record<string, string>;
    try {
      const flat = (await server.call('CONFIG', 'GET', '*')) as string[];
      settings = {};
      for (let i = 0; i + 1 < flat.length; i += 2) settings[flat[i]!] = flat[i + 1]!;
    } catch (error) {
      warnings.push({
        server: name,
        code: 'SETTINGS_UNREADABLE',
        message: `cannot read CONFIG (${(error as Error).message}): check that AOF is on and maxmemory-policy is noeviction`,
      });
      continue;
    }
    if (settings.appendonly !== 'yes') {
      warnings.push({
        server: name,
        code: 'NO_AOF',
        message: 'appendonly is off: a crash loses the holds and stock changes since the last snapshot',
      });
    } else if (settings.appendfsync === 'everysec') {
      warnings.push({
        server: name,
        code: 'FSYNC_EVERYSEC',
        message: 'appendfsync everysec: a machine crash may lose up to a second of acknowledged holds',
      });
    }
    const policy = settings['maxmemory-policy'] ?? 'noeviction';
    if (policy !== 'noeviction') {
      warnings.push({
        server: name,
        code: 'EVICTING_POLICY',
        message: `maxmemory-policy ${policy} evicts keys under memory pressure: an evicted stock key is an oversell, an evicted hold is lost; use noeviction`,
      });
    }
  }
  return warnings;
}

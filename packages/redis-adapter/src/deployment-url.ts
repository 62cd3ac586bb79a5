import { ConfigurationError } from '@seatrush/core';
import type { RedisAddress, RedisDeployment } from './connect';

/**
 * Reads a {@link RedisDeployment} from one URL, so a host configured by one environment variable
 * (`REDIS_URL`) can point at one node, a Sentinel group or a Redis Cluster without code of its own:
 *
 * - `redis://[user:password@]host[:port][/db]`, `rediss://…` (TLS): one node, as ioredis reads it;
 * - `redis-sentinel://[user:password@]host:port,host:port,…/masterName`, `rediss-sentinel://…`:
 *   the master the Sentinels name `masterName`; the credentials are the data nodes'. Optional query
 *   parameters `sentinelUsername` and `sentinelPassword` when the Sentinels' differ;
 * - `redis-cluster://[user:password@]host:port,host:port,…`, `rediss-cluster://…`: a Redis Cluster
 *   reached through any of the seed nodes.
 *
 * The WHATWG `URL` cannot read a comma-separated host list, hence this parser. Bad input throws a
 * `ConfigurationError` naming what is wrong (the password is never echoed).
 *
 * @example
 * ```ts
 * const redis = connectRedis(redisDeploymentFromUrl(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'));
 * ```
 */
export function redisDeploymentFromUrl(url: string): RedisDeployment {
  const scheme = /^([a-z-]+):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (!scheme)
    throw new ConfigurationError('a Redis URL starts with redis://, redis-sentinel:// or redis-cluster://');
  const tls = scheme.startsWith('rediss');
  const kind = scheme.replace(/^rediss?/, '');
  if (kind === '') {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConfigurationError(`not a Redis URL: ${redacted(url)}`);
    }
    if (!parsed.hostname) throw new ConfigurationError(`a Redis URL needs a host: ${redacted(url)}`);
    return { mode: 'single', url };
  }
  if (kind !== '-sentinel' && kind !== '-cluster') {
    throw new ConfigurationError(
      `unknown Redis URL scheme ${scheme}:// (redis, rediss, redis-sentinel, rediss-sentinel, redis-cluster, rediss-cluster)`,
    );
  }
  const rest = url.slice(scheme.length + 3);
  const at = rest.lastIndexOf('@');
  const credentials = at >= 0 ? rest.slice(0, at) : '';
  const afterCredentials = at >= 0 ? rest.slice(at + 1) : rest;
  const queryAt = afterCredentials.indexOf('?');
  const query = new URLSearchParams(queryAt >= 0 ? afterCredentials.slice(queryAt + 1) : '');
  const location = queryAt >= 0 ? afterCredentials.slice(0, queryAt) : afterCredentials;
  const slash = location.indexOf('/');
  const hostList = slash >= 0 ? location.slice(0, slash) : location;
  const path = slash >= 0 ? decodeURIComponent(location.slice(slash + 1)) : '';
  const addresses = hostList.split(',').map((entry) => addressOf(entry, url));
  const auth = {
    ...credentialsOf(credentials),
    ...(tls ? { tls: {} } : {}),
  };
  if (kind === '-sentinel') {
    if (path === '' || path.includes('/')) {
      throw new ConfigurationError(
        `a Sentinel URL ends with the master's name: redis-sentinel://host:port,…/name (${redacted(url)})`,
      );
    }
    const sentinelUsername = query.get('sentinelUsername');
    const sentinelPassword = query.get('sentinelPassword');
    return {
      mode: 'sentinel',
      sentinels: addresses,
      name: path,
      ...auth,
      ...(sentinelUsername ? { sentinelUsername } : {}),
      ...(sentinelPassword ? { sentinelPassword } : {}),
    };
  }
  if (path !== '') {
    throw new ConfigurationError(
      `a Redis Cluster has no database number or name: redis-cluster://host:port,… (${redacted(url)})`,
    );
  }
  return { mode: 'cluster', nodes: addresses, ...auth };
}

function addressOf(entry: string, url: string): RedisAddress {
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+):(\d{1,5})$/i.exec(entry.trim());
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65_535) {
    throw new ConfigurationError(`each node of a Redis URL is host:port, not "${entry}" (${redacted(url)})`);
  }
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

function credentialsOf(credentials: string): { username?: string; password?: string } {
  if (credentials === '') return {};
  const colon = credentials.indexOf(':');
  const username = decodeURIComponent(colon >= 0 ? credentials.slice(0, colon) : credentials);
  const password = colon >= 0 ? decodeURIComponent(credentials.slice(colon + 1)) : '';
  return { ...(username ? { username } : {}), ...(password ? { password } : {}) };
}

/** The URL with its password replaced, for error messages. */
function redacted(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@]*@/, '//$1:***@');
}

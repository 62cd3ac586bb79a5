import { ConfigurationError } from '@seatrush/core';
import { redisDeploymentFromUrl } from '@seatrush/redis-adapter';
import { describe, expect, it } from 'vitest';

describe('redisDeploymentFromUrl: one URL for one node, a Sentinel group or a Cluster', () => {
  it('reads a redis:// or rediss:// URL as one node, left to ioredis as it is', () => {
    expect(redisDeploymentFromUrl('redis://127.0.0.1:6379/2')).toEqual({
      mode: 'single',
      url: 'redis://127.0.0.1:6379/2',
    });
    expect(redisDeploymentFromUrl('rediss://u:p@cache.example:6380')).toEqual({
      mode: 'single',
      url: 'rediss://u:p@cache.example:6380',
    });
  });

  it('reads the Sentinels, the master name, the data nodes’ and the Sentinels’ credentials', () => {
    expect(
      redisDeploymentFromUrl(
        'redis-sentinel://app:pa%40ss@10.0.0.1:26379,10.0.0.2:26380,[::1]:26381/seatrush?sentinelPassword=sp',
      ),
    ).toEqual({
      mode: 'sentinel',
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: '10.0.0.2', port: 26380 },
        { host: '::1', port: 26381 },
      ],
      name: 'seatrush',
      username: 'app',
      password: 'pa@ss',
      sentinelPassword: 'sp',
    });
  });

  it('reads the seed nodes of a Cluster, with TLS for rediss-cluster://', () => {
    expect(redisDeploymentFromUrl('rediss-cluster://:secret@a:7001,b:7002')).toEqual({
      mode: 'cluster',
      nodes: [
        { host: 'a', port: 7001 },
        { host: 'b', port: 7002 },
      ],
      password: 'secret',
      tls: {},
    });
  });

  it.each([
    ['no scheme', '127.0.0.1:6379', /starts with redis/],
    ['an unknown scheme', 'memcached://a:1', /unknown Redis URL scheme memcached/],
    ['a Sentinel URL without the master name', 'redis-sentinel://a:26379', /master's name/],
    ['a node without a port', 'redis-cluster://a:7001,b', /host:port, not "b"/],
    ['a port out of range', 'redis-cluster://a:70000', /host:port/],
    ['a Cluster URL with a database', 'redis-cluster://a:7001/0', /no database/],
    ['a single URL without a host', 'redis://', /not a Redis URL|needs a host/],
  ])('refuses %s with a ConfigurationError', (_case, url, message) => {
    expect(() => redisDeploymentFromUrl(url)).toThrow(ConfigurationError);
    expect(() => redisDeploymentFromUrl(url)).toThrow(message);
  });

  it('never echoes the password in an error', () => {
    expect(() => redisDeploymentFromUrl('redis-sentinel://app:hunter2@a:1')).toThrow(/app:\*\*\*@/);
    expect(() => redisDeploymentFromUrl('redis-sentinel://app:hunter2@a:1')).not.toThrow(/hunter2/);
  });
});

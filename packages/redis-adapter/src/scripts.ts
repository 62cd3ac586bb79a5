import { InfrastructureError } from '@seatrush/core';
import type { Cluster, Redis } from 'ioredis';
import type { ScriptName } from './lua-assembly';
import { loadLuaScripts } from './lua-files';

/** A single node, a Sentinel-managed master, or a Redis Cluster: the adapter runs on all three. */
export type RedisClient = Redis | Cluster;

let sources: Map<ScriptName, string> | undefined;

/** The source of every script, assembled (includes expanded) once. */
export function luaSources(): Map<ScriptName, string> {
  sources ??= loadLuaScripts();
  return sources;
}

const commandName = (name: ScriptName) => `seatrush_${name.replaceAll('-', '_')}`;

type ScriptCommand = (numberOfKeys: number, ...keysAndArgs: Array<string | number>) => Promise<unknown>;

/**
 * Runs the adapter's scripts on one client. Each script is registered once per client with
 * ioredis `defineCommand`, which sends EVALSHA and falls back to EVAL on NOSCRIPT (a restarted or
 * failed-over server has an empty script cache).
 */
export class Scripts {
  constructor(private readonly redis: RedisClient) {
    const target = redis as unknown as Record<string, unknown>;
    for (const [name, lua] of luaSources()) {
      if (typeof target[commandName(name)] !== 'function') redis.defineCommand(commandName(name), { lua });
    }
  }

  /**
   * Runs `name` with its KEYS and ARGV; the reply is the script's, untouched. A failure of the
   * server or the connection becomes an `InfrastructureError` with the original as `cause`.
   */
  async run(name: ScriptName, keys: string[], args: Array<string | number>): Promise<unknown> {
    const command = (this.redis as unknown as Record<string, ScriptCommand>)[commandName(name)]!;
    try {
      return await command.call(this.redis, keys.length, ...keys, ...args);
    } catch (error) {
      throw new InfrastructureError(`Redis script ${name} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}

import { InfrastructureError, StoreUnavailableError } from '@seatrush/core';
import type { Cluster, Redis } from 'ioredis';
import type { ScriptName } from './lua-assembly';
import { loadLuaScripts } from './lua-files';
import { asList } from './replies';

/** A single node, a Sentinel-managed master, or a Redis Cluster: the adapter runs on all three. */
export type RedisClient = Redis | Cluster;

let sources: Map<ScriptName, string> | undefined;

/** The source of every script, assembled (includes expanded) once. */
export function luaSources(): Map<ScriptName, string> {
  sources ??= loadLuaScripts();
  return sources;
}

/**
 * The command of a script called with `keys` keys. Each (script, key count) is its own command,
 * defined with a fixed `numberOfKeys`, so a call's first argument is its first KEY: ioredis'
 * Cluster auto-pipelining groups commands by the slot of their first argument, and with the key
 * count first (a command defined without `numberOfKeys`) it grouped every script by the slot of
 * "1", then refused the pipeline ("All keys in the pipeline should belong to the same slots
 * allocation group"; ioredis issue #2109).
 */
const commandName = (name: ScriptName, keys: number) => `seatrush_${name.replaceAll('-', '_')}_${keys}`;

/** Clients that were ready once: only a link that was up and is lost fails fast. */
const everReady = new WeakSet<RedisClient>();
const watched = new WeakSet<RedisClient>();

/** One 'ready' listener per client, however many stores share it. */
function watchFirstReady(redis: RedisClient): void {
  if (redis.status === 'ready') everReady.add(redis);
  if (everReady.has(redis) || watched.has(redis)) return;
  watched.add(redis);
  redis.once('ready', () => everReady.add(redis));
}

type ScriptCommand = (...keysAndArgs: Array<string | number>) => Promise<unknown>;

/** The number of KEYS a script declares: the highest `KEYS[n]` of its source. */
function keyCount(lua: string): number {
  return Math.max(0, ...[...lua.matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1])));
}

/**
 * Runs the adapter's scripts on one client. Each script is registered once per client with
 * ioredis `defineCommand` for the key count its source declares, which sends EVALSHA and falls
 * back to EVAL on NOSCRIPT (a restarted or failed-over server has an empty script cache). All are
 * defined up front: an auto-pipeline made before a command was defined lacks that command.
 */
export class Scripts {
  constructor(private readonly redis: RedisClient) {
    for (const [name, lua] of luaSources()) this.define(name, keyCount(lua));
    watchFirstReady(redis);
  }

  private define(name: ScriptName, keys: number): string {
    const command = commandName(name, keys);
    if (typeof (this.redis as unknown as Record<string, unknown>)[command] !== 'function') {
      this.redis.defineCommand(command, { lua: luaSources().get(name)!, numberOfKeys: keys });
    }
    return command;
  }

  /**
   * Runs `name` with its KEYS and ARGV; the reply is the script's, untouched. A failure of the
   * server or the connection becomes an `InfrastructureError` with the original as `cause`.
   */
  async run(name: ScriptName, keys: string[], args: Array<string | number>): Promise<unknown> {
    // A client that lost its link queues commands and sends them when it is back, long after the
    // caller was answered (a buyer told "unknown" while their reserve waits to run). A script is
    // never queued for a lost link: it is refused at once, unsent, so the caller knows nothing
    // changed. Before the first connection (start-up) the client's own queue is kept.
    if (this.redis.status !== 'ready' && everReady.has(this.redis)) {
      throw new StoreUnavailableError(
        `Redis is not reachable (${this.redis.status}): script ${name} not sent`,
      );
    }
    const command = (this.redis as unknown as Record<string, ScriptCommand>)[this.define(name, keys.length)]!;
    try {
      return await command.call(this.redis, ...keys, ...args);
    } catch (error) {
      throw new InfrastructureError(`Redis script ${name} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  /** Runs `name` as `run` does, for a script that answers a list: its reply, or an `InfrastructureError`. */
  async list(name: ScriptName, keys: string[], args: Array<string | number>): Promise<unknown[]> {
    return asList(await this.run(name, keys, args), name);
  }

  /** Runs `name` as `list` does, the list's items as strings. */
  async strings(name: ScriptName, keys: string[], args: Array<string | number>): Promise<string[]> {
    return (await this.list(name, keys, args)).map(String);
  }
}

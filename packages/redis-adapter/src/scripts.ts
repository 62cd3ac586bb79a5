import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InfrastructureError } from '@seatrush/core';
import type { Cluster, Redis } from 'ioredis';

/** A single node, a Sentinel-managed master, or a Redis Cluster: the adapter runs on all three. */
export type RedisClient = Redis | Cluster;

/** Every Lua script of the adapter, one file per command in `src/lua/`. */
export const SCRIPT_NAMES = [
  'reserve',
  'reserve-group',
  'waiting-list-join',
  'waiting-list-leave',
  'waiting-list-offer',
  'waiting-list-claim',
  'extend-hold',
  'release-hold',
  'confirm-hold',
  'compensate',
  'expire-due',
  'repair',
  'take-stock',
  'return-stock',
  'write-hold',
  'join-queue',
  'admit',
  'evict-silent',
  'leave-queue',
  'heartbeat',
  'renew-admission',
  'enter',
  'admit-next',
  'open-pre-queue',
  'configure-queue',
  'token-bucket',
  'sliding-window',
  'idempotency-claim',
  'idempotency-complete',
  'idempotency-abandon',
  'lock-acquire',
  'lock-release',
  'lock-raise-fence',
] as const;

/** The name of one of the adapter's scripts. */
export type ScriptName = (typeof SCRIPT_NAMES)[number];

/**
 * The Lua sources sit next to this module in `src/lua/` (vitest runs the sources), and the
 * published package ships `src/` beside `dist/`, so the built bundle reads `../src/lua/` (and the
 * benchmark's bundle, in `dist/bench/`, `../../src/lua/`).
 */
function luaDirectory(): string {
  for (const candidate of ['./lua/', '../src/lua/', '../../src/lua/']) {
    const dir = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(`${dir}reserve.lua`)) return dir;
  }
  throw new Error('@seatrush/redis-adapter: cannot find its Lua scripts (src/lua) next to the module');
}

let sources: Map<ScriptName, string> | undefined;

/** The source of every script, read once. */
export function luaSources(): Map<ScriptName, string> {
  if (!sources) {
    const dir = luaDirectory();
    sources = new Map(SCRIPT_NAMES.map((name) => [name, readFileSync(`${dir}${name}.lua`, 'utf8')]));
  }
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

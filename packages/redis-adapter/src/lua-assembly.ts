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
  'readmit',
  'rejoin',
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
  'lease-acquire',
  'lease-renew',
  'lease-release',
  'sale-control-init',
  'sale-control-transition',
  'sale-control-configure',
  'sale-control-decide',
  'sale-control-revoke',
  'record-recent',
  'stripe-take',
  'stripe-credit',
  'stripe-freeze',
  'stripe-adjust',
] as const;

/** The name of one of the adapter's scripts. */
export type ScriptName = (typeof SCRIPT_NAMES)[number];

/** Reads one file of `src/lua/` by its path in that folder: `reserve.lua`, `includes/keys.lua`. */
export type LuaReader = (path: string) => string;

const DIRECTIVE = /^[ \t]*---[ \t]*@include\b/;
const INCLUDE = /^[ \t]*---[ \t]*@include[ \t]+"([A-Za-z0-9_-]+(?:\/[A-Za-z0-9_-]+)*)"[ \t]*$/;

/**
 * Assembles one script, as BullMQ's script loader does: each line `--- @include "name"` is replaced
 * by `includes/name.lua`, itself assembled, so Lua shared by several scripts is written once. A
 * script gets each include once (the first time it is named); a circular include, a missing one or
 * a malformed directive is an error naming the script. The build (which embeds the result) and
 * the sources (which vitest runs) both assemble here, so they cannot disagree.
 *
 * Errors are plain `Error`s: this runs in the build's own config, outside the package's runtime,
 * and a failure can only come from this repository's `.lua` files, never from a host.
 */
export function assembleLua(name: string, read: LuaReader): string {
  const emitted = new Set<string>();
  const source = (path: string, from: string | undefined): string => {
    if (from === undefined) return read(path);
    try {
      return read(path);
    } catch (error) {
      throw new Error(`Lua script ${name}: cannot read ${path} (included at ${from})`, { cause: error });
    }
  };
  const expand = (path: string, chain: string[], from?: string): string =>
    source(path, from)
      .split('\n')
      .map((line, index) => {
        if (!DIRECTIVE.test(line)) return line;
        const include = INCLUDE.exec(line)?.[1];
        if (!include) {
          throw new Error(`Lua script ${name}: malformed include at ${path}:${index + 1}: ${line.trim()}`);
        }
        const target = `includes/${include}.lua`;
        if (chain.includes(target)) {
          throw new Error(`Lua script ${name}: circular include ${[...chain, target].join(' -> ')}`);
        }
        if (emitted.has(target)) return `-- (${include} is included above)`;
        emitted.add(target);
        return expand(target, [...chain, target], `${path}:${index + 1}`).replace(/\n$/, '');
      })
      .join('\n');
  return expand(`${name}.lua`, [`${name}.lua`]);
}

/** Every script of the adapter, assembled. */
export function assembleScripts(read: LuaReader): Map<ScriptName, string> {
  return new Map(SCRIPT_NAMES.map((name) => [name, assembleLua(name, read)]));
}

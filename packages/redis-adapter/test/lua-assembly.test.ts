import { readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { assembleLua, SCRIPT_NAMES } from '../src/lua-assembly';
import { loadLuaScripts } from '../src/lua-files';
import { embedLua } from '../tsup.config';

/** A script without include lines (one that only looks like one: two dashes). */
const PLAIN = '--[[ header ]]\n-- @include "not three dashes"\nreturn redis.call("GET", KEYS[1])\n';

/** A reader over an in-memory `src/lua/` folder. */
const folder =
  (files: Record<string, string>) =>
  (path: string): string => {
    const text = files[path];
    if (text === undefined) throw new Error(`ENOENT: ${path}`);
    return text;
  };

/** What `assembleLua(script, folder(files))` gives, one case a test. */
const assemblies: Array<{ does: string; script: string; files: Record<string, string>; assembled: string }> =
  [
    {
      does: 'replaces an include line with the file of that name in includes/, itself assembled',
      script: 'reserve',
      files: {
        'reserve.lua': 'local a = 1\n--- @include "keys"\nreturn a\n',
        'includes/keys.lua': '--- @include "util/split"\nlocal function key(k) return k end\n',
        'includes/util/split.lua': 'local function split(s) return s end\n',
      },
      assembled:
        'local a = 1\nlocal function split(s) return s end\nlocal function key(k) return k end\nreturn a\n',
    },
    {
      does: 'gives a script each include once, where it is first named',
      script: 'admit',
      files: {
        'admit.lua': '--- @include "clock"\n--- @include "queue"\nreturn 1',
        'includes/queue.lua': '--- @include "clock"\nlocal queue = {}',
        'includes/clock.lua': 'local now = tonumber(ARGV[1])',
      },
      assembled: 'local now = tonumber(ARGV[1])\n-- (clock is included above)\nlocal queue = {}\nreturn 1',
    },
    {
      does: 'leaves a script without include lines exactly as written',
      script: 'plain',
      files: { 'plain.lua': PLAIN },
      assembled: PLAIN,
    },
  ];

describe('assembleLua', () => {
  for (const { does, script, files, assembled } of assemblies) {
    it(does, () => {
      expect(assembleLua(script, folder(files))).toBe(assembled);
    });
  }

  it('names the script and the line of an include that does not exist', () => {
    const read = folder({ 'reserve.lua': 'local a = 1\n--- @include "missing"\n' });
    expect(() => assembleLua('reserve', read)).toThrow(
      'Lua script reserve: cannot read includes/missing.lua (included at reserve.lua:2)',
    );
  });

  it('refuses a circular include', () => {
    const read = folder({
      'enter.lua': '--- @include "a"',
      'includes/a.lua': '--- @include "b"',
      'includes/b.lua': '--- @include "a"',
    });
    expect(() => assembleLua('enter', read)).toThrow(
      'Lua script enter: circular include enter.lua -> includes/a.lua -> includes/b.lua -> includes/a.lua',
    );
  });

  it('refuses a malformed include line rather than sending it to Redis as a comment', () => {
    for (const line of ['--- @include keys', "--- @include 'keys'", '--- @include "../reserve"']) {
      expect(() => assembleLua('heartbeat', folder({ 'heartbeat.lua': line }))).toThrow(
        `Lua script heartbeat: malformed include at heartbeat.lua:1: ${line}`,
      );
    }
  });
});

describe("the adapter's scripts", () => {
  const luaFile = (path: string) => readFileSync(new URL(`../src/lua/${path}`, import.meta.url), 'utf8');

  it('assemble from src/lua, a script without includes unchanged', () => {
    const scripts = loadLuaScripts();
    expect([...scripts.keys()]).toEqual([...SCRIPT_NAMES]);
    for (const name of SCRIPT_NAMES) {
      const file = luaFile(`${name}.lua`);
      if (!file.includes('@include')) expect(scripts.get(name)).toBe(file);
    }
  });

  it('take the hold preamble and the hold writes (the outbox entry among them) from one include each', () => {
    const scripts = loadLuaScripts();
    for (const name of ['reserve', 'reserve-group'] as const) {
      const script = scripts.get(name)!;
      for (const include of ['hold-request', 'hold-preamble', 'hold-write']) {
        for (const part of luaFile(`includes/${include}.lua`).split(/^--- @include.*$/m)) {
          expect(script).toContain(part.trim());
        }
      }
      expect(script.match(/'ZADD', base \.\. 'outbox'/g)).toHaveLength(1);
    }
  });

  it('are embedded by the build exactly as the sources assemble them', async () => {
    const output = await build({
      entryPoints: [new URL('../src/lua-files.ts', import.meta.url).pathname],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      plugins: [embedLua()],
    });
    const code = output.outputFiles[0]!.text;
    expect(code).not.toMatch(/readFileSync|import\.meta/);
    const embedded = await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
    expect(embedded.loadLuaScripts()).toEqual(loadLuaScripts());
  });
});

import { readFileSync } from 'node:fs';

/**
 * The guard's Lua script, read from `lua/request-guard.lua` beside this module (what the sources,
 * and so vitest, run). The package's build replaces this module with one returning the script as
 * an embedded string (see `tsup.config.ts`), so the built package reads no file.
 */
export function requestGuardScript(): string {
  return readFileSync(new URL('./lua/request-guard.lua', import.meta.url), 'utf8');
}

import { readFileSync } from 'node:fs';
import { assembleScripts, type ScriptName } from './lua-assembly';

/**
 * The scripts assembled from the `.lua` files next to this module, read when called: what the
 * sources (and so vitest) run, always the current files. The package's build replaces this module
 * with one that returns the same assembly as embedded strings (`embedLua` in `tsup.config.ts`), so
 * the built package, and a host's bundle of it, read no file.
 */
export function loadLuaScripts(): Map<ScriptName, string> {
  const folder = new URL('./lua/', import.meta.url);
  return assembleScripts((path) => readFileSync(new URL(path, folder), 'utf8'));
}

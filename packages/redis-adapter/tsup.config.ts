import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';
import { libraryBuild } from '../../tsup.base';
import { assembleScripts } from './src/lua-assembly';

const luaFolder = new URL('./src/lua/', import.meta.url);

/**
 * Embeds the Lua scripts in the build: `src/lua-files.ts`, which reads and assembles `src/lua/` at
 * run time (what vitest runs), is replaced by a module returning the same assembly as strings, so
 * the package and a host's bundle of it need no file beside them.
 */
export function embedLua(): Plugin {
  return {
    name: 'seatrush-embed-lua',
    setup(build) {
      build.onLoad({ filter: /[\\/]src[\\/]lua-files\.ts$/ }, () => {
        const watchFiles: string[] = [];
        const scripts = assembleScripts((path) => {
          const file = fileURLToPath(new URL(path, luaFolder));
          watchFiles.push(file);
          return readFileSync(file, 'utf8');
        });
        const contents = `export function loadLuaScripts() {\n  return new Map(${JSON.stringify([...scripts])});\n}\n`;
        return { contents, loader: 'js', watchFiles };
      });
    },
  };
}

export default libraryBuild({ esbuildPlugins: [embedLua()] });

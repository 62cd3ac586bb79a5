import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';
import { libraryBuild } from '../../tsup.base';

/**
 * Embeds the guard's Lua script in the build: `src/guard/lua-file.ts`, which reads the `.lua` file
 * at run time (what vitest runs), is replaced by a module returning it as a string, so the package
 * and a host's bundle of it need no file beside them.
 */
export function embedLua(): Plugin {
  return {
    name: 'seatrush-http-embed-lua',
    setup(build) {
      build.onLoad({ filter: /[\\/]src[\\/]guard[\\/]lua-file\.ts$/ }, () => {
        const file = fileURLToPath(new URL('./src/guard/lua/request-guard.lua', import.meta.url));
        const script = readFileSync(file, 'utf8');
        return {
          contents: `export function requestGuardScript() {\n  return ${JSON.stringify(script)};\n}\n`,
          loader: 'js',
          watchFiles: [file],
        };
      });
    },
  };
}

export default libraryBuild({ esbuildPlugins: [embedLua()], external: ['ioredis', 'express', 'fastify'] });

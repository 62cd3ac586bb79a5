import { mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleForNode, esmWithRequire } from '../bench/node-bundle.mjs';

let built: Promise<URL> | undefined;

/**
 * The publisher thread's module bundled from the sources, for `thread: { module }`: a worker
 * thread is plain Node, outside vitest's transform, and the package's dist/ may be stale or
 * missing. Built once per test process, inside the package (so @platformatic/kafka, left out of
 * the bundle since it loads files next to its own modules, resolves), removed at exit.
 */
export function publisherThreadModule(): Promise<URL> {
  built ??= (async () => {
    const dir = mkdtempSync(join(import.meta.dirname, '../node_modules/.seatrush-test-thread-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    await bundleForNode({
      entry: { 'publisher-thread': resolve(import.meta.dirname, '../src/publisher-thread.ts') },
      outDir: dir,
      ...esmWithRequire,
    });
    return pathToFileURL(join(dir, 'publisher-thread.js'));
  })();
  return built;
}

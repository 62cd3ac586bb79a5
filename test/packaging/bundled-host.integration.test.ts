import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { uniqueName } from '../support';

// A host that bundles its server into one file, as many deploy: the bundle must carry the
// redis-adapter's Lua scripts, since nothing else is beside it. The host resolves the packages as
// an installed host does (their `exports`, so the built dist/: run after `pnpm build`, as
// ./scripts/test.sh does) and brings its own ioredis, which the adapter shares as a peer.
const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const services = inject('services');

const HOST = `
import { systemClock } from '@seatrush/core';
import { RedisInventoryStore } from '@seatrush/redis-adapter';
import { Redis } from 'ioredis';

async function main() {
  const redis = new Redis(process.env.REDIS_URL);
  try {
    const inventory = new RedisInventoryStore(redis, { keyPrefix: process.env.KEY_PREFIX });
    await inventory.load({
      saleId: 'evt1', initialStock: 1, available: 1, seatIds: [], confirmedSeatIds: [],
      ticketsPerUser: 1, confirmedPerUser: {},
    });
    const reserve = (userId) => inventory.reserve({
      saleId: 'evt1', userId, reservationId: 'r-' + userId, idempotencyKey: 'k-' + userId,
      selection: { kind: 'quantity', quantity: 1 }, holdMs: 60000, requireAdmission: false,
      now: systemClock.now(),
    });
    const first = await reserve('alice');
    const second = await reserve('bob');
    console.log(JSON.stringify({ alice: first.code, bob: second.code, held: first.ok && first.hold.quantity }));
  } finally {
    redis.disconnect();
  }
}
main().catch((error) => { console.error(error); process.exitCode = 1; });
`;

/** Links `name` in the host's node_modules to the folder the workspace resolves it to. */
async function link(hostModules: string, name: string, target: string): Promise<void> {
  await mkdir(dirname(join(hostModules, name)), { recursive: true });
  await symlink(await realpath(target), join(hostModules, name), 'dir');
}

describe('a host bundled with esbuild into one file', () => {
  const keyPrefix = `${uniqueName('host')}:`;
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'seatrush-host-'));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
    const redis = new Redis(services.redisUrl);
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('reserves on Redis with the Lua scripts embedded, and one copy of ioredis', async () => {
    const source = join(work, 'host');
    const modules = join(source, 'node_modules');
    await link(modules, '@seatrush/core', join(root, 'packages/core'));
    await link(modules, '@seatrush/redis-adapter', join(root, 'packages/redis-adapter'));
    await link(modules, 'ioredis', join(root, 'packages/redis-adapter/node_modules/ioredis'));
    await writeFile(join(source, 'main.mjs'), HOST);

    // the bundle goes where no node_modules is above it: it must need nothing but Node
    const outfile = join(work, 'bundle', 'host.cjs');
    const { metafile } = await build({
      entryPoints: [join(source, 'main.mjs')],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node22',
      metafile: true,
      logLevel: 'silent',
    });
    const ioredisCopies = new Set(
      Object.keys(metafile.inputs).flatMap((input) => input.match(/^.*node_modules\/ioredis\//) ?? []),
    );
    expect(ioredisCopies.size).toBe(1);

    const { stdout } = await run(process.execPath, [outfile], {
      cwd: dirname(outfile),
      env: { PATH: process.env.PATH, REDIS_URL: services.redisUrl, KEY_PREFIX: keyPrefix },
    });
    expect(JSON.parse(stdout)).toEqual({ alice: 'HELD', bob: 'SOLD_OUT', held: 1 });
  });
});

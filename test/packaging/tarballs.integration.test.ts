import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// What a host installs: each package's tarball as `pnpm pack` makes it (the documented way; it
// rewrites `workspace:` ranges, which `npm pack` leaves in). Packs the built packages, so it runs
// after `pnpm build`, as ./scripts/test.sh does.
const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const PACKAGES = ['core', 'conformance', 'redis-adapter', 'kafka-adapter', 'pg-adapter'];

interface Tarball {
  files: string[];
  manifest: Record<string, unknown>;
  license: string;
}

async function pack(name: string, destination: string): Promise<Tarball> {
  const cwd = join(root, 'packages', name);
  const packed = await run('pnpm', ['pack', '--json', '--pack-destination', destination], { cwd });
  const tarball: string = JSON.parse(packed.stdout).filename;
  const read = async (path: string) => (await run('tar', ['-xzOf', tarball, `package/${path}`])).stdout;
  const files = (await run('tar', ['-tzf', tarball])).stdout.split('\n').filter(Boolean);
  return { files, manifest: JSON.parse(await read('package.json')), license: await read('LICENSE') };
}

describe('the tarballs pnpm pack makes', () => {
  let destination: string;
  const tarballs = new Map<string, Tarball>();

  beforeAll(async () => {
    destination = await mkdtemp(join(tmpdir(), 'seatrush-pack-'));
    for (const name of PACKAGES) tarballs.set(name, await pack(name, destination));
  });
  afterAll(() => rm(destination, { recursive: true, force: true }));

  it.each(PACKAGES)('@seatrush/%s has no workspace: range, and ships its build and the license', (name) => {
    const { files, manifest, license } = tarballs.get(name)!;
    expect(JSON.stringify(manifest)).not.toContain('workspace:');
    const build = ['package/dist/index.js', 'package/dist/index.cjs', 'package/dist/index.d.ts'];
    expect(files, 'no build in the tarball: run `pnpm build` first').toEqual(expect.arrayContaining(build));
    expect(files).toContain('package/LICENSE');
    expect(license).toContain('Copyright (c) 2026 the SeatRush authors');
  });

  it('ships every license identical to the root one', async () => {
    const rootLicense = await readFile(join(root, 'LICENSE'), 'utf8');
    for (const { license } of tarballs.values()) expect(license).toBe(rootLicense);
  });

  it.each([
    ['redis-adapter', 'ioredis'],
    ['kafka-adapter', 'kafkajs'],
    ['pg-adapter', 'pg'],
  ])('@seatrush/%s takes %s from the host, as a peer (one copy)', (name, client) => {
    const { manifest } = tarballs.get(name)!;
    expect(manifest.peerDependencies).toHaveProperty(client, expect.stringMatching(/^\^\d/));
    expect(manifest.dependencies).not.toHaveProperty(client);
    expect(manifest.dependencies).toHaveProperty(
      ['@seatrush/core'],
      `^${tarballs.get('core')!.manifest.version}`,
    );
  });

  it('gives zod a semver range', () => {
    expect(tarballs.get('core')!.manifest.dependencies).toHaveProperty(
      'zod',
      expect.stringMatching(/^\^4\./),
    );
  });

  it("ships seatrush-pg's bin shim with the CLI it loads", () => {
    const { files, manifest } = tarballs.get('pg-adapter')!;
    expect(manifest.bin).toEqual({ 'seatrush-pg': './bin/seatrush-pg.js' });
    expect(files).toEqual(expect.arrayContaining(['package/bin/seatrush-pg.js', 'package/dist/cli.js']));
  });
});

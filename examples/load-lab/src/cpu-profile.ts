import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Where the app spent its CPU, from a V8 `.cpuprofile` written under `--cpu-prof`. */
export interface CpuProfileSummary {
  file: string;
  /** Sampled time in ms, idle excluded. */
  busyMs: number;
  /** Hottest functions by self time. */
  functions: Array<{ name: string; where: string; selfMs: number; pct: number }>;
  /**
   * Self time charged to the nearest caller outside Node's internals and native code: who made
   * the socket writes, the hashing, the parsing (`writeUtf8String` alone says little).
   */
  callers: Array<{ caller: string; selfMs: number; pct: number }>;
  /** Self time by area: a package under node_modules, Node's internals, the app, the SDK, GC. */
  areas: Array<{ area: string; selfMs: number; pct: number }>;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

/** The area a frame's script belongs to. */
export function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const pkg = url.match(/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/)?.[1];
  if (pkg) return pkg;
  if (url.includes('/packages/')) return `@seatrush/${url.split('/packages/')[1]!.split('/')[0]}`;
  if (url.includes('/express-app/')) return 'example app';
  return url.split('/').at(-1) ?? url;
}

/** Summarises the newest `.cpuprofile` in `dir` (null when there is none). */
export async function summariseCpuProfile(dir: string, top = 15): Promise<CpuProfileSummary | null> {
  const files = (await readdir(dir).catch(() => [] as string[]))
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort();
  const file = files.at(-1);
  if (!file) return null;
  const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as {
    nodes: ProfileNode[];
    startTime: number;
    endTime: number;
    samples: number[];
  };
  const msPerSample = (profile.endTime - profile.startTime) / 1_000 / Math.max(1, profile.samples.length);
  const byFunction = new Map<string, { name: string; where: string; hits: number }>();
  const byArea = new Map<string, number>();
  const byCaller = new Map<string, number>();
  const parent = new Map<number, ProfileNode>();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node);
  const userland = (node: ProfileNode): string => {
    for (let n: ProfileNode | undefined = node; n; n = parent.get(n.id)) {
      const { url, functionName, lineNumber } = n.callFrame;
      if (url && !url.startsWith('node:')) {
        return `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
      }
    }
    return node.callFrame.functionName || '(native)';
  };
  let busy = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    if (hits === 0 || functionName === '(idle)') continue;
    busy += hits;
    const name = functionName || '(anonymous)';
    const where = url ? `${url.split('/').slice(-2).join('/')}:${lineNumber + 1}` : '';
    const key = `${name}@${where}`;
    const entry = byFunction.get(key) ?? { name, where, hits: 0 };
    entry.hits += hits;
    byFunction.set(key, entry);
    const area = areaOf(url, name);
    byArea.set(area, (byArea.get(area) ?? 0) + hits);
    const caller = userland(byId.get(node.id) ?? node);
    byCaller.set(caller, (byCaller.get(caller) ?? 0) + hits);
  }
  const pct = (hits: number) => Math.round((hits / Math.max(1, busy)) * 1_000) / 10;
  return {
    file: join(dir, file),
    busyMs: Math.round(busy * msPerSample),
    functions: [...byFunction.values()]
      .sort((a, b) => b.hits - a.hits)
      .slice(0, top)
      .map((f) => ({
        name: f.name,
        where: f.where,
        selfMs: Math.round(f.hits * msPerSample),
        pct: pct(f.hits),
      })),
    callers: [...byCaller]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([caller, hits]) => ({ caller, selfMs: Math.round(hits * msPerSample), pct: pct(hits) })),
    areas: [...byArea]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([area, hits]) => ({ area, selfMs: Math.round(hits * msPerSample), pct: pct(hits) })),
  };
}

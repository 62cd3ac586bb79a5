import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunResult } from '../runner';
import { compareReport, htmlReport } from './html';
import { compareText, textSummary } from './text';

/** Writes a run's result.json, report.html and summary.txt into `dir`; returns their paths. */
export async function writeRun(dir: string, result: RunResult): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files = {
    'result.json': JSON.stringify(result, null, 1),
    'report.html': htmlReport(result),
    'summary.txt': `${textSummary(result)}\n`,
  };
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
  return Object.keys(files).map((name) => join(dir, name));
}

/** Writes a comparison (each run in its own folder, plus compare.html and compare.txt). */
export async function writeComparison(dir: string, results: RunResult[]): Promise<string[]> {
  const paths: string[] = [];
  for (const r of results) paths.push(...(await writeRun(join(dir, r.meta.strategy), r)));
  await writeFile(join(dir, 'compare.html'), compareReport(results));
  await writeFile(join(dir, 'compare.txt'), `${compareText(results)}\n`);
  return [...paths, join(dir, 'compare.html'), join(dir, 'compare.txt')];
}

import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { uniqueName } from '@seatrush/test-support';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bundleForNode } from '../bench/node-bundle.mjs';
import { KafkaEventConsumer, KafkaEventPublisher } from '../src';
import { CLIENTS } from './clients';
import { eventually, requested } from './fixtures';

const brokers = inject('services').kafkaBrokers;
const TOTAL = 10_000;
const PARTITIONS = 3;
/**
 * The worker's `commitEvery` (with `commitIntervalMs: 0`): at most this many of a partition are
 * handled but not committed.
 */
const COMMIT_EVERY = 500;
// Inside the package, so the bundle finds @platformatic/kafka in node_modules.
const work = mkdtempSync(join(import.meta.dirname, '../node_modules/.seatrush-crash-'));
const worker = join(work, 'consumer-process.cjs');

beforeAll(async () => {
  // The worker runs as its own Node process, from a bundle of its TypeScript sources.
  await bundleForNode({
    entry: { 'consumer-process': join(import.meta.dirname, 'crash/consumer-process.ts') },
    outDir: work,
    format: ['cjs'],
  });
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A worker process, loaded and waiting for {@link startWorker}. */
function loadWorker(args: string[]): Promise<ChildProcess> {
  const child = fork(worker, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it loaded`)));
  });
}

/** Tells a loaded worker to join the group; resolves once it has partitions. */
function startWorker(child: ChildProcess): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it started`)));
    child.send('start');
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** Lines in the delivery log so far. */
function deliveredCount(sink: string): number {
  try {
    return readFileSync(`${sink}.deliveries`, 'utf8').split('\n').length - 1;
  } catch {
    return 0;
  }
}

/** Waits until the delivery log grows past `from`; returns the ms since `since`. */
async function resumed(sink: string, from: number, since: number): Promise<number> {
  await eventually(() => expect(deliveredCount(sink)).toBeGreaterThan(from), 60_000);
  return performance.now() - since;
}

describe.each(CLIENTS)('at least once through a crash (%s)', (client) => {
  it(`handles all ${TOTAL} events exactly once in an idempotent sink after a SIGKILL mid-batch`, async () => {
    const topicPrefix = uniqueName('kx');
    const groupId = uniqueName('sink_writers');
    // a folder per attempt: a retried test must not find the last attempt's sink
    const sink = mkdtempSync(join(work, 'sink-'));
    const publisher = new KafkaEventPublisher({
      connection: { brokers },
      topicPrefix,
      provision: { partitions: PARTITIONS },
    });
    try {
      for (let from = 0; from < TOTAL; from += 1_000) {
        await Promise.all(
          Array.from({ length: 10 }, (_, chunk) =>
            publisher.publish(Array.from({ length: 100 }, (_, i) => requested(from + chunk * 100 + i))),
          ),
        );
      }
    } finally {
      await publisher.close();
    }
    const args = [brokers.join(','), topicPrefix, groupId, sink, client];

    // the replacement is loaded beforehand, as a supervisor's warm spare: the time printed is
    // the group's handover, not Node's start-up (bench/recovery.ts measures it, this test does not).
    // It is loaded before the first worker starts: loaded while the first ran, it took long enough
    // on a quiet machine for the first to handle all 10,000 (kafkajs, 2026-12-06) before the kill.
    const spare = await loadWorker([...args, 'replacement']);
    const first = await startWorker(await loadWorker([...args, 'first']));
    await eventually(() => expect(readdirSync(sink).length).toBeGreaterThanOrEqual(2_000), 60_000);
    first.kill('SIGKILL');
    const killedAt = performance.now();
    await exited(first);
    const handledBeforeCrash = readdirSync(sink).length;
    const deliveredBeforeCrash = deliveredCount(sink);
    expect(handledBeforeCrash).toBeLessThan(TOTAL);

    const second = await startWorker(spare);
    const recoveryMs = await resumed(sink, deliveredBeforeCrash, killedAt);
    console.info(`crash test (${client}): processing resumed ${Math.round(recoveryMs)} ms after the SIGKILL`);
    try {
      await eventually(() => expect(readdirSync(sink).length).toBe(TOTAL), 150_000);
      const lagOf = new KafkaEventConsumer({
        connection: { brokers },
        topicPrefix,
        groupId,
        provision: false,
      });
      await eventually(async () => expect(await lagOf.lag()).toBe(0), 30_000);
    } finally {
      second.kill('SIGTERM');
      await exited(second);
    }
    const files = readdirSync(sink);
    expect(new Set(files)).toEqual(new Set(Array.from({ length: TOTAL }, (_, n) => `e${n}`)));
    const deliveries = readFileSync(`${sink}.deliveries`, 'utf8').trim().split('\n');
    const byWorker = (name: string) =>
      deliveries.filter((d) => d.startsWith(`${name} `)).map((d) => d.slice(name.length + 1));
    const beforeKill = byWorker('first');
    const afterKill = byWorker('replacement');
    expect(beforeKill.length + afterKill.length).toBe(deliveries.length);
    // at least once: every event delivered; no worker delivered one twice
    expect(new Set([...beforeKill, ...afterKill]).size).toBe(TOTAL);
    expect(new Set(beforeKill).size).toBe(beforeKill.length);
    expect(new Set(afterKill).size).toBe(afterKill.length);
    // the only duplicates are the killed worker's uncommitted tail, redelivered to the replacement
    const handledBefore = new Set(beforeKill);
    const redelivered = afterKill.filter((id) => handledBefore.has(id)).length;
    expect(redelivered).toBeLessThanOrEqual(PARTITIONS * COMMIT_EVERY);
    console.info(
      `crash test (${client}): killed after ${handledBeforeCrash} handled; ${redelivered} redelivered after restart; sink holds ${files.length}`,
    );
  }, 270_000);
});

import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniqueName } from '@seatrush/test-support';
import { build } from 'tsup';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KafkaEventConsumer, KafkaEventPublisher } from '../src';
import { eventually, requested } from './fixtures';

const brokers = inject('services').kafkaBrokers;
const TOTAL = 10_000;
const work = mkdtempSync(join(tmpdir(), 'seatrush-crash-'));
const worker = join(work, 'consumer-process.cjs');

beforeAll(async () => {
  // The worker runs as its own Node process, from a bundle of its TypeScript sources.
  await build({
    entry: { 'consumer-process': join(import.meta.dirname, 'crash/consumer-process.ts') },
    outDir: work,
    format: ['cjs'],
    platform: 'node',
    target: 'node22',
    noExternal: [/.*/],
    config: false,
    dts: false,
    silent: true,
    esbuildOptions(options) {
      options.conditions = ['@seatrush/source'];
    },
  });
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

function startWorker(args: string[]): Promise<ChildProcess> {
  const child = fork(worker, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it started`)));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

describe('at least once through a crash', () => {
  it(`handles all ${TOTAL} events exactly once in an idempotent sink after a SIGKILL mid-batch`, async () => {
    const topicPrefix = uniqueName('kx');
    const groupId = uniqueName('sink_writers');
    // a folder per attempt: a retried test must not find the last attempt's sink
    const sink = mkdtempSync(join(work, 'sink-'));
    const publisher = new KafkaEventPublisher({
      connection: { brokers },
      topicPrefix,
      provision: { partitions: 3 },
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
    const args = [brokers.join(','), topicPrefix, groupId, sink];

    const first = await startWorker(args);
    await eventually(() => expect(readdirSync(sink).length).toBeGreaterThanOrEqual(2_000), 60_000);
    first.kill('SIGKILL');
    await exited(first);
    const handledBeforeCrash = readdirSync(sink).length;
    expect(handledBeforeCrash).toBeLessThan(TOTAL);

    const second = await startWorker(args);
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
    // at least once: every event delivered, some twice (those handled but not committed at the kill)
    expect(new Set(deliveries).size).toBe(TOTAL);
    expect(deliveries.length).toBeGreaterThanOrEqual(TOTAL);
    console.info(
      `crash test: killed after ${handledBeforeCrash} handled; ${deliveries.length - TOTAL} redelivered after restart; sink holds ${files.length}`,
    );
  }, 270_000);
});

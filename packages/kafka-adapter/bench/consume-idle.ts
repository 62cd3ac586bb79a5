/**
 * Where the SDK consumer waits: consumes one filled topic with KafkaEventConsumer (an empty
 * `handleBatch`, as `bench:ratios`) in a fresh group per run and prints, besides the rate and the
 * CPU a message, the main thread's idle share (`eventLoopUtilization`) and, on platformatic, the
 * client's fetches and commits timed through its diagnostics channels: how many, their records,
 * how long one was in flight, and for how long no fetch was. Asserts nothing. Run:
 * `pnpm --filter @seatrush/kafka-adapter bench:consume-idle` (reads KAFKA_BROKERS). Knobs:
 * BENCH_CLIENTS (default platformatic), BENCH_RECORDS (200,000), BENCH_ROUNDS (3), BENCH_TRACE=0
 * (no channels: they cost CPU of their own), BENCH_PROFILE=<dir> (a CPU profile of each run's
 * consuming stretch, the fill and the join left out).
 */
import { subscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';
import { logLevel } from 'kafkajs';
import { createKafka, type KafkaClientName, KafkaEventConsumer, TopicNames } from '../src';
import { countingHandler, createBenchTopic, fillBacklog } from './backlog';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const RECORDS = Number(process.env.BENCH_RECORDS ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CLIENTS = (process.env.BENCH_CLIENTS ?? 'platformatic').split(',') as KafkaClientName[];
const connection = { brokers, logLevel: logLevel.NOTHING };
const topicPrefix = `idle_${process.pid}`;
/** Each run's consumer group, deleted at the end with the topic. */
const groups: string[] = [];

/** Spans of one kind of request: count, summed duration, and the union of their in-flight time. */
class Spans {
  count = 0;
  busyMs = 0;
  private open = 0;
  private openedAt = 0;
  inFlightMs = 0;

  start(): number {
    const now = performance.now();
    if (this.open++ === 0) this.openedAt = now;
    this.count += 1;
    return now;
  }

  end(startedAt: number): void {
    const now = performance.now();
    this.busyMs += now - startedAt;
    if (--this.open === 0) this.inFlightMs += now - this.openedAt;
  }
}

let fetches = new Spans();
let commits = new Spans();
const starts = new WeakMap<object, number>();
// BENCH_TRACE=0: the main thread's idle share alone, without the channels' cost
for (const [channel, spans] of process.env.BENCH_TRACE === '0'
  ? []
  : ([
      ['tracing:plt:kafka:consumer:fetches', () => fetches],
      ['tracing:plt:kafka:consumer:commits', () => commits],
    ] as const)) {
  subscribe(`${channel}:start`, (context) => starts.set(context as object, spans().start()));
  subscribe(`${channel}:asyncEnd`, (context) => spans().end(starts.get(context as object) ?? 0));
}

async function consume(client: KafkaClientName, round: number): Promise<string> {
  const { handler, seen, batches, done } = countingHandler(RECORDS);
  const groupId = `${topicPrefix}_${client}_${round}`;
  groups.push(groupId);
  const consumer = new KafkaEventConsumer({ connection, client, topicPrefix, groupId, provision: false });
  await consumer.start({ types: ['ReservationRequested'], handler });
  fetches = new Spans();
  commits = new Spans();
  const profiler = process.env.BENCH_PROFILE ? new Session() : undefined;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  const before = seen();
  const started = performance.now();
  const cpu = process.cpuUsage();
  const loop = performance.eventLoopUtilization();
  await done;
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const elu = performance.eventLoopUtilization(loop);
  if (profiler) {
    const { profile } = await profiler.post('Profiler.stop');
    writeFileSync(`${process.env.BENCH_PROFILE}/${client}-${round}.cpuprofile`, JSON.stringify(profile));
    profiler.disconnect();
  }
  await consumer.stop();
  const n = RECORDS - before;
  const f = fetches;
  const c = commits;
  return [
    `${client} round ${round} (${before} before start): ${Math.round(n / (ms / 1_000))}/s, ${((used.user + used.system) / n).toFixed(1)} µs CPU a message`,
    `main thread busy ${(elu.utilization * 100).toFixed(0)} % of ${ms.toFixed(0)} ms; ${batches()} handleBatch calls`,
    `fetches ${f.count} (${(n / Math.max(1, f.count)).toFixed(0)} records each), one in flight ${((f.inFlightMs / ms) * 100).toFixed(0)} % of the time, ${(f.busyMs / Math.max(1, f.count)).toFixed(1)} ms each`,
    `commits ${c.count}, in flight ${((c.inFlightMs / ms) * 100).toFixed(0)} % of the time, ${(c.busyMs / Math.max(1, c.count)).toFixed(1)} ms each`,
  ].join('\n  ');
}

async function main(): Promise<void> {
  const topic = new TopicNames(topicPrefix).of('ReservationRequested');
  const admin = createKafka(connection).admin();
  await admin.connect();
  try {
    await createBenchTopic(admin, topic);
    await fillBacklog({ connection, topicPrefix, records: RECORDS });
    for (let round = 0; round < ROUNDS; round += 1)
      for (const client of CLIENTS) console.log(await consume(client, round));
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.deleteGroups(groups).catch(() => undefined);
    await admin.disconnect();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

/**
 * Recovery benchmark: how long a SIGKILLed worker's partitions wait before a replacement
 * processes them, on each client, with and without static membership (`groupInstanceId`:
 * KIP-345 on platformatic, emulated on kafkajs). Events flow all along (a publisher in this
 * process, ~400/s over 6 partitions). A worker process consumes them; once it has handled a few
 * hundred it is SIGKILLed and a replacement, loaded beforehand as a supervisor's warm spare, is
 * started with the same settings. The figure is the time from the kill to the first event the
 * replacement handles. Each run then checks that every published event was handled. Prints
 * figures; asserts nothing.
 *
 * Run: `pnpm --filter @seatrush/kafka-adapter bench:recovery` (reads KAFKA_BROKERS; about 2 min).
 * BENCH_RUNS (3), BENCH_VARIANTS (comma-separated names below), BENCH_SESSION_MS (the
 * consumer's default) and BENCH_HEARTBEAT_MS (the consumer's default) change it;
 * BENCH_SURVIVOR=1 runs a second worker all along (its own slot), which the group's rebalance
 * must then wait for too.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { Kafka, logLevel } from 'kafkajs';
import { type KafkaClientName, KafkaEventConsumer, KafkaEventPublisher, TopicNames } from '../src';
import { event } from './events';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const PARTITIONS = 6;
const HANDLED_BEFORE_KILL = 300;
const SURVIVOR = process.env.BENCH_SURVIVOR === '1';

interface Variant {
  name: string;
  client: KafkaClientName;
  staticMembership: boolean;
}
const VARIANTS: Variant[] = [
  { name: 'kafkajs-static', client: 'kafkajs', staticMembership: true },
  { name: 'platformatic-static', client: 'platformatic', staticMembership: true },
  { name: 'kafkajs-dynamic', client: 'kafkajs', staticMembership: false },
  { name: 'platformatic-dynamic', client: 'platformatic', staticMembership: false },
];

/** What a worker process is told (as JSON in argv). */
interface WorkerSettings {
  topicPrefix: string;
  groupId: string;
  client: KafkaClientName;
  groupInstanceId?: string;
}

const optionalNumber = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);

/** The worker: says 'loaded', joins on 'start', says 'started', then sends each handled event id. */
async function worker(settings: WorkerSettings): Promise<void> {
  const start = new Promise((resolve) => process.once('message', resolve));
  process.send?.({ kind: 'loaded' });
  await start;
  const sessionTimeoutMs = optionalNumber('BENCH_SESSION_MS');
  const heartbeatIntervalMs = optionalNumber('BENCH_HEARTBEAT_MS');
  const consumer = new KafkaEventConsumer({
    connection: { brokers, clientId: 'recovery-worker', logLevel: logLevel.NOTHING },
    ...settings,
    ...(sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs }),
    ...(heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs }),
    provision: false,
    onError: (error) => console.error(`[worker] ${error.message}`),
  });
  await consumer.start({
    types: ['ReservationRequested'],
    handler: {
      async handle(e) {
        process.send?.({ kind: 'handled', id: e.eventId });
      },
    },
  });
  process.on('SIGTERM', () => void consumer.stop().then(() => process.exit(0)));
  process.send?.({ kind: 'started' });
}

type WorkerMessage = { kind: 'loaded' | 'started' } | { kind: 'handled'; id: string };

/** A loaded worker process and the ids it handled, in order. */
class WorkerProcess {
  readonly handled: string[] = [];
  firstHandledAt: number | undefined;
  private readonly child: ChildProcess;
  private readonly waiters = new Map<string, () => void>();

  constructor(settings: WorkerSettings) {
    this.child = fork(process.argv[1]!, ['worker', JSON.stringify(settings)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (message: WorkerMessage) => {
      if (message.kind === 'handled') {
        this.firstHandledAt ??= performance.now();
        this.handled.push(message.id);
      } else this.waiters.get(message.kind)?.();
    });
  }

  private said(kind: 'loaded' | 'started'): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiters.set(kind, resolve);
      this.child.once('exit', (code) => reject(new Error(`worker exited (${code}) before it was ${kind}`)));
    });
  }

  loaded(): Promise<void> {
    return this.said('loaded');
  }

  start(): Promise<void> {
    const started = this.said('started');
    this.child.send('start');
    return started;
  }

  /** Sends `signal` and resolves once the process is gone. */
  kill(signal: NodeJS.Signals): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill(signal);
    return exited;
  }
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface RunResult {
  recoveryMs: number;
  /** From the kill to the replacement's `start()` resolving (it has partitions). */
  joinedMs: number;
  handledBeforeKill: number;
  redelivered: number;
  lost: number;
}

async function measure(variant: Variant, run: number): Promise<RunResult> {
  const topicPrefix = `bench_${process.pid}_recovery_${variant.name.replace('-', '_')}_${run}`;
  const settings: WorkerSettings = {
    topicPrefix,
    groupId: `${topicPrefix}.workers`,
    client: variant.client,
    ...(variant.staticMembership ? { groupInstanceId: 'worker-0' } : {}),
  };
  const publisher = new KafkaEventPublisher({
    connection: { brokers, logLevel: logLevel.NOTHING },
    topicPrefix,
    provision: { partitions: PARTITIONS },
  });
  await publisher.connect();
  let published = 0;
  let publishing = true;
  const flow = (async () => {
    while (publishing) {
      const from = published;
      await publisher.publish(Array.from({ length: 10 }, (_, i) => event(from + i)));
      published += 10;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  })();
  const first = new WorkerProcess(settings);
  let replacement: WorkerProcess | undefined;
  const survivor = SURVIVOR
    ? new WorkerProcess({ ...settings, ...(variant.staticMembership ? { groupInstanceId: 'worker-1' } : {}) })
    : undefined;
  try {
    await first.loaded();
    await first.start();
    if (survivor) {
      await survivor.loaded();
      await survivor.start();
    }
    replacement = new WorkerProcess(settings);
    await replacement.loaded();
    await until(() => first.handled.length >= HANDLED_BEFORE_KILL, 60_000, 'the first worker');
    const killedAt = performance.now();
    await first.kill('SIGKILL');
    await replacement.start();
    const joinedMs = performance.now() - killedAt;
    await until(() => replacement!.firstHandledAt !== undefined, 120_000, 'the replacement');
    const recoveryMs = replacement.firstHandledAt! - killedAt;
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // events keep flowing a little
    publishing = false;
    await flow;
    const handledBy = () =>
      new Set([...first.handled, ...replacement!.handled, ...(survivor?.handled ?? [])]);
    await until(() => handledBy().size >= published, 60_000, 'the last events').catch(() => undefined);
    const all = handledBy();
    let lost = 0;
    for (let n = 0; n < published; n += 1) if (!all.has(`bench-${n}`)) lost += 1;
    return {
      recoveryMs,
      joinedMs,
      handledBeforeKill: first.handled.length,
      redelivered:
        first.handled.length + replacement.handled.length + (survivor?.handled.length ?? 0) - all.size,
      lost,
    };
  } finally {
    publishing = false;
    await flow.catch(() => undefined);
    await publisher.close();
    await replacement?.kill('SIGTERM');
    await survivor?.kill('SIGTERM');
    await first.kill('SIGKILL');
    await cleanUp(topicPrefix, settings.groupId);
  }
}

async function cleanUp(topicPrefix: string, groupId: string): Promise<void> {
  const admin = new Kafka({ clientId: 'bench-cleanup', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const topics = new TopicNames(topicPrefix);
    await admin.deleteTopics({ topics: [topics.of('ReservationRequested'), topics.deadLetter] });
    await admin.deleteGroups([groupId]).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

async function main(): Promise<void> {
  const chosen = process.env.BENCH_VARIANTS?.split(',') ?? VARIANTS.map((v) => v.name);
  const results = new Map<string, RunResult[]>();
  for (let run = 1; run <= RUNS; run += 1) {
    // variants alternate within a round, so a load spike on the shared machine hits all of them
    for (const variant of VARIANTS.filter((v) => chosen.includes(v.name))) {
      const result = await measure(variant, run);
      results.set(variant.name, [...(results.get(variant.name) ?? []), result]);
      console.log(
        `${variant.name} run ${run}: resumed ${Math.round(result.recoveryMs)} ms after the SIGKILL (joined ${Math.round(result.joinedMs)} ms), killed after ${result.handledBeforeKill} handled, ${result.redelivered} redelivered, ${result.lost} lost`,
      );
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  console.log(
    `\nsession ${process.env.BENCH_SESSION_MS ?? 'default'} ms, heartbeat ${process.env.BENCH_HEARTBEAT_MS ?? 'default'} ms, ${RUNS} runs${SURVIVOR ? ', with a surviving second worker' : ''}`,
  );
  console.log('| variant | kill → first event handled by the replacement (median) | runs (ms) |');
  console.log('| --- | ---: | --- |');
  for (const [name, runs] of results) {
    const times = runs.map((r) => Math.round(r.recoveryMs));
    console.log(`| ${name} | ${median(times)} ms | ${times.join(' ')} |`);
  }
}

if (process.argv[2] === 'worker') {
  worker(JSON.parse(process.argv[3]!) as WorkerSettings).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}

/**
 * SeatRush against Kafka's own tools on the same broker, as ratios: publishing 200,000 events
 * through KafkaEventPublisher (each client) against `ProducerPerformance`, and consuming 1,000,000
 * through KafkaEventConsumer against `ConsumerPerformance`. Each round runs SeatRush on every
 * client and then the tool back to back; a ratio is SeatRush's rate over the tool's of the same
 * round, and the median of 3 rounds is printed. Both sides: acks=all with idempotence, 6
 * partitions, the same record bytes (the tool cannot send headers, so its value carries the
 * headers' bytes too), a key per record. Consuming is timed on both sides from the partitions'
 * assignment to the last message (the tool's `fetch.nMsg.sec`): the group join is left out of both.
 * Every topic and group is deleted afterwards. Prints
 * figures; asserts nothing. Run: `pnpm --filter @seatrush/kafka-adapter bench:ratios` (reads
 * KAFKA_BROKERS; 5-10 minutes). Knobs: BENCH_COMPRESSION=lz4|zstd|gzip (both sides),
 * BENCH_CLIENTS (default platformatic,kafkajs,confluent,platformatic+thread,kafkajs+thread:
 * `+thread` is the publisher with `thread: true`; confluent needs scripts/confluent.sh first), BENCH_ONLY=publish|consume, BENCH_RECORDS (published a round), BENCH_CONSUME_RECORDS (the consume backlog), BENCH_ROUNDS,
 * BENCH_CALLERS, BENCH_BATCHING (the publisher's `batching` as JSON), BENCH_PRODUCERS, BENCH_NO_TOOL=1 (SeatRush
 * alone, e.g. under --cpu-prof). Publishing also prints CPU µs per record of the publishing
 * process (SeatRush's, and the Java tool's from bash's `times`), which the load moves far less
 * than the rates.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type Admin, logLevel } from 'kafkajs';
import {
  type Compression,
  createKafka,
  encodeEvent,
  type KafkaClientName,
  KafkaEventConsumer,
  KafkaEventPublisher,
  TopicNames,
} from '../src';
import { BENCH_PARTITIONS, countingHandler, createBenchTopic, fillBacklog } from './backlog';
import { event } from './events';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const RECORDS = Number(process.env.BENCH_RECORDS ?? 200_000);
/**
 * Records of the consume backlog. A million, not 200,000: ConsumerPerformance starts a fresh JVM
 * each round, and at 200,000 its timed stretch (0.6-2.5 s) is mostly its JIT warming up: its
 * median read 179,211/s and 336,700/s in two runs 14 minutes apart (2026-12-06 18:08 and 18:22
 * UTC), the ratios of one run 0.25-0.60. At a million it read 648,929/s, its steady rate, and the
 * rounds' ratios were 0.17 0.17 0.19 (18:28).
 */
const CONSUME_RECORDS = Number(process.env.BENCH_CONSUME_RECORDS ?? 1_000_000);
const CALLERS = Number(process.env.BENCH_CALLERS ?? 2_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const COMPRESSION = (process.env.BENCH_COMPRESSION ?? 'none') as Compression;
/** The publishing paths: a client, or `<client>+thread` for its publisher with `thread: true`. */
const PATHS = (
  process.env.BENCH_CLIENTS ?? 'platformatic,kafkajs,confluent,platformatic+thread,kafkajs+thread'
).split(',');
/** The clients consumed with (a `+thread` path publishes only). */
const CLIENTS = [...new Set(PATHS.map((p) => p.replace('+thread', '')))] as KafkaClientName[];
/** `publish` or `consume` runs one side only. */
const ONLY = process.env.BENCH_ONLY ?? '';
const repoRoot = process.env.SEATRUSH_ROOT ?? process.cwd();
const connection = { brokers, logLevel: logLevel.NOTHING };
const run = `bench_${process.pid}`;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/** The bytes of one SeatRush record: body, key and headers. */
function recordBytes(n: number): { value: number; key: number; headers: number } {
  const message = encodeEvent(event(n));
  const headers = Object.entries(message.headers).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(value),
    0,
  );
  return {
    value: Buffer.byteLength(String(message.value)),
    key: Buffer.byteLength(String(message.key)),
    headers,
  };
}

/** Payloads for ProducerPerformance: real event bodies followed by their headers' text. */
function payloadFile(dir: string): string {
  const file = join(dir, 'payloads.txt');
  const lines: string[] = [];
  for (let n = 0; n < 1_000; n += 1) {
    const message = encodeEvent(event(n));
    const headers = Object.entries(message.headers)
      .map(([name, value]) => `${name}${value}`)
      .join('');
    lines.push(`${String(message.value)}${headers}`);
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** CPU seconds (user + system) of the last tool run, as bash's `times` reports its children's. */
let lastToolCpuSeconds = Number.NaN;

function java(tool: string, args: string[]): string {
  // bash runs the tool, then `times`: the second line is its children's user and system time
  const out = execFileSync(
    'bash',
    [
      '-c',
      'java "$@"; status=$?; echo "::times"; times; exit $status',
      'bash',
      '-Xmx512m',
      `-Dlog4j2.configurationFile=${join(repoRoot, '.services/kafka/log4j2-quiet.properties')}`,
      '-cp',
      join(repoRoot, '.services/kafka/lib/*'),
      `org.apache.kafka.tools.${tool}`,
      ...args,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000 },
  );
  const [toolOut = '', times = ''] = out.split('::times\n');
  const children = (times.trim().split('\n')[1] ?? '').split(/\s+/).map(minutesSeconds);
  lastToolCpuSeconds = (children[0] ?? Number.NaN) + (children[1] ?? Number.NaN);
  return toolOut;
}

/** `1m2.500s` → 62.5 */
function minutesSeconds(text: string): number {
  const match = /^(\d+)m([\d.]+)s$/.exec(text);
  return match ? Number(match[1]) * 60 + Number(match[2]) : Number.NaN;
}

/** A publishing run: records per second, and the publishing process's CPU µs per record. */
interface PublishRun {
  rate: number;
  cpuUs: number;
}

/** Records per second of ProducerPerformance into a fresh topic. */
async function producerPerformance(admin: Admin, payloads: string, round: number): Promise<PublishRun> {
  const topic = `${run}_pp_${round}`;
  await createBenchTopic(admin, topic);
  try {
    const props = [`bootstrap.servers=${brokers.join(',')}`, 'acks=all', 'enable.idempotence=true'];
    if (COMPRESSION !== 'none') props.push(`compression.type=${COMPRESSION}`);
    const out = java('ProducerPerformance', [
      '--topic',
      topic,
      '--num-records',
      String(RECORDS),
      '--payload-file',
      payloads,
      '--key-distribution',
      'range',
      '--record-key-range',
      String(RECORDS),
      '--throughput',
      '-1',
      '--command-property',
      ...props,
    ]);
    const summary = out.trim().split('\n').pop() ?? '';
    const rate = /([\d.]+) records\/sec/.exec(summary)?.[1];
    if (!rate) throw new Error(`unexpected ProducerPerformance output: ${summary}`);
    // the JVM's start-up is in it too: a few hundred ms of CPU, ~1-2 µs a record at 200,000
    return { rate: Number(rate), cpuUs: (lastToolCpuSeconds * 1e6) / RECORDS };
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  }
}

/** Events per second of KafkaEventPublisher, CALLERS callers each publishing one event at a time. */
async function publishRate(admin: Admin, path: string, round: number): Promise<PublishRun> {
  // `<client>+thread`: the publisher with `thread: true`
  const threaded = path.endsWith('+thread');
  const client = path.replace('+thread', '') as KafkaClientName;
  const topicPrefix = `${run}_pub_${client}${threaded ? '_t' : ''}_${round}`;
  const publisher = new KafkaEventPublisher({
    connection,
    client,
    topicPrefix,
    compression: COMPRESSION,
    provision: false,
    ...(process.env.BENCH_BATCHING ? { batching: JSON.parse(process.env.BENCH_BATCHING) } : {}),
    ...(process.env.BENCH_PRODUCERS ? { producers: Number(process.env.BENCH_PRODUCERS) } : {}),
    ...(threaded || process.env.BENCH_THREAD ? { thread: true } : {}),
  });
  const topic = new TopicNames(topicPrefix).of('ReservationRequested');
  await createBenchTopic(admin, topic);
  try {
    await publisher.connect();
    await publisher.publish([event(-1)]); // connections and metadata
    let next = 0;
    const started = performance.now();
    const cpu = process.cpuUsage();
    await Promise.all(
      Array.from({ length: CALLERS }, async () => {
        while (next < RECORDS) await publisher.publish([event(next++)]);
      }),
    );
    const rate = RECORDS / ((performance.now() - started) / 1_000);
    const used = process.cpuUsage(cpu);
    return { rate, cpuUs: (used.user + used.system) / RECORDS };
  } finally {
    await publisher.close();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  }
}

/** A consuming run: messages per second, and the consuming process's CPU µs per message. */
interface ConsumeRun {
  rate: number;
  cpuUs: number;
}

/**
 * ConsumerPerformance's rate from its partitions' assignment to its last message (`fetch.nMsg.sec`:
 * the group join is left out, as for SeatRush below), and its process's CPU per message (the JVM's
 * start-up included, so an upper bound).
 */
function consumerPerformance(topic: string, group: string): ConsumeRun {
  const out = java('ConsumerPerformance', [
    '--bootstrap-server',
    brokers.join(','),
    '--topic',
    topic,
    '--group',
    group,
    '--num-records',
    String(CONSUME_RECORDS),
    '--timeout',
    '60000',
  ]);
  const [header, values] = out.trim().split('\n').slice(-2);
  const columns = (header ?? '').split(',').map((c) => c.trim());
  const rate = (values ?? '').split(',')[columns.indexOf('fetch.nMsg.sec')];
  if (rate === undefined) throw new Error(`unexpected ConsumerPerformance output: ${out}`);
  return { rate: Number(rate), cpuUs: (lastToolCpuSeconds * 1e6) / CONSUME_RECORDS };
}

/**
 * Messages per second of KafkaEventConsumer with an empty batch handler, as ConsumerPerformance's
 * `fetch.nMsg.sec` is measured: from the partitions' assignment (`start` resolved) to the last
 * message; messages handled before `start` resolved are left out of the count. Also the process's
 * CPU µs per message over the same stretch.
 */
async function consumeRate(client: KafkaClientName, topicPrefix: string, group: string): Promise<ConsumeRun> {
  const { handler, seen, done } = countingHandler(CONSUME_RECORDS);
  const consumer = new KafkaEventConsumer({
    connection,
    client,
    topicPrefix,
    groupId: group,
    provision: false,
  });
  await consumer.start({ types: ['ReservationRequested'], handler });
  const started = performance.now();
  const cpu = process.cpuUsage();
  const before = seen();
  await done;
  const seconds = (performance.now() - started) / 1_000;
  const used = process.cpuUsage(cpu);
  await consumer.stop();
  return {
    rate: (CONSUME_RECORDS - before) / seconds,
    cpuUs: (used.user + used.system) / (CONSUME_RECORDS - before),
  };
}

function row(label: string, rates: number[], references: number[]): string {
  const ratios = rates.map((rate, i) => rate / (references[i] ?? Number.NaN));
  return `${label.padEnd(46)} ${String(Math.round(median(rates))).padStart(8)}/s  ${String(Math.round(median(references))).padStart(8)}/s  ${median(ratios).toFixed(2).padStart(5)}  (${ratios.map((r) => r.toFixed(2)).join(' ')})`;
}

/**
 * One side's lines: each path's rate beside the Kafka tool's (one `row`), then the CPU per record
 * of each path and of the tool. On a loaded machine the rate follows the CPU (each process gets its
 * share of the cores).
 */
function printSide(side: {
  rowLabel: (path: string) => string;
  cpuLabel: string;
  runs: Map<string, Array<{ rate: number; cpuUs: number }>>;
  tool: string;
  toolRuns: Array<{ rate: number; cpuUs: number }>;
  toolNote?: string;
}): void {
  const toolRates = side.toolRuns.map((r) => r.rate);
  for (const [path, runs] of side.runs) {
    console.log(
      row(
        side.rowLabel(path),
        runs.map((r) => r.rate),
        toolRates,
      ),
    );
  }
  const cpuLine = (name: string, cpu: number[], note = '') =>
    `${side.cpuLabel}, ${name} ${median(cpu).toFixed(1).padStart(6)} µs  (${cpu.map((c) => c.toFixed(1)).join(' ')}${note})`;
  for (const [path, runs] of side.runs)
    console.log(
      cpuLine(
        path.padEnd(19),
        runs.map((r) => r.cpuUs),
      ),
    );
  if (side.toolRuns.length > 0) {
    console.log(
      cpuLine(
        side.tool,
        side.toolRuns.map((r) => r.cpuUs),
        side.toolNote,
      ),
    );
  }
}

async function main(): Promise<void> {
  const bytes = recordBytes(RECORDS / 2);
  console.log(
    `${RECORDS} records per publish run, ${CONSUME_RECORDS} per consume run: value ${bytes.value} B, key ${bytes.key} B, headers ${bytes.headers} B; ${BENCH_PARTITIONS} partitions, acks=all, idempotent, compression ${COMPRESSION}; median of ${ROUNDS} rounds`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'seatrush-ratios-'));
  const admin = createKafka(connection).admin();
  await admin.connect();
  const groups: string[] = [];
  const consumeTopics = new TopicNames(`${run}_consume`);
  try {
    const payloads = payloadFile(dir);
    const published = new Map<string, PublishRun[]>(PATHS.map((c) => [c, []]));
    const producerRuns: PublishRun[] = [];
    for (let round = 0; round < ROUNDS && ONLY !== 'consume'; round += 1) {
      for (const path of PATHS) published.get(path)?.push(await publishRate(admin, path, round));
      if (!process.env.BENCH_NO_TOOL) producerRuns.push(await producerPerformance(admin, payloads, round));
    }

    const consumed = new Map<KafkaClientName, ConsumeRun[]>(CLIENTS.map((c) => [c, []]));
    const consumerRuns: ConsumeRun[] = [];
    if (ONLY !== 'publish') {
      await createBenchTopic(admin, consumeTopics.of('ReservationRequested'));
      await fillBacklog({
        connection,
        topicPrefix: `${run}_consume`,
        records: CONSUME_RECORDS,
        compression: COMPRESSION,
      });
    }
    for (let round = 0; round < ROUNDS && ONLY !== 'publish'; round += 1) {
      for (const client of CLIENTS) {
        const group = `${run}_sr_${client}_${round}`;
        groups.push(group);
        consumed.get(client)?.push(await consumeRate(client, `${run}_consume`, group));
      }
      if (process.env.BENCH_NO_TOOL) continue;
      const group = `${run}_cp_${round}`;
      groups.push(group);
      consumerRuns.push(consumerPerformance(consumeTopics.of('ReservationRequested'), group));
    }

    console.log(
      `${'path'.padEnd(46)} ${'SeatRush'.padStart(10)}  ${'Kafka tool'.padStart(10)}  ratio  (each round)`,
    );
    if (ONLY !== 'consume') {
      printSide({
        rowLabel: (path) => `publish, ${CALLERS} callers, ${path}`,
        cpuLabel: 'publish CPU per record',
        runs: published,
        tool: 'ProducerPerformance',
        toolRuns: producerRuns,
      });
    }
    if (ONLY !== 'publish') {
      printSide({
        rowLabel: (client) => `consume, empty batch handler, ${client}`,
        cpuLabel: 'consume CPU per message',
        runs: consumed,
        tool: 'ConsumerPerformance',
        toolRuns: consumerRuns,
        toolNote: '; JVM start-up included',
      });
    }
    console.log(
      'Kafka tools: ProducerPerformance, and ConsumerPerformance (fetch.nMsg.sec: from the assignment, the join left out) of the broker release',
    );
  } finally {
    await admin.deleteTopics({ topics: [consumeTopics.of('ReservationRequested')] }).catch(() => undefined);
    await admin.deleteGroups(groups).catch(() => undefined);
    await admin.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

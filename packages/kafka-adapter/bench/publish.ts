/**
 * Publish benchmark: throughput (events/s) and acks=all latency p50/p99 of KafkaEventPublisher
 * with and without its micro-batcher (default client). The comparison with Kafka's own
 * ProducerPerformance is `bench:ratios` (200,000 records, both clients). Prints figures; asserts
 * nothing. Run: `pnpm --filter
 * @seatrush/kafka-adapter bench` (reads KAFKA_BROKERS; about 25 s).
 */
import { performance } from 'node:perf_hooks';
import { logLevel } from 'kafkajs';
import { createKafka, KafkaEventPublisher, type MicroBatcherOptions } from '../src';
import { event } from './events';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const EVENTS = Number(process.env.BENCH_EVENTS ?? 5_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 200);

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

async function run(
  label: string,
  batching: Partial<MicroBatcherOptions> | false,
  idempotent = true,
): Promise<void> {
  const topicPrefix = `bench_${process.pid}_${label.replace(/\W+/g, '_')}`;
  const publisher = new KafkaEventPublisher({
    connection: { brokers, logLevel: logLevel.NOTHING },
    topicPrefix,
    batching,
    idempotent,
    provision: { partitions: 6 },
  });
  await publisher.connect();
  await publisher.publish([event(-1)]); // warm: metadata and connections
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < EVENTS) {
        const n = next++;
        const t0 = performance.now();
        await publisher.publish([event(n)]);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1_000;
  await publisher.close();
  const admin = createKafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: publisher.topics.all() }).catch(() => undefined);
  await admin.disconnect();
  latencies.sort((a, b) => a - b);
  console.log(
    `${label.padEnd(44)} ${String(Math.round(EVENTS / seconds)).padStart(7)} events/s   p50 ${percentile(latencies, 0.5).toFixed(1).padStart(6)} ms   p99 ${percentile(latencies, 0.99).toFixed(1).padStart(6)} ms`,
  );
}

/**
 * kafkajs's `idempotent: true` under concurrent sends, without our batcher: every caller sends
 * at once (kafkajs serialises them per broker). Counts failures by type and checks the topic
 * holds exactly the acknowledged messages (no OUT_OF_ORDER_SEQUENCE_NUMBER, no duplicate).
 */
async function rawIdempotentProbe(): Promise<void> {
  const kafka = createKafka({ brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topic = `bench_${process.pid}_idempotence_probe`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }] });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const failures = new Map<string, number>();
  let acknowledged = 0;
  await Promise.all(
    Array.from({ length: 2_000 }, (_, i) =>
      producer.send({ topic, acks: -1, messages: [{ key: `k${i % 97}`, value: `v${i}` }] }).then(
        () => {
          acknowledged += 1;
        },
        (error: { type?: string; name?: string }) => {
          const kind = error.type ?? error.name ?? 'unknown';
          failures.set(kind, (failures.get(kind) ?? 0) + 1);
        },
      ),
    ),
  );
  await producer.disconnect();
  const stored = (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
  const failed = [...failures].map(([kind, n]) => `${kind} ×${n}`).join(', ') || 'none';
  console.log(
    `kafkajs idempotent, 2000 concurrent raw sends: ${acknowledged} acknowledged, ${stored} in the topic, failures: ${failed}`,
  );
}

async function main(): Promise<void> {
  const recordSize = Buffer.byteLength(JSON.stringify(event(EVENTS)));
  console.log(
    `${EVENTS} events of ~${recordSize} bytes, ${CONCURRENCY} concurrent callers, acks=all, brokers ${brokers.join(',')}`,
  );
  await run('no batching (one request per publish)', false);
  await run('micro-batcher linger 0 ms', { lingerMs: 0 });
  await run('micro-batcher linger 2 ms (default)', { lingerMs: 2 });
  await run('micro-batcher linger 10 ms', { lingerMs: 10 });
  await run('micro-batcher linger 2 ms, 4 in flight, not idempotent', { lingerMs: 2, maxInFlight: 4 }, false);
  await rawIdempotentProbe();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

/**
 * Probe: publishes 3,000 events (60 rounds of 50 concurrent single-event publishes) to a 3-broker
 * cluster's topic (3 partitions, replication factor 3, min.insync.replicas 2), SIGKILLs the leader
 * of partition 0 after round 15 and starts it again after the run, then says, per partition, what
 * was acknowledged, what is in the topic, and the partition's first and next offsets, so a loss
 * can be told apart from records the broker deleted itself (retention).
 *
 * Env: KAFKA_CLUSTER_BROKERS (required), PROBE_CLIENT (kafkajs), PROBE_PRODUCERS (4),
 * PROBE_RETENTION_MS (unset: the broker's retention; -1: keep forever), PROBE_WAIT_S (seconds to
 * wait after the run before reading, 0), PROBE_TIMESTAMPS (2023: events stamped in 2023, as the
 * test fixtures were; default: now), SEATRUSH_KAFKA_SH (the cluster's fault script).
 */
import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { KafkaClientName } from '../src';
import { createKafka, KafkaEventPublisher, provisionTopics, readTopic, TopicNames } from '../src';
import { requested } from '../test/fixtures';

const brokers = (process.env.KAFKA_CLUSTER_BROKERS ?? '').split(',').filter(Boolean);
if (brokers.length === 0) throw new Error('KAFKA_CLUSTER_BROKERS is not set');
const client = (process.env.PROBE_CLIENT ?? 'kafkajs') as KafkaClientName;
const producers = Number(process.env.PROBE_PRODUCERS ?? 4);
const retentionMs =
  process.env.PROBE_RETENTION_MS === undefined ? undefined : Number(process.env.PROBE_RETENTION_MS);
const waitS = Number(process.env.PROBE_WAIT_S ?? 0);
const stamped2023 = process.env.PROBE_TIMESTAMPS === '2023';
const root = process.env.SEATRUSH_ROOT ?? process.cwd();
const kafkaSh = (...args: string[]) =>
  execFileSync('bash', [process.env.SEATRUSH_KAFKA_SH ?? join(root, 'scripts/services/kafka.sh'), ...args], {
    cwd: root,
    stdio: 'ignore',
  });

/** Starts the node again; on a loaded machine it may answer after the script gave up waiting. */
async function startNode(node: number | undefined): Promise<void> {
  try {
    kafkaSh('start-node', String(node));
  } catch {
    const port = 9191 + (node ?? 0);
    for (let i = 0; i < 180; i += 1) {
      const up = await new Promise<boolean>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port });
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
      if (up) return;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    throw new Error(`node ${node} did not come back on 127.0.0.1:${port}`);
  }
}

async function main(): Promise<void> {
  const connection = { brokers, requestTimeoutMs: 10_000, retries: 8 };
  const topicPrefix = `probe${process.pid}x${Date.now() % 100_000}`;
  const topic = `${topicPrefix}.reservation.requested`;
  await provisionTopics({
    connection,
    topicPrefix,
    settings: { partitions: 3, replicationFactor: 3, minInsyncReplicas: 2, retentionMs },
  });
  const kafka = createKafka(connection);
  const admin = kafka.admin();
  await admin.connect();
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  const victim = metadata.topics[0]?.partitions.find((p) => p.partitionId === 0)?.leader;
  console.log(
    `${client}, producers ${producers}, retention.ms ${retentionMs ?? 'broker default'}, ` +
      `events stamped ${stamped2023 ? '2023' : 'now'}, victim ${victim}`,
  );

  const publisher = new KafkaEventPublisher({ connection, client, topicPrefix, provision: false, producers });
  const acknowledged = new Map<string, number>(); // event id → round
  let refused = 0;
  const started = Date.now();
  try {
    for (let round = 0; round < 60; round += 1) {
      if (round === 15) kafkaSh('kill-node', String(victim));
      await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const n = round * 50 + i;
          // PROBE_TIMESTAMPS=2023: the old fixtures' event times, which the broker's retention deletes
          const event = stamped2023 ? { ...requested(n), occurredAt: 1_700_000_000_000 + n } : requested(n);
          try {
            await publisher.publish([event]);
            acknowledged.set(event.eventId, round);
          } catch {
            refused += 1;
          }
        }),
      );
    }
  } finally {
    await publisher.close();
    await startNode(victim);
  }
  console.log(
    `published in ${Date.now() - started} ms: ${acknowledged.size} acknowledged, ${refused} refused`,
  );
  if (waitS > 0) await new Promise((resolve) => setTimeout(resolve, waitS * 1000));

  const offsets = await admin.fetchTopicOffsets(topic);
  const stored = new Map<string, number>(); // event id → partition
  await readTopic(kafka, topic, {}, async (message, origin) => {
    stored.set(JSON.parse(message.value?.toString() ?? '{}').eventId, origin.partition);
  });
  const after = await admin.fetchTopicMetadata({ topics: [topic] });
  await admin.deleteTopics({ topics: new TopicNames(topicPrefix).all() }).catch(() => undefined);
  await admin.disconnect();

  const lost = [...acknowledged.keys()].filter((id) => !stored.has(id));
  const lostRounds = lost.map((id) => acknowledged.get(id)!);
  console.log(
    `lost ${lost.length} of ${acknowledged.size} acknowledged` +
      (lost.length > 0 ? ` (rounds ${Math.min(...lostRounds)}-${Math.max(...lostRounds)})` : ''),
  );
  for (const o of offsets.sort((a, b) => a.partition - b.partition)) {
    const leader = after.topics[0]?.partitions.find((p) => p.partitionId === o.partition)?.leader;
    const inTopic = [...stored.values()].filter((p) => p === o.partition).length;
    console.log(`  partition ${o.partition}: leader ${leader}, offsets ${o.low}..${o.high}, read ${inTopic}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

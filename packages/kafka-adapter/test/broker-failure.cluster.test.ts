import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { PublishError } from '@seatrush/core';
import { clusterAddressesFromEnv } from '@seatrush/test-support';
import { ConfigResourceTypes } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createKafka, KafkaEventPublisher, readTopic } from '../src';
import { CLIENTS, THREAD_CLIENTS } from './clients';
import { replicatedTopics, requested } from './fixtures';
import { publisherThreadModule } from './publisher-thread-module';

const brokers = clusterAddressesFromEnv().kafkaClusterBrokers;
const repoRoot = join(import.meta.dirname, '../../..');
// SEATRUSH_KAFKA_SH: the fault script of another cluster than the repository's (a private one on
// other ports, when the shared ports are another checkout's): it kills and restarts that one's nodes.
const kafkaScript = process.env.SEATRUSH_KAFKA_SH ?? 'scripts/services/kafka.sh';
// SEATRUSH_KAFKA_PRODUCERS: the publisher's `producers` (default: the publisher's default, 1), to
// run the crash with striped producers too.
const producers = process.env.SEATRUSH_KAFKA_PRODUCERS
  ? Number(process.env.SEATRUSH_KAFKA_PRODUCERS)
  : undefined;
const kafkaSh = (...args: string[]) =>
  execFileSync('bash', [kafkaScript, ...args], { cwd: repoRoot, stdio: 'ignore' });

/** Whether nothing listens on host:port any more (the broker really died), within `withinMs`. */
async function stopsListening(host: string, port: number, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect({ host, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });
    if (refused) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

// every client, with its producer on the host's event loop and, where it can, on a publisher thread
describe.each([
  ...CLIENTS.map((client) => ({ client, thread: false })),
  ...THREAD_CLIENTS.map((client) => ({ client, thread: true })),
])(
  'a broker crash on the 3-broker cluster (replication factor 3, min.insync.replicas 2; $client, publisher thread: $thread)',
  ({ client, thread }) => {
    it('loses no acknowledged event when the leader is killed mid-run', async () => {
      const { connection, topicPrefix, topic } = await replicatedTopics(brokers, 'kk');
      const admin = createKafka(connection).admin();
      await admin.connect();
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      const cluster = await admin.describeCluster();
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['min.insync.replicas'] }],
      });
      await admin.disconnect();
      expect(metadata.topics[0]?.partitions.map((p) => p.replicas.length)).toEqual([3, 3, 3]);
      expect(resources[0]?.configEntries[0]?.configValue).toBe('2');
      const victim = metadata.topics[0]?.partitions.find((p) => p.partitionId === 0)?.leader;
      expect([1, 2, 3]).toContain(victim);
      const victimAddress = cluster.brokers.find((b) => b.nodeId === victim);
      expect(victimAddress).toBeDefined();

      const publisher = new KafkaEventPublisher({
        connection,
        client,
        topicPrefix,
        provision: false,
        producers,
        ...(thread ? { thread: { module: await publisherThreadModule() } } : {}),
      });
      const acknowledged: string[] = [];
      const refused: string[] = [];
      let killed = false;
      try {
        // 60 rounds of 50 concurrent single-event publishes; the leader dies after round 15
        for (let round = 0; round < 60; round += 1) {
          if (round === 15) {
            kafkaSh('kill-node', String(victim));
            killed = true;
            // the fault script belongs to this cluster: the leader is gone, not a no-op kill
            expect(await stopsListening(victimAddress!.host, victimAddress!.port, 10_000)).toBe(true);
          }
          await Promise.all(
            Array.from({ length: 50 }, async (_, i) => {
              const event = requested(round * 50 + i);
              try {
                await publisher.publish([event]);
                acknowledged.push(event.eventId);
              } catch (error) {
                // a refused publish is allowed (the caller compensates); a lost acknowledged one is not
                expect(error).toBeInstanceOf(PublishError);
                refused.push(event.eventId);
              }
            }),
          );
        }
      } finally {
        await publisher.close();
        if (killed) kafkaSh('start-node', String(victim));
      }

      const stored = new Set<string>();
      await readTopic(createKafka(connection), topic, {}, async (message) => {
        stored.add(JSON.parse(message.value?.toString() ?? '{}').eventId);
      });
      // The broker deleted nothing by itself (its time retention, on records stamped too long
      // ago, empties whole partitions: a "loss" that is none of the client's doing).
      const offsetsAdmin = createKafka(connection).admin();
      await offsetsAdmin.connect();
      const firstOffsets = (await offsetsAdmin.fetchTopicOffsets(topic)).map((o) => o.low);
      await offsetsAdmin.disconnect();
      expect(firstOffsets).toEqual(['0', '0', '0']);
      const lost = acknowledged.filter((id) => !stored.has(id));
      expect(lost).toEqual([]);
      // the run went on through the failure: most publishes after the kill were acknowledged
      expect(acknowledged.length).toBeGreaterThan(2_500);
      console.info(
        `broker ${victim} killed (${client}, producers ${producers ?? 'default'}): ${acknowledged.length} acknowledged, ${refused.length} refused, 0 lost`,
      );
    }, 180_000);
  },
);

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { clusterAddressesFromEnv, uniqueName } from '@seatrush/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { createKafka, KafkaEventConsumer, KafkaEventPublisher, readTopic } from '../src';
import { CLIENTS } from './clients';
import { eventually, replicatedTopics, requested } from './fixtures';

// The fault suite's Kafka step (test/faults, `pnpm faults`) failed on @platformatic/kafka
// (2026-12-06 05:01 UTC): after one broker of three was SIGKILLed, 134 acknowledged reservations
// never reached PostgreSQL. The broker it kills was the group coordinator of groups that were
// rebalancing (the app's and the worker's projectors rejoin after their fetch fails). When a
// heartbeat answers "rebalance in progress", @platformatic/kafka rejoins by itself; when that
// JoinGroup then fails (its coordinator died), it emits `error` on the Consumer and heartbeats no
// more. With no listener, Node throws that `error` as an uncaught exception: the worker process
// died, and nothing it consumed was handled again. This test makes that sequence happen on
// purpose: a rebalance held open by a member that died without leaving (its session not yet
// expired), and the coordinator SIGKILLed while the adapter's member waits in its JoinGroup.

const brokers = clusterAddressesFromEnv().kafkaClusterBrokers;
const packageDir = join(import.meta.dirname, '..');
const repoRoot = join(packageDir, '../..');
const kafkaScript = process.env.SEATRUSH_KAFKA_SH ?? 'scripts/services/kafka.sh';
const kafkaSh = (...args: string[]) =>
  execFileSync('bash', [kafkaScript, ...args], { cwd: repoRoot, stdio: 'ignore' });

/**
 * Another member of the group, in a process of its own (`node -e`, from this package's folder
 * so it finds the clients): joins with the given session timeout, prints `joined` once it has
 * its assignment, and stays until killed. Same client as the member under test, so the group's
 * protocols match.
 */
const MEMBER = `
const [client, brokers, groupId, topic, sessionTimeout] = process.argv.slice(1);
const session = Number(sessionTimeout);
(async () => {
  if (client === 'kafkajs') {
    const { Kafka, logLevel } = require('kafkajs');
    const kafka = new Kafka({ clientId: 'held-member', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId, sessionTimeout: session, rebalanceTimeout: session, heartbeatInterval: 1000 });
    consumer.on(consumer.events.GROUP_JOIN, () => console.log('joined'));
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: false });
    await consumer.run({ autoCommit: false, eachBatch: async () => new Promise(() => {}) });
  } else if (client === 'confluent') {
    const { KafkaJS } = require('@confluentinc/kafka-javascript');
    const kafka = new KafkaJS.Kafka({ kafkaJS: { clientId: 'held-member', brokers: brokers.split(','), logLevel: KafkaJS.logLevel.NOTHING } });
    const consumer = kafka.consumer({
      kafkaJS: { groupId, sessionTimeout: session, rebalanceTimeout: session, heartbeatInterval: 1000, fromBeginning: false, autoCommit: false },
      rebalance_cb: (error) => { if (error.code === KafkaJS.ErrorCodes.ERR__ASSIGN_PARTITIONS) console.log('joined'); },
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic] });
    await consumer.run({ eachBatch: async () => new Promise(() => {}) });
  } else {
    const { Consumer } = require('@platformatic/kafka');
    const consumer = new Consumer({ clientId: 'held-member', bootstrapBrokers: brokers.split(','), groupId,
      sessionTimeout: session, rebalanceTimeout: session, heartbeatInterval: 1000, autocommit: false });
    consumer.on('error', () => {});
    consumer.on('consumer:group:join', () => console.log('joined'));
    const stream = await consumer.consume({ topics: [topic], mode: 'latest', autocommit: false });
    stream.on('error', () => {});
    stream.pause();
  }
})().catch((error) => { console.error(error); process.exit(1); });
`;

/** Starts a member process; resolves once it has joined when `waitJoined`, at once otherwise. */
async function member(args: string[], waitJoined: boolean): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', MEMBER, ...args], {
    cwd: packageDir,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  if (!waitJoined) return child;
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('joined')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`member exited with ${code} before it joined`)));
  });
  return child;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** Java's `Utils.abs(groupId.hashCode()) % partitions`: the __consumer_offsets partition of a group. */
function offsetsPartitionOf(groupId: string, partitions: number): number {
  let hash = 0;
  for (let i = 0; i < groupId.length; i += 1) hash = (Math.imul(31, hash) + groupId.charCodeAt(i)) | 0;
  return (hash & 0x7fffffff) % partitions;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(CLIENTS)(
  'the group coordinator SIGKILLed during a rebalance (3-broker cluster; %s)',
  (client) => {
    it('keeps the process alive and handles every event, those published after the kill included', async () => {
      const groupId = uniqueName('coordinator_kill');
      const { connection, topicPrefix, topic } = await replicatedTopics(brokers, 'kc');

      const uncaught: unknown[] = [];
      const onUncaught = (error: unknown) => uncaught.push(error);
      process.on('uncaughtException', onUncaught);
      const publisher = new KafkaEventPublisher({ connection, client, topicPrefix, provision: false });
      const seen = new Set<string>();
      const consumer = new KafkaEventConsumer({
        connection,
        client,
        groupId,
        topicPrefix,
        provision: false,
        onError: () => {},
      });
      let victim: number | undefined;
      try {
        await publisher.publish(Array.from({ length: 100 }, (_, n) => requested(n)));
        await consumer.start({
          types: ['ReservationRequested'],
          handler: { handle: async (event) => void seen.add(event.eventId) },
        });
        await eventually(() => expect(seen.size).toBe(100), 60_000);

        // A member that joins and then dies without leaving: while its 20 s session lasts, a
        // rebalance waits for it, and the others' JoinGroup requests wait on the coordinator.
        const memberArgs = [client, brokers.join(','), groupId, topic];
        const dead = await member([...memberArgs, '20000'], true);
        dead.kill('SIGKILL');
        // a new member starts the rebalance; the adapter's member hears of it at its next
        // heartbeat (every second) and sends its JoinGroup, which the coordinator holds. The new
        // member dies too (before it could own a partition), its 6 s session soon over.
        const trigger = await member([...memberArgs, '6000'], false);
        await sleep(4_000);
        trigger.kill('SIGKILL');

        const admin = createKafka(connection).admin();
        await admin.connect();
        const offsets = await admin.fetchTopicMetadata({ topics: ['__consumer_offsets'] });
        await admin.disconnect();
        const partitions = offsets.topics[0]!.partitions;
        const coordinator = partitions.find(
          (p) => p.partitionId === offsetsPartitionOf(groupId, partitions.length),
        )?.leader;
        expect([1, 2, 3]).toContain(coordinator);
        victim = coordinator;
        kafkaSh('kill-node', String(victim));
        const killedAt = performance.now();

        // published after the kill (the publisher retries until the partitions' leaders moved)
        await Promise.all(
          Array.from({ length: 20 }, (_, round) =>
            publisher
              .publish(Array.from({ length: 10 }, (_, i) => requested(100 + round * 10 + i)))
              .catch(() => undefined),
          ),
        );
        await eventually(() => {
          expect(uncaught).toEqual([]);
          expect(seen.size).toBeGreaterThan(100);
        }, 120_000);
        console.info(
          `coordinator ${victim} killed (${client}): consumption resumed ${Math.round(performance.now() - killedAt)} ms after the kill`,
        );
        const stored = await storedIds(connection, topic);
        await eventually(() => {
          // the client's own failure reached the adapter, not the process (which it killed)
          expect(uncaught).toEqual([]);
          expect([...stored].filter((id) => !seen.has(id))).toEqual([]);
        }, 120_000);
      } finally {
        process.off('uncaughtException', onUncaught);
        await Promise.race([consumer.stop().catch(() => undefined), sleep(30_000)]);
        await publisher.close().catch(() => undefined);
        if (victim !== undefined) kafkaSh('start-node', String(victim));
      }
    }, 300_000);
  },
);

/** Every event id the topic holds. */
async function storedIds(connection: { brokers: string[] }, topic: string): Promise<Set<string>> {
  const ids = new Set<string>();
  await readTopic(createKafka(connection), topic, {}, async (message) => {
    ids.add(JSON.parse(message.value?.toString() ?? '{}').eventId);
  });
  return ids;
}

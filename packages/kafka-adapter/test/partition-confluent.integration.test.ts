import { uniqueName } from '@seatrush/test-support';
import { describe, expect, inject, it } from 'vitest';
import { createKafka, KafkaEventPublisher, readTopic } from '../src';
import { javaPartition } from '../src/clients/partitions';
import { requested } from './fixtures';

const brokers = inject('services').kafkaBrokers;

// librdkafka places a message itself (its `murmur2_random` partitioner, which the confluent
// driver configures); the other clients place it with `javaPartition`. Only a broker can say
// where librdkafka put a message, so this runs against the real one.
describe("librdkafka's murmur2_random partitioner (client 'confluent')", () => {
  it('puts every key on the partition javaPartition (kafkajs, Java) chooses, so switching clients keeps order', async () => {
    const topicPrefix = uniqueName('kq');
    const partitions = 7;
    const publisher = new KafkaEventPublisher({
      connection: { brokers },
      client: 'confluent',
      topicPrefix,
      provision: { partitions },
    });
    const events = Array.from({ length: 1_000 }, (_, n) =>
      requested(n, { key: `r${n}-${'x'.repeat(n % 17)}` }),
    );
    try {
      await publisher.publish(events);
    } finally {
      await publisher.close();
    }
    const placed = new Map<string, number>();
    await readTopic(
      createKafka({ brokers }),
      publisher.topics.of('ReservationRequested'),
      {},
      async (m, at) => {
        placed.set(m.key!.toString(), at.partition);
      },
    );
    expect(placed.size).toBe(events.length);
    const differing = events.filter((e) => placed.get(e.key) !== javaPartition(e.key, partitions));
    expect(differing).toEqual([]);
  });
});

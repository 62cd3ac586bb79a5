import { describeEventBus } from '@seatrush/conformance';
import { uniqueName } from '@seatrush/test-support';
import { inject } from 'vitest';
import { EVENT_TOPICS, KafkaEventConsumer, KafkaEventPublisher } from '../src';
import { CLIENTS, THREAD_CLIENTS } from './clients';
import { rawSend } from './fixtures';
import { publisherThreadModule } from './publisher-thread-module';

const brokers = inject('services').kafkaBrokers;

// every client, with its producer on the host's event loop and, where it can, on a publisher thread
for (const [client, threaded] of [
  ...CLIENTS.map((c) => [c, false] as const),
  ...THREAD_CLIENTS.map((c) => [c, true] as const),
]) {
  describeEventBus(`Kafka (${client}${threaded ? ', publisher thread' : ''})`, async () => {
    const topicPrefix = uniqueName('kc');
    const connection = { brokers };
    const publisher = new KafkaEventPublisher({
      connection,
      client,
      topicPrefix,
      provision: { partitions: 3 },
      ...(threaded ? { thread: { module: await publisherThreadModule() } } : {}),
    });
    // Every topic exists before the suite publishes or sends raw messages.
    await publisher.connect();
    const consumers: KafkaEventConsumer[] = [];
    return {
      publisher,
      consumer: (groupId: string) => {
        const consumer = new KafkaEventConsumer({
          connection,
          client,
          topicPrefix,
          groupId,
          provision: false,
        });
        consumers.push(consumer);
        return consumer;
      },
      sendRaw: (body, key) => rawSend(brokers, `${topicPrefix}.${EVENT_TOPICS.UserAdmitted}`, [body], key),
      dispose: async () => {
        await Promise.all(consumers.map((c) => c.stop()));
        await publisher.close();
      },
    };
  });
}

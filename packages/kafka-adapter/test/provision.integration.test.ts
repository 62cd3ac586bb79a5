import { ValidationError } from '@seatrush/core';
import { uniqueName } from '@seatrush/test-support';
import { ConfigResourceTypes } from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';
import { createKafka, provisionTopics, TopicNames } from '../src';

const brokers = inject('services').kafkaBrokers;
const connection = { brokers };

describe('provisionTopics', () => {
  it('creates every topic with its partitions and settings, and is idempotent', async () => {
    const topicPrefix = uniqueName('kp');
    const all = new TopicNames(topicPrefix).all();
    const settings = { partitions: 5, replicationFactor: 1, minInsyncReplicas: 1, retentionMs: 3_600_000 };
    expect(await provisionTopics({ connection, topicPrefix, settings })).toEqual({
      created: all,
      existing: [],
    });
    expect(await provisionTopics({ connection, topicPrefix, settings })).toEqual({
      created: [],
      existing: all,
    });

    const admin = createKafka(connection).admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: all });
      expect(topics.map((t) => t.partitions.length)).toEqual(all.map(() => 5));
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: `${topicPrefix}.reservation.requested`,
            configNames: ['retention.ms', 'min.insync.replicas'],
          },
        ],
      });
      const configs = Object.fromEntries(
        resources[0]?.configEntries.map((c) => [c.configName, c.configValue]) ?? [],
      );
      expect(configs).toEqual({ 'retention.ms': '3600000', 'min.insync.replicas': '1' });
    } finally {
      await admin.disconnect();
    }
  });

  it('refuses bad settings with a ValidationError listing every issue, creating nothing', async () => {
    const error = await provisionTopics({
      connection,
      topicPrefix: 'bad prefix',
      settings: { partitions: 0, replicationFactor: 1, minInsyncReplicas: 2 },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path).sort()).toEqual([
      'settings.minInsyncReplicas',
      'settings.partitions',
      'topicPrefix',
    ]);
  });
});

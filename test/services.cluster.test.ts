import { Cluster } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { clusterAddressesFromEnv, uniqueName } from './support';

// The scale-out servers are real clusters: keys land on three different masters, and a topic
// with replication factor 3 accepts writes acknowledged by all in-sync replicas.
const cluster = clusterAddressesFromEnv();

describe('Redis Cluster', () => {
  const redis = new Cluster(cluster.redisClusterNodes);
  afterAll(() => redis.quit());

  it('spreads keys over three masters and runs Lua within one hash slot', async () => {
    const prefix = uniqueName('cluster');
    if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
    const masters = redis.nodes('master');
    expect(masters).toHaveLength(3);

    const keys = Array.from({ length: 30 }, (_, i) => `${prefix}:${i}`);
    await Promise.all(keys.map((key, i) => redis.set(key, String(i))));
    const perMaster = await Promise.all(masters.map((node) => node.dbsize()));
    expect(perMaster.filter((n) => n > 0)).toHaveLength(3);

    const tagged = `{${prefix}}`;
    const script = "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('INCRBY', KEYS[2], ARGV[1])";
    expect(await redis.eval(script, 2, `${tagged}:a`, `${tagged}:b`, 5)).toBe(5);
    await Promise.all([...keys, `${tagged}:a`, `${tagged}:b`].map((key) => redis.del(key)));
  });
});

describe('Kafka cluster', () => {
  it('replicates a topic to three brokers and delivers with acks=all', async () => {
    const kafka = new Kafka({
      clientId: 'cluster-smoke',
      brokers: cluster.kafkaClusterBrokers,
      logLevel: logLevel.NOTHING,
    });
    const topic = uniqueName('cluster');
    const admin = kafka.admin();
    await admin.connect();
    const { brokers } = await admin.describeCluster();
    expect(brokers).toHaveLength(3);
    await admin.createTopics({
      topics: [{ topic, numPartitions: 3, replicationFactor: 3 }],
      waitForLeaders: true,
    });
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    for (const partition of metadata.topics[0]?.partitions ?? []) expect(partition.replicas).toHaveLength(3);
    await admin.disconnect();

    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'replicated' }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: uniqueName('cluster_group') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = await new Promise<string>((resolve) => {
      void consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) });
    });
    await consumer.disconnect();
    expect(received).toBe('replicated');
  });
});

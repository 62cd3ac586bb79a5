import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { uniqueName } from './support';

// These prove the servers are real: a Lua script, an SQL transaction and a Kafka round trip with a
// consumer group can only pass against the genuine article.
const services = inject('services');

describe('Redis', () => {
  const redis = new Redis(services.redisUrl);
  afterAll(() => redis.quit());

  it('runs a Lua script atomically', async () => {
    const key = `${uniqueName('smoke')}:counter`;
    const script = "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('INCRBY', KEYS[1], ARGV[2])";
    expect(await redis.eval(script, 1, key, 40, 2)).toBe(42);
    await redis.del(key);
  });
});

describe('PostgreSQL', () => {
  const pool = new pg.Pool({ connectionString: services.databaseUrl, max: 2 });
  afterAll(() => pool.end());

  it('commits and rolls back transactions', async () => {
    const table = uniqueName('smoke');
    const client = await pool.connect();
    try {
      await client.query(`create table ${table} (id int primary key)`);
      await client.query('begin');
      await client.query(`insert into ${table} values (1)`);
      await client.query('commit');
      await client.query('begin');
      await client.query(`insert into ${table} values (2)`);
      await client.query('rollback');
      const { rows } = await client.query(`select id from ${table} order by id`);
      expect(rows).toEqual([{ id: 1 }]);
    } finally {
      await client.query(`drop table if exists ${table}`);
      client.release();
    }
  });
});

describe('Kafka', () => {
  it('delivers a produced message to a consumer group', async () => {
    const kafka = new Kafka({
      clientId: 'smoke',
      brokers: services.kafkaBrokers,
      logLevel: logLevel.NOTHING,
    });
    const topic = uniqueName('smoke');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();

    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'hello' }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: uniqueName('smoke_group') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = await new Promise<string>((resolve) => {
      void consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) });
    });
    await consumer.disconnect();
    expect(received).toBe('hello');
  });
});

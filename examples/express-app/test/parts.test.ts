import { MemoryRequestGuard, SessionCookies } from '@seatrush/http';
import type { Request } from 'express';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import { DemoSessions } from '../src/http/session';
import { PaymentSimulator } from '../src/payment-simulator';

describe('configuration', () => {
  it('runs on the embedded default with loopback and a printed operator token when nothing is set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      servers: null,
      operatorTokenGenerated: true,
    });
    expect(config.operatorToken.length).toBeGreaterThanOrEqual(16);
  });

  it('takes the real servers only when all three addresses are given, and treats empty ones as unset', () => {
    const servers = loadConfig({
      REDIS_URL: 'redis://127.0.0.1:6379',
      KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9093',
      DATABASE_URL: 'postgres://u@127.0.0.1:5432/db',
    }).servers;
    expect(servers?.kafkaBrokers).toEqual(['127.0.0.1:9092', '127.0.0.1:9093']);
    expect(loadConfig({ REDIS_URL: '', KAFKA_BROKERS: '', DATABASE_URL: '' }).servers).toBeNull();
    expect(() => loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' })).toThrow(/all of REDIS_URL/);
  });

  it('takes a Sentinel group or a Cluster as REDIS_URL, and refuses a Redis URL it cannot read', () => {
    const real = { KAFKA_BROKERS: '127.0.0.1:9092', DATABASE_URL: 'postgres://u@127.0.0.1:5432/db' };
    const sentinel = 'redis-sentinel://127.0.0.1:26379,127.0.0.1:26380/seatrush';
    expect(loadConfig({ ...real, REDIS_URL: sentinel }).servers?.redisUrl).toBe(sentinel);
    const cluster = 'redis-cluster://127.0.0.1:7001,127.0.0.1:7002';
    expect(loadConfig({ ...real, REDIS_URL: cluster }).servers?.redisUrl).toBe(cluster);
    expect(() => loadConfig({ ...real, REDIS_URL: 'redis-sentinel://127.0.0.1:26379' })).toThrow(
      /REDIS_URL: a Sentinel URL ends with the master's name/,
    );
    expect(() => loadConfig({ ...real, REDIS_URL: 'memcached://x:1' })).toThrow(
      /REDIS_URL: unknown Redis URL scheme/,
    );
  });

  it("drives the Kafka adapter's default client unless KAFKA_CLIENT names another, and refuses an unknown one", () => {
    const real = {
      REDIS_URL: 'redis://127.0.0.1:6379',
      KAFKA_BROKERS: '127.0.0.1:9092',
      DATABASE_URL: 'postgres://u@127.0.0.1:5432/db',
    };
    expect(loadConfig(real).servers?.kafkaClient).toBe('platformatic');
    expect(loadConfig({ ...real, KAFKA_CLIENT: 'kafkajs' }).servers?.kafkaClient).toBe('kafkajs');
    expect(loadConfig({ ...real, KAFKA_CLIENT: 'confluent' }).servers?.kafkaClient).toBe('confluent');
    expect(() => loadConfig({ ...real, KAFKA_CLIENT: 'rdkafka' })).toThrow(/KAFKA_CLIENT/);
  });

  it('names every bad variable at once', () => {
    const bad = () => loadConfig({ PORT: 'eighty', PAYMENT_FAILURE_RATE: '2', OPERATOR_TOKEN: 'short' });
    expect(bad).toThrow(/PORT/);
    expect(bad).toThrow(/PAYMENT_FAILURE_RATE/);
    expect(bad).toThrow(/OPERATOR_TOKEN/);
  });
});

describe('session cookies', () => {
  const sessionsWith = (secret: string) => {
    const guard = new MemoryRequestGuard();
    return new DemoSessions(new SessionCookies({ secret, revocations: guard }), guard);
  };
  const sessions = sessionsWith('s'.repeat(32));
  /** A request carrying `value` as its session cookie. */
  const carrying = (value: string | undefined) =>
    ({ headers: value === undefined ? {} : { cookie: `sr_session=${value}` } }) as Request;
  const cookieValue = (setCookie: string) => setCookie.split(';')[0]?.slice('sr_session='.length) as string;

  it('reads back what it issued, with a server-made user id', async () => {
    const { session, setCookie } = sessions.issue('Ann', 1_000, false);
    expect(session.userId).toMatch(/^u-[A-Za-z0-9_-]+$/);
    expect(await sessions.read(carrying(cookieValue(setCookie)), 2_000)).toEqual(session);
  });

  it('refuses a tampered, foreign, malformed or stale cookie', async () => {
    const cookie = cookieValue(sessions.issue('Ann', 1_000, false).setCookie);
    const [body, mac] = cookie.split('.');
    const claims = JSON.parse(Buffer.from(body as string, 'base64url').toString());
    const tampered = Buffer.from(JSON.stringify({ ...claims, userId: 'u-admin' })).toString('base64url');
    expect(await sessions.read(carrying(`${tampered}.${mac}`), 2_000)).toBeNull();
    expect(await sessionsWith('t'.repeat(32)).read(carrying(cookie), 2_000)).toBeNull();
    expect(await sessions.read(carrying(body), 2_000)).toBeNull();
    expect(await sessions.read(carrying(undefined), 2_000)).toBeNull();
    expect(await sessions.read(carrying(cookie), 1_000 + 13 * 3_600_000)).toBeNull();
  });
});

describe('the payment simulator', () => {
  it('charges once per idempotency key and declines at its failure rate', async () => {
    const always = new PaymentSimulator({ latencyMs: 0, failureRate: 0 });
    const input = { reservationId: 'r1', userId: 'u1', amountCents: 100, idempotencyKey: 'r1' };
    const first = await always.charge(input);
    expect(first.ok).toBe(true);
    expect(await always.charge(input)).toEqual(first);
    expect(always.figures()).toEqual({ charges: 1, declined: 0, refunds: 0 });
    const never = new PaymentSimulator({ latencyMs: 0, failureRate: 1 });
    expect(await never.charge(input)).toEqual({ ok: false, code: 'DECLINED' });
  });
});

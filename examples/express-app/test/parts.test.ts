import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import { SessionCodec } from '../src/http/session';
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

  it('names every bad variable at once', () => {
    const bad = () => loadConfig({ PORT: 'eighty', PAYMENT_FAILURE_RATE: '2', OPERATOR_TOKEN: 'short' });
    expect(bad).toThrow(/PORT/);
    expect(bad).toThrow(/PAYMENT_FAILURE_RATE/);
    expect(bad).toThrow(/OPERATOR_TOKEN/);
  });
});

describe('session cookies', () => {
  const codec = new SessionCodec('s'.repeat(32));

  it('reads back what it issued, with a server-made user id', () => {
    const { session, cookie } = codec.issue('Ann', 1_000);
    expect(session.userId).toMatch(/^u-[A-Za-z0-9_-]+$/);
    expect(codec.read(cookie, 2_000)).toEqual(session);
  });

  it('refuses a tampered, foreign, malformed or stale cookie', () => {
    const { cookie } = codec.issue('Ann', 1_000);
    const [body, mac] = cookie.split('.');
    const tampered = Buffer.from(
      JSON.stringify({ userId: 'u-admin', name: 'Ann', issuedAt: 1_000 }),
    ).toString('base64url');
    expect(codec.read(`${tampered}.${mac}`, 2_000)).toBeNull();
    expect(new SessionCodec('t'.repeat(32)).read(cookie, 2_000)).toBeNull();
    expect(codec.read(body, 2_000)).toBeNull();
    expect(codec.read(undefined, 2_000)).toBeNull();
    expect(codec.read(cookie, 1_000 + 13 * 3_600_000)).toBeNull();
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

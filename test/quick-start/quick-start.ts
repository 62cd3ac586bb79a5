import { combineBundles, createSeatRushRuntime, FakePaymentGateway } from '@seatrush/core';
import { kafkaPorts } from '@seatrush/kafka-adapter';
import { pgPorts } from '@seatrush/pg-adapter';
import { redisPorts } from '@seatrush/redis-adapter';
import { Redis } from 'ioredis';
import pg from 'pg';
const { REDIS_URL = '', KAFKA_BROKERS = '', DATABASE_URL, NAMESPACE: ns = 'seatrush' } = process.env;
const redis = new Redis(REDIS_URL), db = new pg.Pool({ connectionString: DATABASE_URL }); // your clients
const ports = combineBundles(redisPorts(redis, { keyPrefix: `${ns}:` }), pgPorts(db, { schema: ns, migrate: 'apply' }),
  kafkaPorts({ brokers: KAFKA_BROKERS.split(',') }, { topicPrefix: ns }));
const seatrush = createSeatRushRuntime({ ports, payments: new FakePaymentGateway(), admissionSecret: 'x'.repeat(32) });
await seatrush.start(); // serves the sales PostgreSQL has; the worker joins its group in the background
const sale = await seatrush.define({ id: 'concert', name: 'Concert', opensAt: Date.now(), admission: { usersPerInterval: 50,
  maxActive: 500 }, inventory: { kind: 'general', capacity: 100, tier: 'std' }, tiers: [{ id: 'std', name: 'Std', priceCents: 5_000 }] });
await sale.queue.join({ userId: 'alice' }); await sale.queue.tick(); // the admission loop ticks by itself too
const held = await sale.reservations.reserve({ userId: 'alice', idempotencyKey: 'a1', selection: { kind: 'quantity',
  quantity: 2 }, admissionToken: (await sale.queue.status({ userId: 'alice' }))?.admissionToken });
await seatrush.drain(); // the worker persists, charges and confirms
console.log(held.code, held.ok && (await sale.reservation(held.reservationId))?.status); // ACCEPTED CONFIRMED
await seatrush.close(); await Promise.all([redis.quit(), db.end()]); // the runtime's parts, then your clients

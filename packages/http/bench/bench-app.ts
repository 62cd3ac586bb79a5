import type { AddressInfo } from 'node:net';
import {
  createSeatRushRuntime,
  memoryPorts,
  type PaymentGateway,
  type SeatRushRuntime,
} from '@seatrush/core';
import Fastify, { type FastifyInstance } from 'fastify';
import { createSeatRushHttp, fastifyPlugin, type SeatRushHttp } from '../src';
import { redisGuardOnly, serverPorts } from './server-ports';

export const BUYERS = 5_000;
const payments: PaymentGateway = {
  charge: async (c) => ({ ok: true, paymentId: `pay-${c.reservationId}` }),
  refund: async () => undefined,
};

/** A Fastify server with the package under /api (an in-memory runtime, one big sale) and bare routes beside it. */
export async function benchApp(
  options: {
    streamsPerAddress?: number;
    streamsTotal?: number;
    memory?: boolean;
    listen?: boolean;
    /** Buyers admitted before the run (their tokens); default BUYERS. */
    buyers?: number;
  } = {},
): Promise<{
  app: FastifyInstance;
  api: SeatRushHttp;
  runtime: SeatRushRuntime;
  base: string;
  tokens: string[];
  /** `memory`, or `servers` (Redis + PostgreSQL + Kafka, and the Redis request guard). */
  store: 'memory' | 'servers';
  /** Closes the server, the runtime and (on the servers) deletes the run's keys and schema. */
  close(): Promise<void>;
}> {
  // BENCH_STORE=servers: the real servers (the addresses from the environment, .services/env)
  const servers = process.env.BENCH_STORE === 'servers' && !options.memory ? await serverPorts() : null;
  // BENCH_GUARD=redis: the in-memory runtime behind the Redis request guard (REDIS_URL), to see the guard alone
  const redisGuard =
    !servers && process.env.BENCH_GUARD === 'redis' && !options.memory ? await redisGuardOnly() : null;
  const runtime = createSeatRushRuntime({
    ports: servers?.ports ?? memoryPorts(),
    payments,
    admissionSecret: 'bench-admission-secret-0123456789abcdef',
    // no reservation worker by default: it would confirm each hold and end its buyer's session
    // (endSessionOnCheckout), and every later reserve of that buyer would be NOT_ADMITTED;
    // BENCH_WORKER=1 runs it in this process anyway (refusals are then counted, not failed)
    loops: { admission: false, worker: process.env.BENCH_WORKER === '1' },
  });
  await runtime.start();
  const sale = await runtime.define({
    id: 'ga',
    name: 'Bench',
    inventory: { kind: 'general', capacity: 1_000_000, tier: 'std' },
    tiers: [{ id: 'std', name: 'Standard', priceCents: 1_000 }],
    opensAt: 0,
    holdMs: 600_000,
    admission: { usersPerInterval: BUYERS, intervalMs: 1_000, maxActive: BUYERS * 2, sessionMs: 3_600_000 },
    limits: { ticketsPerUser: 100 },
  });
  const tokens: string[] = [];
  const buyers = options.buyers ?? BUYERS;
  for (let i = 0; i < buyers; i++) await sale.queue.join({ userId: `b${i}` });
  await sale.queue.tick();
  for (let i = 0; i < buyers; i++)
    tokens.push((await sale.waitingRoom.status({ userId: `b${i}` }))?.admissionToken ?? '');
  const many = { perSecond: 1e9, burst: 1e9 };
  const api = createSeatRushHttp({
    runtime,
    identify: (request) => {
      const id = request.headers['x-buyer'];
      return typeof id === 'string' ? { id } : null;
    },
    authorizeOperator: () => false,
    limits: { perAddress: many, perBuyer: many, global: many },
    streams: { perAddress: options.streamsPerAddress ?? 20, total: options.streamsTotal ?? 100_000 },
    ...(servers ? { guard: servers.guard } : redisGuard ? { guard: redisGuard.guard } : {}),
  });
  const app = Fastify();
  app.post('/bare/reserve', async () => ({ reservation: { id: 'r', status: 'HELD' } }));
  app.get('/bare/read', async () => ({ sale: { id: 'ga', state: 'OPEN' } }));
  // the SDK's reserve behind a bare route (no guard, no checks): the floor the package stands on
  app.post('/bare/sdk-reserve', async (request, reply) => {
    const result = await sale.reservations.reserve({
      userId: String(request.headers['x-buyer']),
      idempotencyKey: String(request.headers['idempotency-key']),
      selection: { kind: 'quantity', quantity: (request.body as { quantity: number }).quantity },
      admissionToken: String(request.headers['x-admission-token']),
    });
    return reply
      .code(result.ok ? 201 : 409)
      .send(result.ok ? { reservationId: result.reservationId } : result);
  });
  await app.register(fastifyPlugin(api), { prefix: '/api' });
  if (options.listen !== false) await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    app,
    api,
    runtime,
    tokens,
    store: servers ? 'servers' : 'memory',
    async close() {
      api.close();
      await app.close();
      await runtime.close();
      await servers?.close();
      await redisGuard?.close();
    },
    base: options.listen === false ? '' : `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
  };
}

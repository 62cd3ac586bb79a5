import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { createSeatRushRuntime, FakePaymentGateway, memoryPorts } from '@seatrush/core';
import { createSeatRushHttp, hardenServer, nodeHandler, SessionCookies } from '@seatrush/http';

export const runtime = createSeatRushRuntime({
  ports: memoryPorts(), // or redisPorts + pgPorts + kafkaPorts, as in @seatrush/core's quick start
  payments: new FakePaymentGateway(),
  admissionSecret: randomBytes(32),
});
await runtime.start();
await runtime.define({
  id: 'concert',
  name: 'Concert',
  opensAt: Date.now(),
  inventory: { kind: 'general', capacity: 100, tier: 'std' },
  tiers: [{ id: 'std', name: 'Standard', priceCents: 5_000 }],
  admission: { usersPerInterval: 50, intervalMs: 200, maxActive: 500 },
});
export const sessions = new SessionCookies({ secret: randomBytes(32) }); // NOT the admission secret
const operatorToken = process.env.OPERATOR_TOKEN ?? randomBytes(24).toString('base64url');
export const api = createSeatRushHttp({
  runtime,
  identify: (request, now) => sessions.identify(request, now), // or your own: (request) => buyer | null
  authorizeOperator: (request) => request.headers.authorization === `Bearer ${operatorToken}`,
});
export const server = hardenServer(createServer(nodeHandler(api, { basePath: '/api' })));
server.listen({ port: Number(process.env.PORT ?? 8080), backlog: 4096 });

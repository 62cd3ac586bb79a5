import { randomBytes } from 'node:crypto';
import * as core from '@seatrush/core';
import { createSeatRushHttp, fastifyPlugin, SessionCookies } from '@seatrush/http';
import Fastify from 'fastify';

/** The demo's payments: every charge approved (a real host passes its provider's gateway). */
const payments: core.PaymentGateway = {
  charge: async (c) => ({ ok: true, paymentId: `pay-${c.reservationId}` }),
  refund: async () => {},
};

/** Serves `sale` under /api on Fastify; buyers sign in at POST /login (a demo login: no password). */
export async function serveSale(
  sale: core.SaleDefinitionInput,
  env: { port?: number; operatorToken: string },
) {
  const ports = core.memoryPorts();
  const runtime = core.createSeatRushRuntime({ ports, payments, admissionSecret: randomBytes(32) });
  await runtime.start();
  await runtime.define(sale);
  const sessions = new SessionCookies({ secret: randomBytes(32) });
  const api = createSeatRushHttp({
    runtime,
    identify: (request, now) => sessions.identify(request, now),
    authorizeOperator: (request) => request.headers.authorization === `Bearer ${env.operatorToken}`,
  });
  const app = Fastify({ forceCloseConnections: true });
  app.post('/login', async (request, reply) => {
    const userId = `u-${randomBytes(9).toString('base64url')}`;
    const { setCookie } = sessions.issue(userId, Date.now(), { secure: request.protocol === 'https' });
    return reply
      .header('set-cookie', setCookie)
      .code(201)
      .send({ user: { id: userId } });
  });
  await app.register(fastifyPlugin(api), { prefix: '/api' });
  app.addHook('onClose', () => Promise.all([api.close(), runtime.close()]));
  await app.listen({ port: env.port ?? 0, host: '127.0.0.1' });
  return app;
}

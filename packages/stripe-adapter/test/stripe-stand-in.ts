import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

/** One request the stand-in received: what the official library sent. */
export interface RecordedRequest {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  params: URLSearchParams;
}

/**
 * A loopback HTTP stand-in for the few Stripe endpoints the adapter calls (create, retrieve and
 * cancel a PaymentIntent; create a Refund). It answers PaymentIntent objects kept in memory and
 * records each request. It is NOT Stripe: it checks what the official library sends and how the
 * adapter reads the answers, not Stripe's behaviour (no local Stripe-compatible server on the npm
 * registry serves PaymentIntents; stripe-stateful-mock has charges only).
 */
export async function stripeStandIn() {
  const intents = new Map<string, Record<string, unknown>>();
  const byKey = new Map<string, string>();
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      const params = new URLSearchParams(req.method === 'GET' ? url.search : body);
      const idempotencyKey = req.headers['idempotency-key'] as string | undefined;
      requests.push({ method: req.method ?? '', path: url.pathname, idempotencyKey, params });
      const answer = (status: number, json: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${requests.length}` });
        res.end(JSON.stringify(json));
      };
      const [, , resource, id, action] = url.pathname.split('/');
      if (resource === 'payment_intents' && req.method === 'POST' && !id) {
        const earlier = idempotencyKey ? byKey.get(idempotencyKey) : undefined;
        if (earlier) return answer(200, intents.get(earlier));
        const intentId = `pi_${intents.size + 1}`;
        const metadata: Record<string, string> = {};
        for (const [key, value] of params) {
          const match = /^metadata\[(.+)\]$/.exec(key);
          if (match) metadata[match[1]!] = value;
        }
        const intent = {
          id: intentId,
          object: 'payment_intent',
          amount: Number(params.get('amount')),
          amount_received: 0,
          currency: params.get('currency'),
          status: 'requires_payment_method',
          client_secret: `${intentId}_secret_x`,
          metadata,
          last_payment_error: null,
        };
        intents.set(intentId, intent);
        if (idempotencyKey) byKey.set(idempotencyKey, intentId);
        return answer(200, intent);
      }
      const intent = id ? intents.get(id) : undefined;
      if (resource === 'payment_intents' && intent && req.method === 'GET') return answer(200, intent);
      if (resource === 'payment_intents' && intent && action === 'cancel') {
        if (intent.status === 'succeeded') {
          return answer(400, {
            error: {
              type: 'invalid_request_error',
              code: 'payment_intent_unexpected_state',
              message: 'succeeded',
            },
          });
        }
        intent.status = 'canceled';
        intent.client_secret = null;
        return answer(200, intent);
      }
      if (resource === 'refunds' && req.method === 'POST') {
        return answer(200, {
          id: `re_${requests.length}`,
          object: 'refund',
          payment_intent: params.get('payment_intent'),
          status: 'succeeded',
        });
      }
      return answer(404, {
        error: { type: 'invalid_request_error', message: `no route ${req.method} ${url.pathname}` },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const stripe = new Stripe('sk_test_stand_in', {
    host: '127.0.0.1',
    port,
    protocol: 'http',
    maxNetworkRetries: 0,
  });
  return {
    stripe,
    requests,
    intents,
    /** What Stripe does when the buyer's confirmation succeeds. */
    succeed(intentId: string) {
      const intent = intents.get(intentId)!;
      Object.assign(intent, { status: 'succeeded', amount_received: intent.amount, client_secret: null });
      return intent;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

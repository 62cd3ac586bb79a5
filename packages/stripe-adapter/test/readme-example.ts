import { createServer } from 'node:http';
import { createSeatRushRuntime, memoryPorts, WebhookSignatureError } from '@seatrush/core';
import { stripePayments } from '@seatrush/stripe-adapter';
import type Stripe from 'stripe';

export function checkoutServer(stripe: Stripe, webhookSecret: string) {
  const runtime = createSeatRushRuntime({
    ports: memoryPorts(), // redisPorts + kafkaPorts + pgPorts in production, with pgPorts(…).checkout/.notifications
    admissionSecret: process.env.ADMISSION_SECRET ?? 'x'.repeat(32),
    checkout: { provider: stripePayments(stripe, { webhookSecret }), currency: 'eur' },
  });
  // Stripe signs the raw body: read it as bytes, never through a JSON body parser
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    try {
      const { outcome } = await runtime.checkout!.handleWebhook({
        payload: Buffer.concat(chunks),
        headers: req.headers,
      });
      res.writeHead(200).end(outcome);
    } catch (error) {
      res.writeHead(error instanceof WebhookSignatureError ? 400 : 500).end(); // 5xx: Stripe delivers it again
    }
  });
  return { runtime, server };
}

import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { checkoutServer } from './readme-example';
import { stripeStandIn } from './stripe-stand-in';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

describe('the README example', () => {
  it('is the file this test runs, verbatim', () => {
    const readme = readFileSync(here('../README.md'), 'utf8');
    const block = /<!-- example: test\/readme-example.ts -->\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(readFileSync(here('./readme-example.ts'), 'utf8'));
  });

  it("confirms a Stripe-paid reservation from the endpoint's webhook, and answers 400 to a forgery", async () => {
    const api = await stripeStandIn();
    const { runtime, server } = checkoutServer(api.stripe, 'whsec_readme');
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await runtime.start();
      const sale = await runtime.define({
        id: 'show',
        name: 'Show',
        opensAt: 0,
        admission: { usersPerInterval: 10, maxActive: 10 },
        inventory: { kind: 'general', capacity: 5, tier: 'std' },
        tiers: [{ id: 'std', name: 'Std', priceCents: 2_000 }],
      });
      await sale.queue.join({ userId: 'ana' });
      await sale.queue.tick();
      const admissionToken = (await sale.queue.status({ userId: 'ana' }))?.admissionToken;
      const held = await sale.reservations.reserve({
        userId: 'ana',
        idempotencyKey: 'k1',
        selection: { kind: 'quantity', quantity: 1 },
        ...(admissionToken ? { admissionToken } : {}),
      });
      if (!held.ok) throw new Error(held.code);
      const begun = await sale.checkout!.begin({ userId: 'ana', reservationId: held.reservationId });
      if (!begun.ok) throw new Error(begun.code);
      const payload = JSON.stringify({
        id: 'evt_1',
        object: 'event',
        type: 'payment_intent.succeeded',
        created: Math.floor(Date.now() / 1000),
        data: { object: api.succeed(begun.payment.paymentId) },
      });
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const post = (secret: string) =>
        fetch(url, {
          method: 'POST',
          body: payload,
          headers: {
            'stripe-signature': new Stripe('sk_test_x').webhooks.generateTestHeaderString({
              payload,
              secret,
            }),
          },
        });
      expect((await post('whsec_forged')).status).toBe(400);
      const answer = await post('whsec_readme');
      expect([answer.status, await answer.text()]).toEqual([200, 'CONFIRMED']);
      expect(await sale.reservation(held.reservationId)).toMatchObject({ status: 'CONFIRMED' });
    } finally {
      await runtime.close();
      server.close();
      await api.close();
    }
  });
});

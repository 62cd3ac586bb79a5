// The examples of packages/core/README.md, verbatim: readme-example.test.ts runs them.
import { createInMemorySeatRush } from '../../src';
import { Invitations } from '../../src/subpaths/services';

export async function readmeExample(): Promise<string | undefined> {
  const sale = createInMemorySeatRush({
    sale: {
      id: 'concert-2026',
      name: 'Concert',
      inventory: { kind: 'general', capacity: 2_000, tier: 'std' },
      tiers: [{ id: 'std', name: 'Standard', priceCents: 8_800 }],
      opensAt: Date.now(),
      admission: { usersPerInterval: 100, maxActive: 500 },
    },
  });
  await sale.start(); // warm-up, then the processor, the admission tick and the sweeper run
  await sale.queue.join({ userId: 'alice' });
  await sale.queue.tick(); // the admission loop does this every intervalMs by itself
  const status = await sale.queue.status({ userId: 'alice' }); // state: 'ADMITTED'
  const result = await sale.reservations.reserve({
    userId: 'alice',
    idempotencyKey: 'alice-order-1', // a retry with the same key answers the same outcome
    admissionToken: status?.admissionToken,
    selection: { kind: 'quantity', quantity: 2 },
  });
  if (!result.ok) throw new Error(result.code); // SOLD_OUT, NOT_ADMITTED, LIMIT_EXCEEDED, …
  await sale.drain(); // wait until the processor has paid and confirmed (demo only)
  const row = await sale.reservation(result.reservationId);
  await sale.stop();
  return row?.status; // 'CONFIRMED'
}

export async function readmeQueueingExample(secret: string): Promise<Record<string, string>> {
  const invitations = new Invitations({ secret }); // at least 32 bytes, kept by the operator
  const sale = createInMemorySeatRush({
    sale: {
      id: 'concert-2027',
      name: 'Concert',
      inventory: { kind: 'general', capacity: 2_000, tier: 'std' },
      tiers: [{ id: 'std', name: 'Standard', priceCents: 8_800 }],
      opensAt: Date.now() + 3_600_000, // in an hour
      admission: { usersPerInterval: 100, maxActive: 500 },
    },
    queueing: {
      method: 'fifo', // or 'random', 'passthrough', 'reject'; switched live with queue.setMethod
      preQueue: true, // who comes before opensAt is shuffled fairly at the opening
      graceMs: 120_000, // a buyer who goes silent keeps their place this long
      invitations, // the bypass and priority lanes: only by a signed invitation
      rejectCode: 'SOLD_OUT', // what a 'reject' room answers new arrivals
    },
    // endSessionOnCheckout (default true): a confirmed checkout hands the place to the next buyer
  });
  await sale.start(); // READY until opensAt; the admission loop opens the sale and the pre-queue
  const alice = await sale.queue.join({ userId: 'alice' }); // WAITING, lane 'pre-queue'
  const invitation = invitations.issue({
    saleId: sale.sale.id,
    userId: 'vip',
    lane: 'priority',
    expiresAt: Date.now() + 86_400_000,
  });
  const vip = await sale.queue.join({ userId: 'vip', invitation }); // WAITING, lane 'priority'
  await sale.queue.setMethod('reject'); // e.g. sold out: those waiting keep their place
  const late = await sale.queue.join({ userId: 'late' }); // { ok: false, code: 'SOLD_OUT' }
  await sale.stop();
  return {
    alice: alice.ok ? `${alice.status.state} ${alice.status.lane}` : alice.code,
    vip: vip.ok ? `${vip.status.state} ${vip.status.lane}` : vip.code,
    late: late.ok ? late.status.state : late.code,
  };
}

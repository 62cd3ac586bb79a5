// The example of packages/core/README.md, verbatim: readme-example.test.ts runs it.
import { createInMemorySeatRush } from '../../src';

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
  await sale.waitingRoom.join({ userId: 'alice' });
  await sale.waitingRoom.tick(); // the admission loop does this every intervalMs by itself
  const status = await sale.waitingRoom.status({ userId: 'alice' }); // state: 'ADMITTED'
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

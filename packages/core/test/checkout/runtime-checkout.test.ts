import { afterEach, describe, expect, it } from 'vitest';
import { MemoryNotificationSender } from '../../src/memory/notification-outbox';
import { SIMULATOR_CARDS, SimulatedPaymentProvider } from '../../src/memory/payment-simulator';
import type { WebhookDelivery } from '../../src/ports/payment-gateway';
import { memoryPorts } from '../../src/runtime/memory-ports';
import {
  createSeatRushRuntime,
  type RuntimeSale,
  type SeatRushRuntime,
} from '../../src/runtime/seatrush-runtime';
import { wipeableStore } from '../services/harness';

const SECRET = 'test-secret-0123456789-abcdefghijklmnop';
const sale = {
  id: 'sale-rt',
  name: 'Runtime checkout',
  inventory: { kind: 'general' as const, capacity: 3, tier: 'std' },
  tiers: [{ id: 'std', name: 'Standard', priceCents: 2_500 }],
  opensAt: 0,
  holdMs: 60_000,
  admission: { usersPerInterval: 50, intervalMs: 1_000, maxActive: 100 },
  limits: { ticketsPerUser: 2 },
};

async function held(s: RuntimeSale, userId: string, quantity = 1): Promise<string> {
  await s.queue.join({ userId });
  await s.queue.tick();
  const admissionToken = (await s.waitingRoom.status({ userId }))?.admissionToken;
  const result = await s.reservations.reserve({
    userId,
    idempotencyKey: `k-${userId}`,
    selection: { kind: 'quantity', quantity },
    ...(admissionToken ? { admissionToken } : {}),
  });
  if (!result.ok) throw new Error(`reserve refused: ${result.code}`);
  return result.reservationId;
}

describe('createSeatRushRuntime with a buyer-driven checkout', () => {
  const running: SeatRushRuntime[] = [];
  afterEach(async () => {
    for (const runtime of running.splice(0)) await runtime.close();
  });

  function start(provider: SimulatedPaymentProvider, sender: MemoryNotificationSender) {
    const runtime = createSeatRushRuntime({
      ports: memoryPorts(),
      admissionSecret: SECRET,
      checkout: { provider, sender, relay: { intervalMs: 10 } },
      loops: { admission: false },
    });
    running.push(runtime);
    return runtime;
  }

  it('holds without charging, then confirms on the signed webhook and notifies the buyer once', async () => {
    const webhooks: WebhookDelivery[] = [];
    const provider = new SimulatedPaymentProvider({ deliver: async (d) => void webhooks.push(d) });
    const sender = new MemoryNotificationSender();
    const runtime = start(provider, sender);
    await runtime.start();
    const s = await runtime.define(sale);
    const id = await held(s, 'ana', 2);
    await runtime.drain();
    expect(await s.reservation(id)).toMatchObject({ status: 'REQUESTED', amountCents: 5_000 });
    expect(await s.checkout!.status({ userId: 'ana', reservationId: id })).toMatchObject({ state: 'HELD' });

    const begun = await s.checkout!.begin({ userId: 'ana', reservationId: id });
    if (!begun.ok) throw new Error(begun.code);
    expect(begun.payment).toMatchObject({ amountCents: 5_000, currency: 'eur' });
    await provider.confirm({
      paymentId: begun.payment.paymentId,
      clientSecret: begun.payment.clientSecret!,
      card: SIMULATOR_CARDS.approved,
    });
    for (const delivery of [...webhooks, ...webhooks]) await runtime.checkout!.handleWebhook(delivery);
    expect(await s.reservation(id)).toMatchObject({
      status: 'CONFIRMED',
      paymentId: begun.payment.paymentId,
    });
    await expect.poll(() => sender.sent().map((n) => n.notificationId)).toEqual([`confirmed-${id}`]);
    expect(await s.checkout!.status({ userId: 'ana', reservationId: id })).toMatchObject({
      state: 'CONFIRMED',
    });
  });

  // issue 20: the runtime gave the rebuild and the sweeper no checkout bounds, so a rebuilt hold
  // whose payment had begun lived the default window (120 s), not the checkout's
  it("rebuilds a hold whose payment began with the checkout's payment window", async () => {
    const provider = new SimulatedPaymentProvider({ deliver: async () => {} });
    const ports = memoryPorts();
    const wipeable = wipeableStore(ports.inventory);
    const runtime = createSeatRushRuntime({
      ports: { ...ports, inventory: wipeable.store },
      admissionSecret: SECRET,
      checkout: { provider, sender: new MemoryNotificationSender(), paymentWindowMs: 10_000 },
      loops: { admission: false },
    });
    running.push(runtime);
    await runtime.start();
    const s = await runtime.define({ ...sale, holdMs: 5_000 });
    const id = await held(s, 'cy');
    await runtime.drain();
    const begun = await s.checkout!.begin({ userId: 'cy', reservationId: id });
    if (!begun.ok) throw new Error(begun.code);
    const { updatedAt } = (await s.reservation(id))!;
    wipeable.wipe();
    expect(await runtime.sale(sale.id)!.rebuildIfCold()).toMatchObject({ holdsRestored: 1 });
    const hold = await wipeable.current().getHold(sale.id, id);
    expect(hold).toMatchObject({ status: 'HELD', expiresAt: updatedAt + 10_000 });
  });

  it("keeps the auto-pay mode when a PaymentGateway is given (checkout: 'auto')", async () => {
    const runtime = createSeatRushRuntime({
      ports: memoryPorts(),
      admissionSecret: SECRET,
      payments: { charge: async () => ({ ok: true, paymentId: 'p1' }), refund: async () => {} },
      loops: { admission: false },
    });
    running.push(runtime);
    await runtime.start();
    const s = await runtime.define(sale);
    expect(runtime.checkout).toBeNull();
    expect(s.checkout).toBeNull();
    const id = await held(s, 'ben');
    await runtime.drain();
    expect(await s.reservation(id)).toMatchObject({ status: 'CONFIRMED', paymentId: 'p1' });
  });

  it("refuses checkout 'auto' without a gateway", () => {
    expect(() =>
      createSeatRushRuntime({ ports: memoryPorts(), admissionSecret: SECRET, checkout: 'auto' }),
    ).toThrow(/needs a PaymentGateway/);
  });
});

import { describe, expect, it } from 'vitest';
import type { DomainEvent, SaleDefinitionInput, SaleHookEvent } from '../../src';
import { MemoryEventBus, MemoryInventoryStore } from '../../src/subpaths/memory';
import { HookedPublisher, SaleHooks } from '../../src/subpaths/services';
import { generalSale, kafkaDown } from '../services/fixtures';
import { startInMemorySale } from '../services/harness';

async function startSale(sale: SaleDefinitionInput) {
  const seen: SaleHookEvent[] = [];
  const started = await startInMemorySale(sale, {
    beforeStart: (seatRush) =>
      seatRush.hooks.onAny((event) => {
        seen.push(event);
      }),
  });
  return { ...started, seen };
}

const types = (events: SaleHookEvent[]) => events.map((e) => e.type);

describe('host hooks fed by the services', () => {
  it('admitted → held → confirmed, then sold-out, with typed payloads', async () => {
    const { seatRush, admit, reserve, seen, settle } = await startSale(generalSale({ capacity: 2 }));
    const confirmed: string[] = [];
    seatRush.hooks.on('confirmed', (p) => {
      confirmed.push(`${p.userId}:${p.quantity}:${p.amountCents}`);
    });
    const tokens = await admit(['alice']);
    const result = await reserve('alice', tokens.get('alice'), { kind: 'quantity', quantity: 2 });
    expect(result.ok).toBe(true);
    await settle();
    expect(types(seen)).toEqual(['admitted', 'held', 'sold-out', 'confirmed']);
    expect(seen[0]).toMatchObject({ type: 'admitted', saleId: 'sale-ga', userId: 'alice', ticket: 1 });
    expect(seen[1]).toMatchObject({ type: 'held', userId: 'alice', quantity: 2, amountCents: 10_000 });
    expect(confirmed).toEqual(['alice:2:10000']);
  });

  it('a declined payment fires failed and restocked; an expired hold fires expired', async () => {
    const { seatRush, admit, reserve, seen, settle, payments, clock } = await startSale(
      generalSale({ capacity: 1 }),
    );
    payments.decline();
    const tokens = await admit(['bob', 'carol']);
    expect((await reserve('bob', tokens.get('bob'), { kind: 'quantity', quantity: 1 })).ok).toBe(true);
    await settle();
    expect(types(seen)).toEqual(['admitted', 'admitted', 'held', 'sold-out', 'failed', 'restocked']);
    expect(seen[4]).toMatchObject({
      type: 'failed',
      userId: 'bob',
      reason: 'PAYMENT_DECLINED',
      compensated: true,
    });

    // carol's hold runs out: stop the processor from paying by holding the sweep ourselves
    await seatRush.stop();
    const hold = await seatRush.memory.inventory.reserve({
      saleId: 'sale-ga',
      userId: 'carol',
      reservationId: 'res-carol',
      idempotencyKey: 'key-carol-direct',
      selection: { kind: 'quantity', quantity: 1 },
      holdMs: 1_000,
      requireAdmission: false,
      now: clock.now(),
    });
    expect(hold.ok).toBe(true);
    clock.advance(2_000);
    await seatRush.sweeper.sweepOnce();
    await seatRush.hooks.idle();
    expect(seen.at(-1)).toMatchObject({ type: 'expired', userId: 'carol', reservationId: 'res-carol' });
  });

  it('a release fires released with the owner', async () => {
    const { seatRush, admit, reserve, seen } = await startSale(generalSale({ capacity: 5 }));
    await seatRush.stop(); // no processor: the hold stays HELD
    const tokens = await admit(['dave']);
    const result = await reserve('dave', tokens.get('dave'), { kind: 'quantity', quantity: 1 });
    if (!result.ok) throw new Error(result.code);
    await seatRush.reservations.releaseHold({ userId: 'dave', reservationId: result.reservationId });
    await seatRush.hooks.idle();
    expect(seen.at(-1)).toMatchObject({ type: 'released', userId: 'dave', quantity: 1 });
  });

  it('a handler that throws or rejects never breaks the sale, and is reported', async () => {
    const errors: string[] = [];
    const hooks = new SaleHooks({
      onError: (error, hook) => errors.push(`${hook}:${(error as Error).message}`),
    });
    const bus = new MemoryEventBus();
    const publisher = new HookedPublisher({ publisher: bus, hooks });
    const calls: string[] = [];
    hooks.on('expired', () => {
      throw new Error('sync boom');
    });
    hooks.on('expired', async () => {
      throw new Error('async boom');
    });
    hooks.on('expired', (p) => {
      calls.push(p.reservationId);
    });
    const event: DomainEvent = {
      eventId: 'e1',
      type: 'HoldExpired',
      version: 1,
      saleId: 's1',
      key: 'r1',
      occurredAt: 5,
      payload: { reservationId: 'r1', userId: 'u1', quantity: 1, seatIds: [] },
    };
    await expect(publisher.publish([event])).resolves.toBeUndefined();
    await hooks.idle();
    expect(calls).toEqual(['r1']);
    expect(errors.sort()).toEqual(['expired:async boom', 'expired:sync boom']);
    expect(bus.published()).toHaveLength(1);
  });

  it('createSeatRush turns a failing handler into a HOOK_FAILED alert', async () => {
    const { seatRush, admit, settle } = await startSale(generalSale());
    seatRush.hooks.on('admitted', () => {
      throw new Error('crm down');
    });
    await admit(['erin']);
    await settle();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(seatRush.memory.alerts.alerts.map((a) => a.code)).toContain('HOOK_FAILED');
  });

  it('a failed publish fires nothing; unsubscribe stops a handler; unknown names are refused', async () => {
    const hooks = new SaleHooks();
    const calls: string[] = [];
    const off = hooks.on('expired', (p) => calls.push(p.reservationId));
    const failing = new HookedPublisher({ hooks, publisher: kafkaDown });
    const ok = new HookedPublisher({ hooks, publisher: new MemoryEventBus() });
    const event = (id: string): DomainEvent => ({
      eventId: id,
      type: 'HoldExpired',
      version: 1,
      saleId: 's1',
      key: id,
      occurredAt: 1,
      payload: { reservationId: id, userId: 'u', quantity: 1, seatIds: [] },
    });
    await expect(failing.publish([event('a')])).rejects.toThrow('kafka down');
    await ok.publish([event('b')]);
    off();
    await ok.publish([event('c')]);
    await hooks.idle();
    expect(calls).toEqual(['b']);
    expect(() => hooks.on('nope' as 'expired', () => undefined)).toThrow(TypeError);
  });

  it('two publishers feeding the same hooks announce a sell-out once', async () => {
    const hooks = new SaleHooks();
    const inventory = new MemoryInventoryStore();
    await inventory.load({
      saleId: 's1',
      initialStock: 1,
      available: 1,
      seatIds: [],
      confirmedSeatIds: [],
      ticketsPerUser: 4,
      confirmedPerUser: {},
    });
    const soldOut: number[] = [];
    hooks.on('sold-out', (p) => {
      soldOut.push(p.at);
    });
    const bus = new MemoryEventBus();
    const sale = new HookedPublisher({ publisher: bus, hooks, inventory });
    const groups = new HookedPublisher({ publisher: bus, hooks, inventory });
    const change = (id: string, at: number): DomainEvent => ({
      eventId: id,
      type: 'StockChanged',
      version: 1,
      saleId: 's1',
      key: id,
      occurredAt: at,
      payload: { reason: 'HELD', delta: -1, confirmedDelta: 0, reservationId: id, seatIds: [] },
    });
    const held = await inventory.reserve({
      saleId: 's1',
      userId: 'u1',
      reservationId: 'r1',
      idempotencyKey: 'k1',
      selection: { kind: 'quantity', quantity: 1 },
      holdMs: 1_000,
      requireAdmission: false,
      now: 1,
    });
    expect(held.ok).toBe(true);
    await groups.publish([change('r1', 1)]);
    await hooks.idle();
    await sale.publish([change('r2', 2)]);
    await hooks.idle();
    expect(soldOut).toEqual([1]);
  });
});

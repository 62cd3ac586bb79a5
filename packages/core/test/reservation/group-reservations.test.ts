import { describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  createInMemorySeatRush,
  type EventPublisher,
  type InventoryStore,
  type SaleDefinitionInput,
  type SaleHookEvent,
  ValidationError,
} from '../../src';
import { forwarding } from '../../src/common/forwarding';
import { MemoryInventoryStore } from '../../src/subpaths/memory';
import { GroupReservations, HookedPublisher } from '../../src/subpaths/services';
import { ManualClock } from '../../src/subpaths/testing';
import { generalSale, kafkaDown, SECRET, seatedSale } from '../services/fixtures';

/** Two sections (stalls: rows 1-2 of 6 seats; balcony: row 1 of 4), stalls 5,000 and balcony 3,000. */
function theatre(): SaleDefinitionInput {
  const row = (section: string, id: string, seats: number, tier: string) => ({
    id,
    seats: Array.from({ length: seats }, (_, i) => ({
      id: `${section}${id}-${i + 1}`,
      label: `${section} ${id}-${i + 1}`,
      tier,
    })),
  });
  // the seated sale's opening, hold, admission and defaults, with the theatre's seats and prices
  return seatedSale({
    id: 'sale-theatre',
    name: 'Theatre',
    inventory: {
      kind: 'assigned',
      sections: [
        { id: 'S', name: 'Stalls', rows: [row('S', '1', 6, 'std'), row('S', '2', 6, 'std')] },
        { id: 'B', name: 'Balcony', rows: [row('B', '1', 4, 'cheap')] },
      ],
    },
    tiers: [
      { id: 'std', name: 'Stalls', priceCents: 5_000 },
      { id: 'cheap', name: 'Balcony', priceCents: 3_000 },
    ],
    limits: { ticketsPerUser: 6 },
  });
}

async function startSale(sale: SaleDefinitionInput, publisher?: EventPublisher) {
  const clock = new ManualClock(1_000_000);
  const seatRush = createInMemorySeatRush({
    sale,
    clock,
    admissionSecret: SECRET,
    loops: { admission: false, sweeper: false, reconciler: false },
    retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 2 },
  });
  await seatRush.start();
  const groups = new GroupReservations({
    sale,
    inventory: seatRush.memory.inventory,
    publisher:
      publisher ??
      new HookedPublisher({
        publisher: seatRush.memory.bus,
        hooks: seatRush.hooks,
        inventory: seatRush.memory.inventory,
      }),
    clock,
    alerts: seatRush.memory.alerts,
    tokens: seatRush.tokens,
    isOpen: () => seatRush.state === 'OPEN',
  });
  const admit = async (userId: string) => {
    await seatRush.waitingRoom.join({ userId });
    await seatRush.waitingRoom.tick();
    return (await seatRush.waitingRoom.status({ userId }))!.admissionToken!;
  };
  const tokens = new Map<string, string>();
  /** `userId` (admitted on their first call) reserves `size` seats together under `idempotencyKey`. */
  const reserveParty = async (
    userId: string,
    idempotencyKey: string,
    size: number,
    options: { section?: string; fallback?: 'split' | 'refuse' } = {},
  ) => {
    if (!tokens.has(userId)) tokens.set(userId, await admit(userId));
    return groups.reserveGroup({
      userId,
      idempotencyKey,
      size,
      ...options,
      admissionToken: tokens.get(userId),
    });
  };
  return { seatRush, groups, admit, reserveParty, clock };
}

describe('GroupReservations', () => {
  it('a party of four gets four adjacent seats, pays once for all, and the held hook says so', async () => {
    const { seatRush, reserveParty } = await startSale(theatre());
    const held: SaleHookEvent[] = [];
    seatRush.hooks.on('held', (p) => {
      held.push({ type: 'held', ...p });
    });
    const result = await reserveParty('ann', 'party-1', 4);
    expect(result).toMatchObject({
      ok: true,
      code: 'ACCEPTED',
      adjacent: true,
      amountCents: 20_000,
      hold: { seatIds: ['S1-1', 'S1-2', 'S1-3', 'S1-4'], quantity: 4 },
    });
    if (!result.ok) throw new Error(result.code);
    await seatRush.drain();
    await seatRush.hooks.idle();
    expect(await seatRush.reservation(result.reservationId)).toMatchObject({
      status: 'CONFIRMED',
      amountCents: 20_000,
    });
    expect(held).toMatchObject([{ quantity: 4, seatIds: ['S1-1', 'S1-2', 'S1-3', 'S1-4'] }]);

    // the rest of row 1 has two seats: the next party of four sits together in row 2
    expect(await reserveParty('bob', 'party-2', 4)).toMatchObject({
      ok: true,
      adjacent: true,
      hold: { seatIds: ['S2-1', 'S2-2', 'S2-3', 'S2-4'] },
    });
    // a replay answers the same group, without a second payment
    expect(await reserveParty('bob', 'party-2', 4)).toMatchObject({
      ok: true,
      replayed: true,
      hold: { seatIds: ['S2-1', 'S2-2', 'S2-3', 'S2-4'] },
    });
  });

  it('a section narrows the rows; `refuse` holds nothing without adjacent seats; `split` keeps them close', async () => {
    const { admit, reserveParty, seatRush } = await startSale(theatre());
    expect(await reserveParty('cat', 'b1', 3, { section: 'B' })).toMatchObject({
      ok: true,
      amountCents: 9_000,
      hold: { seatIds: ['B1-1', 'B1-2', 'B1-3'] },
    });
    expect(await reserveParty('dan', 'b2', 2, { section: 'B' })).toEqual({ ok: false, code: 'SOLD_OUT' });
    expect(await reserveParty('dan', 'x', 2, { section: 'Z' })).toEqual({
      ok: false,
      code: 'UNKNOWN_SECTION',
    });
    // stalls: take S1-2 and S2-2 so that no row has 5 in a row
    for (const [user, seat] of [
      ['eve', 'S1-2'],
      ['fay', 'S2-2'],
    ] as const) {
      const t = await admit(user);
      expect(
        await seatRush.reservations.reserve({
          userId: user,
          idempotencyKey: `k-${user}`,
          selection: { kind: 'seats', seatIds: [seat] },
          admissionToken: t,
        }),
      ).toMatchObject({ ok: true });
    }
    await seatRush.drain(); // the processor confirms eve's and fay's seats in the background
    const before = await seatRush.memory.inventory.counts('sale-theatre');
    expect(await reserveParty('dan', 's1', 5, { section: 'S', fallback: 'refuse' })).toEqual({
      ok: false,
      code: 'NO_ADJACENT_SEATS',
    });
    expect(await seatRush.memory.inventory.counts('sale-theatre')).toEqual(before);
    expect(await reserveParty('dan', 's2', 5, { section: 'S' })).toMatchObject({
      ok: true,
      adjacent: false,
      hold: { seatIds: ['S1-1', 'S1-3', 'S1-4', 'S1-5', 'S1-6'] },
    });
  });

  it('refuses without admission, before opening and for general admission; bad input throws', async () => {
    const { groups, seatRush } = await startSale(theatre());
    expect(
      await groups.reserveGroup({ userId: 'gil', idempotencyKey: 'g', size: 2, admissionToken: 'forged' }),
    ).toMatchObject({ ok: false, code: 'NOT_ADMITTED' });
    await expect(groups.reserveGroup({ userId: 'gil', idempotencyKey: 'g', size: 0 })).rejects.toThrow(
      ValidationError,
    );
    await seatRush.pause();
    expect(await groups.reserveGroup({ userId: 'gil', idempotencyKey: 'g', size: 2 })).toEqual({
      ok: false,
      code: 'SALE_NOT_OPEN',
    });
    const ga = await startSale(generalSale());
    expect(await ga.groups.reserveGroup({ userId: 'hal', idempotencyKey: 'h', size: 2 })).toMatchObject({
      ok: false,
      code: 'WRONG_SELECTION',
    });
  });

  it('a failed publish leaves the acknowledged group held, in the outbox for the relay', async () => {
    const { reserveParty, seatRush, clock } = await startSale(theatre(), kafkaDown);
    const result = await reserveParty('ivy', 'i', 4);
    expect(result).toMatchObject({ ok: true, code: 'ACCEPTED', replayed: false });
    if (!result.ok) return;
    expect(await seatRush.memory.inventory.counts('sale-theatre')).toMatchObject({ held: 4, available: 12 });
    const outbox = await seatRush.memory.inventory.unrelayed({
      saleId: 'sale-theatre',
      enqueuedUpTo: clock.now(),
      limit: 10,
    });
    expect(outbox.map((entry) => entry.hold?.seatIds)).toEqual([result.hold.seatIds]);
  });

  it('needs a store that implements reserveGroup', () => {
    // a store from before group allocation: reserve and the rest, but no reserveGroup
    const store = new MemoryInventoryStore();
    const older: InventoryStore = forwarding(store, [
      'load',
      'isWarm',
      'reserve',
      'extend',
      'release',
      'confirm',
      'compensate',
      'expireDue',
      'getHold',
      'counts',
      'seatStates',
      'repair',
      'unrelayed',
      'markRelayed',
    ]);
    expect(
      () =>
        new GroupReservations({
          sale: theatre(),
          inventory: older,
          publisher: { publish: async () => {}, close: async () => {} },
          clock: new ManualClock(0),
          alerts: { alert: async () => {} },
        }),
    ).toThrow(ConfigurationError);
  });
});

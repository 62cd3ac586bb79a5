import { describe, expect, it } from 'vitest';
import {
  type EventPublisher,
  type SaleDefinitionInput,
  type SaleHookPayloads,
  ValidationError,
  type WaitingListStore,
} from '../../src';
import { forwarding } from '../../src/common/forwarding';
import { HookedPublisher, WaitingList } from '../../src/subpaths/services';
import { generalSale, kafkaDown, SECRET, seatedSale } from '../services/fixtures';
import { startInMemorySale } from '../services/harness';

async function startSale(sale: SaleDefinitionInput, publisher?: EventPublisher) {
  const started = await startInMemorySale(sale, { admissionSecret: SECRET });
  const { seatRush, clock } = started;
  const { inventory, bus, alerts } = seatRush.memory;
  const list = new WaitingList({
    sale,
    store: inventory.waitingList(),
    inventory,
    publisher: publisher ?? new HookedPublisher({ publisher: bus, hooks: seatRush.hooks, inventory }),
    clock,
    alerts,
    hooks: seatRush.hooks,
    claimMs: 30_000,
    // the rounds in these tests come from the hooks and by hand, never from a real timer
    timer: { setInterval: () => 0, clearInterval: () => undefined },
  });
  const offered: Array<SaleHookPayloads['offered']> = [];
  seatRush.hooks.on('offered', (offer) => {
    offered.push(offer);
  });
  return { ...started, list, offered };
}

describe('WaitingList', () => {
  it('a declined payment after sell-out: the unit is offered to the first waiting buyer, who claims and pays', async () => {
    const { seatRush, list, payments, offered, admit, settle } = await startSale(
      generalSale({ capacity: 1 }),
    );
    list.start();
    const tokens = await admit(['buyer']);
    payments.decline({ reservationId: 'res-buyer' });
    expect(await list.join({ userId: 'w1', size: 1 })).toMatchObject({ ok: true, created: true });
    expect(await list.join({ userId: 'w2', size: 1 })).toMatchObject({ ok: true });
    expect(await list.position('w2')).toMatchObject({ ahead: 1, entry: { state: 'WAITING' } });
    const result = await seatRush.reservations.reserve({
      userId: 'buyer',
      idempotencyKey: 'k-buyer',
      selection: { kind: 'quantity', quantity: 1 },
      admissionToken: tokens.get('buyer'),
      reservationId: 'res-buyer',
    });
    expect(result.ok).toBe(true);
    await settle(); // declined → failed → the hooks start an offer round
    await settle();
    expect(offered).toMatchObject([{ userId: 'w1', quantity: 1 }]);
    expect(await seatRush.memory.inventory.counts(seatRush.sale.id)).toMatchObject({ available: 0, held: 1 });
    expect(await list.claim({ userId: 'w2', offerId: offered[0]!.offerId })).toEqual({
      ok: false,
      code: 'NOT_OFFERED',
    });
    const claimed = await list.claim({ userId: 'w1', offerId: offered[0]!.offerId });
    expect(claimed).toMatchObject({ ok: true, code: 'ACCEPTED', amountCents: 5_000 });
    await settle();
    expect(await seatRush.reservation(offered[0]!.offerId)).toMatchObject({
      status: 'CONFIRMED',
      userId: 'w1',
    });
    expect(await list.claim({ userId: 'w1', offerId: offered[0]!.offerId })).toEqual({
      ok: false,
      code: 'ALREADY_CLAIMED',
    });
    await list.stop();
  });

  it('group-aware: a party of four is offered four adjacent seats; an unclaimed offer lapses to the next party', async () => {
    const { seatRush, list, clock, offered } = await startSale(seatedSale({ limits: { ticketsPerUser: 8 } }));
    await seatRush.stop(); // no processor: holds stay HELD until they expire
    const inventory = seatRush.memory.inventory;
    const fill = await inventory.reserve({
      saleId: seatRush.sale.id,
      userId: 'early',
      reservationId: 'res-early',
      idempotencyKey: 'k-early',
      selection: { kind: 'seats', seatIds: ['A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'A7', 'A8'] },
      holdMs: 1_000,
      requireAdmission: false,
      now: clock.now(),
    });
    expect(fill.ok).toBe(true);
    await list.join({ userId: 'four', size: 4, fallback: 'refuse' });
    await list.join({ userId: 'two', size: 2 });
    await list.join({ userId: 'late', size: 4 });
    clock.advance(1_000);
    await seatRush.sweeper.sweepOnce(); // all eight seats come back
    await list.offerFreed();
    await seatRush.hooks.idle();
    expect(offered.map((o) => [o.userId, o.seatIds, o.adjacent])).toEqual([
      ['four', ['A1', 'A2', 'A3', 'A4'], true],
      ['two', ['A5', 'A6'], true],
    ]);
    // "four" never claims: at the deadline the offer lapses, the sweep frees the seats, "late" gets them
    clock.advance(30_000);
    await seatRush.sweeper.sweepOnce();
    await list.offerFreed();
    await seatRush.hooks.idle();
    expect(offered.at(-1)).toMatchObject({ userId: 'late', seatIds: ['A1', 'A2', 'A3', 'A4'] });
    expect(await list.position('four')).toMatchObject({ entry: { state: 'LAPSED' } });
    expect(await list.claim({ userId: 'four', offerId: offered[0]!.offerId })).toEqual({
      ok: false,
      code: 'OFFER_EXPIRED',
    });
  });

  it('a failed publish of a claim keeps the claimed hold in the outbox; bad input throws', async () => {
    const { seatRush, list, clock } = await startSale(generalSale({ capacity: 1 }), kafkaDown);
    await seatRush.stop();
    const inventory = seatRush.memory.inventory;
    await inventory.reserve({
      saleId: seatRush.sale.id,
      userId: 'early',
      reservationId: 'res-early',
      idempotencyKey: 'k-early',
      selection: { kind: 'quantity', quantity: 1 },
      holdMs: 1_000,
      requireAdmission: false,
      now: clock.now(),
    });
    await list.join({ userId: 'w1', size: 1 });
    await expect(list.join({ userId: 'w1', size: 0 })).rejects.toThrow(ValidationError);
    clock.advance(1_000);
    await inventory.expireDue({ saleId: seatRush.sale.id, now: clock.now(), limit: 10 });
    const [offer] = await list.offerFreed();
    expect(await list.claim({ userId: 'w1', offerId: offer!.offerId })).toMatchObject({
      ok: true,
      code: 'ACCEPTED',
      reservationId: offer!.offerId,
    });
    expect(await inventory.counts(seatRush.sale.id)).toMatchObject({ available: 0, held: 1 });
    const outbox = await inventory.unrelayed({
      saleId: seatRush.sale.id,
      enqueuedUpTo: clock.now(),
      limit: 10,
    });
    expect(outbox.map((entry) => entry.reservationId)).toContain(offer!.offerId);
  });

  it('a round with nobody live skips the offer and makes no ids; otherwise one id per live party at most', async () => {
    const { seatRush, clock } = await startSale(generalSale({ capacity: 3 }));
    await seatRush.stop();
    const { inventory, bus, alerts } = seatRush.memory;
    const saleId = seatRush.sale.id;
    const memoryList = inventory.waitingList();
    const offerCalls: number[] = [];
    const roundsOver = (withLiveCount: boolean) => {
      let made = 0;
      const store: WaitingListStore = {
        ...forwarding(memoryList, ['join', 'leave', 'entry', 'entries', 'claim']),
        offer: (r) => {
          offerCalls.push(r.offerIds.length);
          return memoryList.offer(r);
        },
        ...(withLiveCount ? { liveCount: (s: string) => memoryList.liveCount!(s) } : {}),
      };
      const list = new WaitingList({
        sale: generalSale({ capacity: 3 }),
        store,
        inventory,
        publisher: bus,
        clock,
        alerts,
        offersPerRound: 5,
        newOfferId: () => `offer-${withLiveCount ? 'counted' : 'full'}-${++made}`,
        timer: { setInterval: () => 0, clearInterval: () => undefined },
      });
      return { list, made: () => made };
    };
    const counted = roundsOver(true);
    expect(await counted.list.offerFreed()).toEqual([]);
    expect(offerCalls, 'nobody live: no offer call').toEqual([]);
    expect(counted.made(), 'and no offer id made').toBe(0);
    // sold out: three holds, two waiting parties; one hold runs out
    for (const userId of ['a', 'b', 'c']) {
      await inventory.reserve({
        saleId,
        userId,
        reservationId: `res-${userId}`,
        idempotencyKey: `k-${userId}`,
        selection: { kind: 'quantity', quantity: 1 },
        holdMs: userId === 'a' ? 1_000 : 600_000,
        requireAdmission: false,
        now: clock.now(),
      });
    }
    await counted.list.join({ userId: 'w1', size: 1 });
    await counted.list.join({ userId: 'w2', size: 1 });
    clock.advance(1_000);
    await inventory.expireDue({ saleId, now: clock.now(), limit: 10 });
    expect((await counted.list.offerFreed()).map((o) => [o.userId, o.offerId])).toEqual([
      ['w1', 'offer-counted-1'],
    ]);
    expect(offerCalls, 'two live parties: two ids, not the round of five').toEqual([2]);
    // a store without liveCount: every round offers with a full round of ids
    const full = roundsOver(false);
    expect(await full.list.offerFreed()).toEqual([]);
    expect(offerCalls).toEqual([2, 5]);
    expect(full.made()).toBe(5);
  });
});

import type {
  ChargeOutcome,
  PaymentGateway,
  ReserveResult,
  ReserveStrategy,
  SaleDefinitionInput,
  SaleHookEvent,
  SeatRush,
  WaitingListStore,
} from '@seatrush/core';
import { HookedPublisher, WaitingList } from '@seatrush/core/services';
import { expect } from 'vitest';
import { freshId, generalSaleDefinition, units } from './fixtures';
import { type Check, eventually, type Factory, registerChecks } from './harness';
import {
  admitAll,
  type PipelineParts,
  RecordingAlerts,
  type SaleCheckSpec,
  saleCheck,
  saleRuntime,
} from './sale-runtime';

/** The ports `describeSaleHooks` runs a whole sale on; `waitingList` over the same state as `inventory`. */
export type SaleHooksParts = PipelineParts & { waitingList: WaitingListStore };

/** Declines the charges of chosen users, whatever gateway the adapter brought. */
class DecliningPayments implements PaymentGateway {
  readonly declined = new Set<string>();
  constructor(private readonly inner: PaymentGateway) {}
  async charge(input: Parameters<PaymentGateway['charge']>[0]): Promise<ChargeOutcome> {
    if (this.declined.has(input.userId)) return { ok: false, code: 'DECLINED' };
    return this.inner.charge(input);
  }
  refund(input: Parameters<PaymentGateway['refund']>[0]): Promise<void> {
    return this.inner.refund(input);
  }
}

interface Sale {
  seatRush: SeatRush;
  payments: DecliningPayments;
  alerts: RecordingAlerts;
  /** Every hook fired, in order. */
  seen: SaleHookEvent[];
  admit(users: string[]): Promise<Map<string, string>>;
  reserve(userId: string, token: string | undefined, quantity: number): Promise<ReserveResult>;
  /** Waits for the processor, then for every hook handler. */
  settle(): Promise<void>;
}

async function openSale(
  parts: SaleHooksParts,
  definition: SaleDefinitionInput,
  strategy: ReserveStrategy = 'atomic',
): Promise<Sale> {
  const payments = new DecliningPayments(parts.payments);
  const alerts = new RecordingAlerts(parts.alerts);
  const seatRush = saleRuntime(parts, definition, { strategy, payments, alerts });
  const seen: SaleHookEvent[] = [];
  seatRush.hooks.onAny((event) => {
    seen.push(event);
  });
  await seatRush.start();
  return {
    seatRush,
    payments,
    alerts,
    seen,
    admit: (users) => admitAll(seatRush, users),
    reserve(userId, token, quantity) {
      return seatRush.reservations.reserve({
        userId,
        idempotencyKey: freshId('key'),
        selection: units(quantity),
        admissionToken: token,
      });
    },
    async settle() {
      await seatRush.drain(30_000);
      await seatRush.hooks.idle();
    },
  };
}

/** A hooks check on a fresh sale of `spec.sale`, under the strategy `spec.open` (atomic unless given). */
function hooksCheck(
  spec: SaleCheckSpec<ReserveStrategy>,
  body: (sale: Sale, parts: SaleHooksParts) => Promise<void>,
): Check<SaleHooksParts> {
  return saleCheck(openSale, spec, body);
}

const typesOf = (seen: SaleHookEvent[], user?: string) =>
  seen.filter((e) => !user || !('userId' in e) || e.userId === user).map((e) => e.type);

/** Every check of `describeSaleHooks`, exported so a suite's own tests can run them one by one. */
export const saleHooksChecks: readonly Check<SaleHooksParts>[] = [
  ...(['atomic', 'lock'] as const).map((strategy) =>
    hooksCheck(
      {
        category: 'behaviour',
        name: `${strategy} strategy: admitted → held → sold-out → confirmed, with the sale's facts`,
        sale: (saleId) => generalSaleDefinition(saleId, { capacity: 2 }),
        open: strategy,
      },
      async ({ admit, reserve, settle, seen, seatRush }) => {
        const tokens = await admit(['alice']);
        const result = await reserve('alice', tokens.get('alice'), 2);
        expect(result.ok).toBe(true);
        await settle();
        expect(typesOf(seen)).toEqual(['admitted', 'held', 'sold-out', 'confirmed']);
        const id = result.ok ? result.reservationId : '';
        expect(seen[1]).toMatchObject({
          type: 'held',
          saleId: seatRush.sale.id,
          reservationId: id,
          userId: 'alice',
          quantity: 2,
          amountCents: 10_000,
        });
        expect(seen[3]).toMatchObject({ type: 'confirmed', reservationId: id, amountCents: 10_000 });
      },
    ),
  ),
  hooksCheck(
    {
      category: 'behaviour',
      name: 'a declined payment fires failed then restocked; an expired hold fires expired; a release fires released',
      sale: (saleId) => generalSaleDefinition(saleId, { capacity: 1, holdMs: 60_000 }),
    },
    async ({ admit, reserve, settle, seen, payments, seatRush }, parts) => {
      payments.declined.add('bob');
      const tokens = await admit(['bob', 'carol', 'dave']);
      expect((await reserve('bob', tokens.get('bob'), 1)).ok).toBe(true);
      await settle();
      expect(typesOf(seen).slice(3)).toEqual(['held', 'sold-out', 'failed', 'restocked']);
      expect(seen.at(-2)).toMatchObject({
        type: 'failed',
        userId: 'bob',
        reason: 'PAYMENT_DECLINED',
        compensated: true,
      });
      // carol holds without paying (no processor) until her hold runs out
      await seatRush.stop();
      const held = await reserve('carol', tokens.get('carol'), 1);
      expect(held.ok).toBe(true);
      await seatRush.hooks.idle();
      parts.clock.advance(60_000);
      await seatRush.sweeper.sweepOnce();
      await seatRush.hooks.idle();
      expect(typesOf(seen).slice(-4)).toEqual(['held', 'sold-out', 'expired', 'restocked']);
      expect(seen.find((e) => e.type === 'expired')).toMatchObject({ userId: 'carol' });
      const again = await reserve('dave', tokens.get('dave'), 1);
      if (!again.ok) throw new Error(again.code);
      await seatRush.hooks.idle();
      await seatRush.reservations.releaseHold({ userId: 'dave', reservationId: again.reservationId });
      await seatRush.hooks.idle();
      // both come from background readings (the hold's owner, the counts): either may be first
      expect(new Set(typesOf(seen).slice(-2))).toEqual(new Set(['released', 'restocked']));
      expect(seen.find((e) => e.type === 'released')).toMatchObject({
        userId: 'dave',
        reservationId: again.reservationId,
        quantity: 1,
      });
    },
  ),
  hooksCheck(
    {
      category: 'behaviour',
      name: 'a handler that throws never breaks the sale: the buyer still pays and HOOK_FAILED is alerted',
      sale: (saleId) => generalSaleDefinition(saleId, { capacity: 3 }),
    },
    async ({ admit, reserve, settle, seatRush, alerts }) => {
      for (const name of ['admitted', 'held', 'confirmed'] as const) {
        seatRush.hooks.on(name, () => {
          throw new Error(`${name} handler down`);
        });
      }
      const tokens = await admit(['erin']);
      const result = await reserve('erin', tokens.get('erin'), 1);
      await settle();
      expect(await seatRush.reservation(result.ok ? result.reservationId : '')).toMatchObject({
        status: 'CONFIRMED',
      });
      await eventually(() => {
        expect(alerts.alerts.filter((a) => a.code === 'HOOK_FAILED')).toHaveLength(3);
      });
    },
  ),
  hooksCheck(
    {
      category: 'concurrency',
      name: '60 buyers racing for 10 units: one held and one confirmed hook per sale made, one sold-out',
      sale: (saleId) => generalSaleDefinition(saleId, { capacity: 10, ticketsPerUser: 1 }),
    },
    async ({ admit, reserve, settle, seen }) => {
      const users = Array.from({ length: 60 }, (_, i) => `buyer${i}`);
      const tokens = await admit(users);
      const results = await Promise.all(users.map((user) => reserve(user, tokens.get(user), 1)));
      await settle();
      const accepted = results.filter((r) => r.ok).map((r) => (r.ok ? r.reservationId : ''));
      expect(accepted).toHaveLength(10);
      const ids = (type: string) =>
        seen
          .filter((e) => e.type === type)
          .map((e) => ('reservationId' in e ? e.reservationId : ''))
          .sort();
      expect(ids('held')).toEqual([...accepted].sort());
      expect(ids('confirmed')).toEqual([...accepted].sort());
      expect(typesOf(seen).filter((t) => t === 'sold-out')).toHaveLength(1);
      expect(typesOf(seen).filter((t) => t === 'admitted')).toHaveLength(60);
    },
  ),
  hooksCheck(
    {
      category: 'behaviour',
      name: 'waiting list end to end: a declined payment after sell-out is offered, claimed and paid by the first in line',
      sale: (saleId) => generalSaleDefinition(saleId, { capacity: 1 }),
    },
    async ({ admit, reserve, settle, seen, payments, seatRush }, parts) => {
      const list = new WaitingList({
        sale: seatRush.sale,
        store: parts.waitingList,
        inventory: parts.inventory,
        publisher: new HookedPublisher({
          publisher: parts.publisher,
          hooks: seatRush.hooks,
          inventory: parts.inventory,
        }),
        clock: parts.clock,
        alerts: parts.alerts,
        hooks: seatRush.hooks,
        claimMs: 30_000,
        timer: { setInterval: () => 0, clearInterval: () => undefined },
      });
      list.start();
      try {
        payments.declined.add('first');
        expect(await list.join({ userId: 'wait1', size: 1 })).toMatchObject({ ok: true });
        expect(await list.join({ userId: 'wait2', size: 1 })).toMatchObject({ ok: true });
        const tokens = await admit(['first']);
        expect((await reserve('first', tokens.get('first'), 1)).ok).toBe(true);
        await settle();
        await eventually(async () => {
          await seatRush.hooks.idle();
          expect(seen.filter((e) => e.type === 'offered')).toHaveLength(1);
        });
        const offer = seen.find((e) => e.type === 'offered');
        if (offer?.type !== 'offered') throw new Error('no offer');
        expect(offer).toMatchObject({ userId: 'wait1', quantity: 1 });
        expect(await list.claim({ userId: 'wait2', offerId: offer.offerId })).toEqual({
          ok: false,
          code: 'NOT_OFFERED',
        });
        expect(await list.claim({ userId: 'wait1', offerId: offer.offerId })).toMatchObject({ ok: true });
        await settle();
        expect(await seatRush.reservation(offer.offerId)).toMatchObject({
          status: 'CONFIRMED',
          userId: 'wait1',
        });
        expect(await parts.inventory.counts(seatRush.sale.id)).toMatchObject({
          available: 0,
          held: 0,
          confirmed: 1,
        });
      } finally {
        await list.stop();
      }
    },
  ),
];

/**
 * Registers the host-hooks conformance suite: a whole sale over the given ports, checking that
 * the services' facts reach the hooks (admitted, held, confirmed, failed, expired, released,
 * sold-out, restocked, offered), that a failing handler never breaks the sale, and that racing
 * buyers get exactly one hook per fact.
 *
 * @param name what is under test, e.g. "Redis stores"
 * @param factory fresh, isolated ports for each test
 */
export function describeSaleHooks(name: string, factory: Factory<SaleHooksParts>): void {
  registerChecks(`Sale hooks conformance: ${name}`, factory, saleHooksChecks);
}

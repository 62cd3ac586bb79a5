import {
  type ChargeOutcome,
  type DomainEvent,
  type EventPublisher,
  type InventoryStore,
  type PaymentGateway,
  PublishError,
  type ReserveResult,
  type ReserveStrategy,
  type SaleDefinitionInput,
  type SeatRush,
  type SeatRushLoops,
  type Selection,
} from '@seatrush/core';
import { expect } from 'vitest';
import { assignedSaleDefinition, freshId, generalSaleDefinition, units } from './fixtures';
import { type Check, eventually, type Factory, registerChecks, sleep } from './harness';
import {
  admitAll,
  type PipelineParts,
  RecordingAlerts,
  type SaleCheckSpec,
  SUITE_RETRY,
  saleCheck,
  saleRuntime,
} from './sale-runtime';

/** An operational failure of the scripted gateway: thrown, so the processor retries it. */
class GatewayOutage extends Error {
  readonly code = 'PAYMENT_UNAVAILABLE';
}

/**
 * Wraps the factory's gateway so a check can decline or fail the charges of chosen users, whatever
 * gateway the adapter brought; every approved call reaches the real one.
 */
class ScriptedPayments implements PaymentGateway {
  readonly declined = new Set<string>();
  /** userId → charges still to fail. */
  readonly failing = new Map<string, number>();
  /** reservationId → idempotency keys it was charged with (approved calls only). */
  readonly charged = new Map<string, Set<string>>();
  calls = 0;

  constructor(private readonly inner: PaymentGateway) {}

  async charge(input: Parameters<PaymentGateway['charge']>[0]): Promise<ChargeOutcome> {
    this.calls += 1;
    const failures = this.failing.get(input.userId) ?? 0;
    if (failures > 0) {
      this.failing.set(input.userId, failures - 1);
      throw new GatewayOutage(`payment gateway down for ${input.userId}`);
    }
    if (this.declined.has(input.userId)) return { ok: false, code: 'DECLINED' };
    const outcome = await this.inner.charge(input);
    if (outcome.ok) {
      const keys = this.charged.get(input.reservationId) ?? new Set<string>();
      keys.add(input.idempotencyKey);
      this.charged.set(input.reservationId, keys);
    }
    return outcome;
  }

  refund(input: Parameters<PaymentGateway['refund']>[0]): Promise<void> {
    return this.inner.refund(input);
  }
}

/** Wraps the factory's publisher so a check can make the next publishes fail. */
class FlakyPublisher implements EventPublisher {
  failNext = 0;
  readonly published: DomainEvent[] = [];

  constructor(private readonly inner: EventPublisher) {}

  async publish(events: DomainEvent[]): Promise<void> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new PublishError('broker unavailable (scripted by the conformance suite)');
    }
    await this.inner.publish(events);
    this.published.push(...events);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

interface Sale {
  seatRush: SeatRush;
  parts: PipelineParts;
  payments: ScriptedPayments;
  publisher: FlakyPublisher;
  alerts: RecordingAlerts;
  /** Joins and admits `users`; answers their admission tokens. */
  admit(users: string[]): Promise<Map<string, string>>;
  /**
   * Reserves as the API tells a buyer to: asks again with the same key while the answer is
   * OUTCOME_UNKNOWN (the store did not answer within `answerWithinMs`: the hold may have been
   * made) or BUSY (the lock stayed taken: nothing changed). On real servers under load a crowd of
   * concurrent requests gets these answers; the suite checks what the buyer ends up with.
   */
  reserve(
    userId: string,
    token: string | undefined,
    selection: Selection,
    idempotencyKey?: string,
  ): Promise<ReserveResult>;
  counts(): ReturnType<InventoryStore['counts']>;
  /**
   * Waits until every hold is processed. A hold whose request was answered OUTCOME_UNKNOWN was
   * never handed over to the pipeline: the relay loop takes it once it is `RELAY_AFTER_MS` old,
   * so the manual clock is moved on that far first.
   */
  drain(): Promise<void>;
}

/** How old an outbox entry is before the relay loop publishes it (the relay's default, stated). */
const RELAY_AFTER_MS = 1_000;

/** How many times a buyer asks in all before the suite takes an OUTCOME_UNKNOWN or BUSY as final. */
const ASKS = 10;

const drainTimeout = 30_000;

async function openSale(
  parts: PipelineParts,
  definition: SaleDefinitionInput,
  options: { strategy?: ReserveStrategy; loops?: SeatRushLoops } = {},
): Promise<Sale> {
  const payments = new ScriptedPayments(parts.payments);
  const publisher = new FlakyPublisher(parts.publisher);
  const alerts = new RecordingAlerts(parts.alerts);
  const seatRush = saleRuntime(parts, definition, {
    strategy: options.strategy ?? 'atomic',
    payments,
    alerts,
    publisher,
    relay: { relayAfterMs: RELAY_AFTER_MS },
    ...(options.loops && { loops: options.loops }),
  });
  await seatRush.start();
  let unknownOutcomes = 0;
  return {
    seatRush,
    parts,
    payments,
    publisher,
    alerts,
    admit: (users) => admitAll(seatRush, users),
    async reserve(userId, token, selection, idempotencyKey = freshId('key')) {
      for (let ask = 1; ; ask++) {
        const result = await seatRush.reservations.reserve({
          userId,
          idempotencyKey,
          selection,
          admissionToken: token,
        });
        if (result.ok || (result.code !== 'OUTCOME_UNKNOWN' && result.code !== 'BUSY')) return result;
        if (result.code === 'OUTCOME_UNKNOWN') unknownOutcomes += 1;
        if (ask >= ASKS) return result;
        await sleep(20);
      }
    },
    counts: () => parts.inventory.counts(seatRush.sale.id),
    async drain() {
      if (unknownOutcomes > 0) {
        parts.clock.advance(RELAY_AFTER_MS);
        await seatRush.relay.relayDue();
      }
      await seatRush.drain(drainTimeout);
    },
  };
}

/** A pipeline check on a fresh sale of `spec.sale`, opened with `spec.open`. */
function pipelineCheck(
  spec: SaleCheckSpec<{ strategy?: ReserveStrategy; loops?: SeatRushLoops }>,
  body: (sale: Sale, parts: PipelineParts) => Promise<void>,
): Check<PipelineParts> {
  return saleCheck(openSale, spec, body);
}

function acceptedId(result: ReserveResult): string {
  expect(result, 'expected the reservation to be accepted').toMatchObject({ ok: true, code: 'ACCEPTED' });
  return result.ok ? result.reservationId : '';
}

/** The sale most checks run: general admission, 5 units. */
const fiveUnits = (saleId: string) => generalSaleDefinition(saleId, { capacity: 5 });

/** Every check of `describePipeline`, exported so a suite's own tests can run them one by one. */
export const pipelineChecks: readonly Check<PipelineParts>[] = [
  pipelineCheck(
    {
      category: 'behaviour',
      name: 'join → admit → reserve → publish → process → pay → CONFIRMED, consistent with the source of truth',
      sale: (saleId) => assignedSaleDefinition(saleId),
    },
    async ({ seatRush, admit, reserve, drain, payments, counts }, parts) => {
      const tokens = await admit(['alice']);
      const id = acceptedId(
        await reserve('alice', tokens.get('alice'), { kind: 'seats', seatIds: ['A1', 'B2'] }),
      );
      await drain();
      expect(await parts.repository.get(id)).toMatchObject({ status: 'CONFIRMED', seatIds: ['A1', 'B2'] });
      expect(payments.charged.get(id)?.size).toBe(1);
      const states = await parts.inventory.seatStates(seatRush.sale.id);
      expect([states.A1, states.B2, states.A2]).toEqual(['CONFIRMED', 'CONFIRMED', 'AVAILABLE']);
      expect(await counts()).toMatchObject({ available: 8, held: 0, confirmed: 2 });
      expect((await seatRush.reconciler.reconcile(seatRush.sale.id)).consistent).toBe(true);
    },
  ),
  pipelineCheck(
    {
      category: 'behaviour',
      name: 'refuses a buyer without an admission and changes nothing',
      sale: fiveUnits,
    },
    async ({ reserve, counts }) => {
      expect(await reserve('mallory', undefined, units(1))).toMatchObject({
        ok: false,
        code: 'NOT_ADMITTED',
      });
      expect(await reserve('mallory', 'forged.token', units(1))).toMatchObject({
        ok: false,
        code: 'NOT_ADMITTED',
      });
      expect(await counts()).toMatchObject({ available: 5, held: 0 });
    },
  ),
  pipelineCheck(
    {
      category: 'behaviour',
      name: 'keeps an acknowledged hold when the publish fails: the outbox relays it and it is processed',
      sale: fiveUnits,
    },
    async ({ seatRush, admit, reserve, drain, publisher, counts }, parts) => {
      const tokens = await admit(['alice']);
      publisher.failNext = 1;
      const id = acceptedId(await reserve('alice', tokens.get('alice'), units(2), 'alice-key'));
      expect(await counts()).toMatchObject({ available: 3, held: 2 });
      // the double submit answers the same hold: durable, never undone by the failed publish
      expect(await reserve('alice', tokens.get('alice'), units(2), 'alice-key')).toMatchObject({
        ok: true,
        replayed: true,
        reservationId: id,
      });
      parts.clock.advance(RELAY_AFTER_MS);
      expect(await seatRush.relay.relayDue()).toBe(1);
      await drain();
      expect(await parts.repository.get(id)).toMatchObject({ status: 'CONFIRMED' });
      expect(await counts()).toMatchObject({ available: 3, confirmed: 2 });
    },
  ),
  pipelineCheck(
    {
      category: 'behaviour',
      name: 'compensates a declined payment: the units go back on sale',
      sale: fiveUnits,
    },
    async ({ admit, reserve, drain, payments, counts }, parts) => {
      const tokens = await admit(['alice']);
      payments.declined.add('alice');
      const id = acceptedId(await reserve('alice', tokens.get('alice'), units(2)));
      await drain();
      const row = await parts.repository.get(id);
      expect(['FAILED', 'COMPENSATED']).toContain(row?.status);
      expect(row?.failureReason).toBe('PAYMENT_DECLINED');
      expect(await counts()).toMatchObject({ available: 5, held: 0, confirmed: 0 });
      expect(payments.charged.get(id)).toBeUndefined();
    },
  ),
  pipelineCheck(
    {
      category: 'behaviour',
      name: 'retries a payment outage and charges once; after the last retry compensates and alerts',
      sale: fiveUnits,
    },
    async ({ admit, reserve, drain, payments, alerts, counts }, parts) => {
      const tokens = await admit(['alice', 'bob']);
      payments.failing.set('alice', SUITE_RETRY.maxAttempts - 1);
      payments.failing.set('bob', 1_000);
      const recovered = acceptedId(await reserve('alice', tokens.get('alice'), units(1)));
      const doomed = acceptedId(await reserve('bob', tokens.get('bob'), units(1)));
      await drain();
      expect(await parts.repository.get(recovered)).toMatchObject({ status: 'CONFIRMED' });
      expect(payments.charged.get(recovered)?.size).toBe(1);
      const failed = await parts.repository.get(doomed);
      expect(['FAILED', 'COMPENSATED']).toContain(failed?.status);
      expect(payments.charged.get(doomed)).toBeUndefined();
      await eventually(() =>
        expect(
          alerts.alerts.some((a) => a.severity === 'critical' && a.context.reservationId === doomed),
        ).toBe(true),
      );
      expect(await counts()).toMatchObject({ available: 4, held: 0, confirmed: 1 });
    },
  ),
  pipelineCheck(
    {
      category: 'expiry',
      name: 'expires a hold that was not paid in time; a late processor fails it without charging',
      sale: fiveUnits,
      open: {
        loops: { processor: false },
      },
    },
    async ({ seatRush, admit, reserve, payments, counts }, parts) => {
      const tokens = await admit(['alice']);
      const id = acceptedId(await reserve('alice', tokens.get('alice'), units(2)));
      expect(await counts()).toMatchObject({ available: 3, held: 2 });
      parts.clock.advance(seatRush.sale.holdMs);
      expect((await seatRush.sweeper.sweepOnce()).expired).toHaveLength(1);
      expect(await counts()).toMatchObject({ available: 5, held: 0 });
      const late = parts.consumer(freshId('late-processor'));
      await late.start({
        types: ['ReservationRequested'],
        handler: seatRush.processor,
        retry: SUITE_RETRY,
      });
      try {
        await eventually(async () => {
          const row = await parts.repository.get(id);
          expect(['FAILED', 'COMPENSATED']).toContain(row?.status);
          expect(row?.failureReason).toBe('HOLD_EXPIRED');
        }, drainTimeout);
      } finally {
        await late.stop();
      }
      expect(payments.calls).toBe(0);
      expect(await counts()).toMatchObject({ available: 5, held: 0, confirmed: 0 });
    },
  ),
  pipelineCheck(
    {
      category: 'concurrency',
      name: 'processes one reservation and one charge for 20 concurrent requests with the same key',
      sale: fiveUnits,
    },
    async ({ admit, reserve, drain, payments, counts }, parts) => {
      const tokens = await admit(['alice']);
      const results = await Promise.all(
        Array.from({ length: 20 }, () => reserve('alice', tokens.get('alice'), units(1), 'the-same-key')),
      );
      const ids = new Set(results.map(acceptedId));
      expect(ids.size).toBe(1);
      expect(results.filter((r) => r.ok && !r.replayed)).toHaveLength(1);
      await drain();
      const [id] = [...ids];
      expect(await parts.repository.get(id as string)).toMatchObject({ status: 'CONFIRMED' });
      expect(payments.charged.size).toBe(1);
      expect(await counts()).toMatchObject({ available: 4, confirmed: 1 });
    },
  ),
  ...(['atomic', 'lock'] as const).map((strategy) =>
    pipelineCheck(
      {
        category: 'concurrency',
        name: `sells exactly the stock to 200 concurrent buyers of 40 units (${strategy} strategy), each request final once`,
        timeoutMs: 90_000,
        sale: (saleId) => generalSaleDefinition(saleId, { capacity: 40, ticketsPerUser: 1 }),
        open: { strategy },
      },
      async ({ seatRush, admit, reserve, drain, payments, counts }, parts) => {
        const users = Array.from({ length: 200 }, (_, i) => `buyer-${i}`);
        const tokens = await admit(users);
        const results = await Promise.all(users.map((u) => reserve(u, tokens.get(u), units(1))));
        const accepted = results.flatMap((r) => (r.ok ? [r.reservationId] : []));
        expect(accepted).toHaveLength(40);
        // The lock strategy may also answer BUSY when the lock stayed taken through every ask.
        const refusals = results.flatMap((r) => (r.ok ? [] : [r.code]));
        expect(refusals.filter((code) => code !== 'SOLD_OUT' && code !== 'BUSY')).toEqual([]);
        await drain();
        for (const id of accepted) expect((await parts.repository.get(id))?.status, id).toBe('CONFIRMED');
        expect([...payments.charged.values()].every((keys) => keys.size === 1)).toBe(true);
        expect(payments.charged.size).toBe(40);
        expect(await counts()).toMatchObject({ available: 0, held: 0, confirmed: 40 });
        expect(await parts.repository.totals(seatRush.sale.id)).toMatchObject({
          confirmedUnits: 40,
          pendingUnits: 0,
        });
      },
    ),
  ),
  pipelineCheck(
    {
      category: 'concurrency',
      name: 'never sells a seat twice to 200 buyers fighting over 10 seats with 1 in 4 payments declined',
      timeoutMs: 90_000,
      sale: (saleId) => assignedSaleDefinition(saleId, { ticketsPerUser: 1 }),
    },
    async ({ seatRush, admit, reserve, drain, payments, counts }, parts) => {
      const seatIds = ['A1', 'A2', 'A3', 'A4', 'A5', 'B1', 'B2', 'B3', 'B4', 'B5'];
      const users = Array.from({ length: 200 }, (_, i) => `fan-${i}`);
      for (const [i, u] of users.entries()) if (i % 4 === 0) payments.declined.add(u);
      const tokens = await admit(users);
      const results = await Promise.all(
        users.map((u, i) =>
          reserve(u, tokens.get(u), { kind: 'seats', seatIds: [seatIds[i % 10] as string] }),
        ),
      );
      const accepted = results.flatMap((r) => (r.ok ? [r.reservationId] : []));
      expect(accepted, 'one winner per seat').toHaveLength(10);
      expect(results.filter((r) => !r.ok && r.code !== 'SEAT_TAKEN' && r.code !== 'SOLD_OUT')).toEqual([]);
      await drain();
      const rows = await Promise.all(accepted.map((id) => parts.repository.get(id)));
      expect(rows.every((row) => ['CONFIRMED', 'FAILED', 'COMPENSATED'].includes(row?.status ?? ''))).toBe(
        true,
      );
      const sold = rows.filter((row) => row?.status === 'CONFIRMED').flatMap((row) => row?.seatIds ?? []);
      expect(new Set(sold).size, 'no seat sold twice').toBe(sold.length);
      const states = await parts.inventory.seatStates(seatRush.sale.id);
      expect(
        Object.keys(states)
          .filter((id) => states[id] === 'CONFIRMED')
          .sort(),
      ).toEqual([...sold].sort());
      expect(await counts()).toMatchObject({
        held: 0,
        confirmed: sold.length,
        available: 10 - sold.length,
      });
    },
  ),
];

/**
 * Registers the end-to-end suite: a whole sale over `createSeatRush` on the factory's ports — the
 * happy path, every compensation of docs/design.md §Failure handling (publish fails, payment
 * declined, gateway outage then dead letter, hold expired), duplicate requests, and hundreds of
 * concurrent buyers under both strategies with the invariants checked against the source of truth.
 */
export function describePipeline(name: string, factory: Factory<PipelineParts>): void {
  registerChecks(`Pipeline conformance: ${name}`, factory, pipelineChecks);
}

import { describe, expect, it, vi } from 'vitest';
import { type DomainEvent, InfrastructureError, type ReservationRepository } from '../../src';
import type { DeadLetter } from '../../src/ports';
import { ReservationProcessor } from '../../src/subpaths/services';
import { generalSale } from './fixtures';
import { servicesFor, withOverrides } from './harness';

/** Services with `users` admitted and one reservation each (1 unit), not processed yet. */
async function withReservations(users: string[], capacity = 10) {
  const s = await servicesFor(generalSale({ capacity }));
  const tokens = await s.admit(...users);
  const ids: string[] = [];
  for (const userId of users) {
    const result = await s.reservations.reserve({
      userId,
      idempotencyKey: `key-${userId}`,
      selection: { kind: 'quantity', quantity: 1 },
      admissionToken: tokens[userId],
    });
    if (!result.ok) throw new Error(`reserve failed: ${result.code}`);
    ids.push(result.reservationId);
  }
  return { ...s, ids, tokens };
}

/** A `ReservationRequested` the consumer gave up on after five attempts with `code`. */
function deadLetter(event: DomainEvent, code: string, message: string): DeadLetter {
  return { event, raw: '{}', error: { code, message }, attempts: 5, source: 'memory:test:0' };
}

/** The reservation ended COMPENSATED for `failureReason`, its unit back on sale. */
async function expectCompensated(
  s: Awaited<ReturnType<typeof withReservations>>,
  id: string,
  failureReason: string,
): Promise<void> {
  expect(await s.repository.get(id)).toMatchObject({ status: 'COMPENSATED', failureReason });
  expect(await s.inventory.counts(s.saleId)).toMatchObject({ available: 10, held: 0, confirmed: 0 });
}

const resultsOf = (events: DomainEvent[], id: string) =>
  events.filter(
    (e) =>
      (e.type === 'ReservationConfirmed' || e.type === 'ReservationFailed') && e.payload.reservationId === id,
  );

describe('ReservationProcessor', () => {
  it('persists, charges, confirms and publishes ReservationConfirmed', async () => {
    const s = await withReservations(['alice']);
    const id = s.ids[0]!;
    await s.processor.handle(s.requested(id));
    expect(await s.repository.get(id)).toMatchObject({
      status: 'CONFIRMED',
      paymentId: 'pay_1',
      amountCents: 5_000,
    });
    expect(await s.inventory.getHold(s.saleId, id)).toMatchObject({ status: 'CONFIRMED' });
    expect(await s.inventory.counts(s.saleId)).toMatchObject({ available: 9, held: 0, confirmed: 1 });
    expect(s.payments.charges()).toEqual([
      expect.objectContaining({ reservationId: id, idempotencyKey: id }),
    ]);
    expect(resultsOf(s.bus.published(), id)).toEqual([
      expect.objectContaining({
        type: 'ReservationConfirmed',
        payload: expect.objectContaining({ paymentId: 'pay_1' }),
      }),
    ]);
  });

  it('ignores events other than ReservationRequested', async () => {
    const s = await withReservations(['alice']);
    const audit = s.bus.published().find((e) => e.type === 'StockChanged')!;
    await s.processor.handle(audit);
    expect(s.repository.rowsOf(s.saleId)).toEqual([]);
  });

  it('fails a declined payment, gives the unit back and publishes ReservationFailed (compensated)', async () => {
    const s = await withReservations(['alice']);
    const id = s.ids[0]!;
    s.payments.decline();
    await s.processor.handle(s.requested(id));
    await expectCompensated(s, id, 'PAYMENT_DECLINED');
    expect(resultsOf(s.bus.published(), id)).toEqual([
      expect.objectContaining({
        type: 'ReservationFailed',
        payload: expect.objectContaining({ reason: 'PAYMENT_DECLINED', compensated: true }),
      }),
    ]);
    expect(
      s.bus.published().some((e) => e.type === 'StockChanged' && e.payload.reason === 'COMPENSATED'),
    ).toBe(true);
    expect(s.payments.charges()).toEqual([]);
  });

  it('rethrows when the gateway is down, and charges once when the retry succeeds', async () => {
    const s = await withReservations(['alice']);
    const id = s.ids[0]!;
    s.payments.fail({ times: 1 });
    await expect(s.processor.handle(s.requested(id))).rejects.toMatchObject({ code: 'PAYMENT_UNAVAILABLE' });
    expect(await s.repository.get(id)).toMatchObject({ status: 'PAYMENT_PENDING' });
    await s.processor.handle(s.requested(id));
    expect(await s.repository.get(id)).toMatchObject({ status: 'CONFIRMED' });
    expect(s.payments.charges()).toHaveLength(1);
  });

  it('fails a reservation whose hold expired before payment, without charging', async () => {
    const s = await withReservations(['alice']);
    const id = s.ids[0]!;
    s.clock.advance(60_000);
    await s.processor.handle(s.requested(id));
    expect(s.payments.chargeCalls).toBe(0);
    await expectCompensated(s, id, 'HOLD_EXPIRED');
    expect(resultsOf(s.bus.published(), id)[0]).toMatchObject({
      type: 'ReservationFailed',
      payload: { reason: 'HOLD_EXPIRED', compensated: true },
    });
  });

  it('refunds a charge when the hold expired during the payment', async () => {
    const s = await withReservations(['alice']);
    const id = s.ids[0]!;
    const charge = s.payments.charge.bind(s.payments);
    vi.spyOn(s.payments, 'charge').mockImplementation(async (input) => {
      const outcome = await charge(input);
      s.clock.advance(120_000); // a very slow payment page
      return outcome;
    });
    await s.processor.handle(s.requested(id));
    expect(s.payments.charges()).toHaveLength(1);
    expect(s.payments.refunds()).toEqual([
      expect.objectContaining({ paymentId: 'pay_1', reason: 'HOLD_EXPIRED', idempotencyKey: `refund-${id}` }),
    ]);
    await expectCompensated(s, id, 'HOLD_EXPIRED');
  });

  it('refunds what a crashed attempt charged when the hold has expired by the replay', async () => {
    const s = await withReservations(['alice']);
    const id = s.ids[0]!;
    const charge = s.payments.charge.bind(s.payments);
    const timeout = vi.spyOn(s.payments, 'charge').mockImplementationOnce(async (input) => {
      await charge(input); // the gateway charged, but the answer never came back
      throw new InfrastructureError('payment gateway timed out');
    });
    await expect(s.processor.handle(s.requested(id))).rejects.toThrow('timed out');
    timeout.mockRestore();
    s.clock.advance(120_000); // the consumer was down for a while: the hold expired meanwhile
    await s.processor.handle(s.requested(id));
    expect(s.payments.charges()).toHaveLength(1);
    expect(s.payments.refunds()).toEqual([
      expect.objectContaining({ paymentId: 'pay_1', reason: 'HOLD_EXPIRED' }),
    ]);
    await expectCompensated(s, id, 'HOLD_EXPIRED');
  });

  it('does not charge a reservation whose hold expired before any payment attempt', async () => {
    const s = await withReservations(['alice']);
    const id = s.ids[0]!;
    s.clock.advance(120_000);
    await s.processor.handle(s.requested(id));
    await s.processor.handle(s.requested(id)); // a replay of the failed one changes nothing
    expect(s.payments.chargeCalls).toBe(0);
    expect(s.payments.refunds()).toEqual([]);
  });

  it('extends a hold about to expire before charging, so a slow payment keeps the unit', async () => {
    const s = await withReservations(['alice']);
    const id = s.ids[0]!;
    s.clock.advance(50_000); // 10 s left, less than the 30 s payment grace
    const charge = s.payments.charge.bind(s.payments);
    vi.spyOn(s.payments, 'charge').mockImplementation(async (input) => {
      s.clock.advance(20_000); // past the original expiry, within the grace
      return charge(input);
    });
    await s.processor.handle(s.requested(id));
    expect(await s.repository.get(id)).toMatchObject({ status: 'CONFIRMED' });
  });

  it('fails without charging when the buyer released the hold first', async () => {
    const s = await withReservations(['alice']);
    const id = s.ids[0]!;
    await s.reservations.releaseHold({ userId: 'alice', reservationId: id });
    await s.processor.handle(s.requested(id));
    expect(s.payments.chargeCalls).toBe(0);
    await expectCompensated(s, id, 'HOLD_RELEASED');
  });

  it('never inserts or charges twice when an event is replayed, and republishes the same result', async () => {
    const s = await withReservations(['alice']);
    const id = s.ids[0]!;
    const insertMany = vi.spyOn(s.repository, 'insertMany');
    await s.processor.handle(s.requested(id));
    await s.processor.handle(s.requested(id));
    expect(await insertMany.mock.results[1]!.value).toEqual({ inserted: [], existing: [id] });
    expect(s.repository.rowsOf(s.saleId)).toHaveLength(1);
    expect(s.payments.charges()).toHaveLength(1);
    const results = resultsOf(s.bus.published(), id);
    expect(results).toHaveLength(2);
    // the same event id: downstream consumers deduplicate the replay
    expect(results[0]!.eventId).toBe(results[1]!.eventId);
    expect(await s.inventory.counts(s.saleId)).toMatchObject({ confirmed: 1, held: 0 });
  });

  it('finishes a reservation after a crash between the confirm and the result event', async () => {
    const s = await withReservations(['alice']);
    const id = s.ids[0]!;
    s.bus.failNextPublishes(1); // the ReservationConfirmed publish fails: the "crash"
    await expect(s.processor.handle(s.requested(id))).rejects.toMatchObject({ code: 'PUBLISH_FAILED' });
    await s.processor.handle(s.requested(id));
    expect(await s.repository.get(id)).toMatchObject({ status: 'CONFIRMED' });
    expect(s.payments.charges()).toHaveLength(1);
    expect(resultsOf(s.bus.published(), id)).toEqual([
      expect.objectContaining({ type: 'ReservationConfirmed' }),
    ]);
  });

  it('on a dead letter gives the unit back, fails the reservation and alerts an operator', async () => {
    const s = await withReservations(['alice']);
    const id = s.ids[0]!;
    await s.processor.onDeadLetter(deadLetter(s.requested(id), 'PAYMENT_UNAVAILABLE', 'gateway down'));
    await expectCompensated(s, id, 'PROCESSING_FAILED');
    expect(s.alerts.byCode('DEAD_LETTER')).toEqual([
      expect.objectContaining({
        severity: 'critical',
        context: expect.objectContaining({
          reservationId: id,
          compensated: true,
          recorded: true,
          paymentAttempted: false,
          attempts: 5,
        }),
      }),
    ]);
    expect(resultsOf(s.bus.published(), id)[0]).toMatchObject({ payload: { reason: 'PROCESSING_FAILED' } });
  });

  it('on a dead letter while the database is down still gives the unit back, and says so in the alert', async () => {
    const s = await withReservations(['alice']);
    const id = s.ids[0]!;
    const down = async () => {
      throw new InfrastructureError('database unreachable');
    };
    const repository = withOverrides<ReservationRepository>(s.repository, {
      insertMany: down,
      get: down,
      transition: down,
    });
    const processor = new ReservationProcessor({ ...s, repository, publisher: s.bus });
    await processor.onDeadLetter(deadLetter(s.requested(id), 'INFRASTRUCTURE', 'database unreachable'));
    expect(await s.inventory.counts(s.saleId)).toMatchObject({ available: 10, held: 0 });
    expect(s.alerts.byCode('DEAD_LETTER')).toEqual([
      expect.objectContaining({
        context: expect.objectContaining({
          compensated: true,
          recorded: false,
          recordError: { code: 'INFRASTRUCTURE', message: 'database unreachable' },
        }),
      }),
    ]);
  });

  it('on a dead letter of a confirmed reservation keeps the sale and alerts', async () => {
    const s = await withReservations(['alice']);
    const id = s.ids[0]!;
    await s.inventory.confirm({ saleId: s.saleId, reservationId: id, userId: 'alice', now: s.clock.now() });
    await s.processor.onDeadLetter(deadLetter(s.requested(id), 'INFRASTRUCTURE', 'db down'));
    expect(await s.inventory.counts(s.saleId)).toMatchObject({ confirmed: 1, available: 9 });
    expect(s.alerts.byCode('DEAD_LETTER_CONFIRMED')).toHaveLength(1);
  });

  it('alerts on a poison message', async () => {
    const s = await withReservations([]);
    await s.processor.onDeadLetter({
      event: null,
      raw: 'garbage',
      error: { code: 'POISON_MESSAGE', message: 'not JSON' },
      attempts: 0,
      source: 'memory:test:3',
    });
    expect(s.alerts.byCode('DEAD_LETTER')).toEqual([
      expect.objectContaining({
        context: expect.objectContaining({ source: 'memory:test:3', eventId: null }),
      }),
    ]);
  });

  it('refuses a second reservation under an idempotency key the source of truth already has', async () => {
    const s = await withReservations(['alice']);
    const first = s.ids[0]!;
    await s.processor.handle(s.requested(first));
    // the key is reused after a release in the store, but the repository keeps it unique
    const second = await s.reservations.reserve({
      userId: 'alice',
      idempotencyKey: 'key-bob',
      selection: { kind: 'quantity', quantity: 1 },
      admissionToken: s.tokens.alice,
    });
    if (!second.ok) throw new Error('not held');
    await s.repository.insertMany([
      { ...(await s.repository.get(first))!, reservationId: 'other', idempotencyKey: 'key-bob' },
    ]);
    await s.processor.handle(s.requested(second.reservationId));
    expect(await s.repository.get(second.reservationId)).toBeNull();
    expect(resultsOf(s.bus.published(), second.reservationId)[0]).toMatchObject({
      payload: { reason: 'DUPLICATE_IDEMPOTENCY_KEY', compensated: true },
    });
    expect(await s.inventory.counts(s.saleId)).toMatchObject({ held: 0, confirmed: 1 });
  });

  it('handles a batch with one insert, settles each reservation and reports the ones to retry', async () => {
    const s = await withReservations(['u1', 'u2', 'u3', 'u4']);
    const [a, b, c, d] = s.ids as [string, string, string, string];
    s.payments.decline({ reservationId: b });
    s.payments.fail({ reservationId: c });
    const insertMany = vi.spyOn(s.repository, 'insertMany');
    const audit = s.bus.published().find((e) => e.type === 'StockChanged')!;
    const report = await s.processor.handleBatch([
      s.requested(a),
      s.requested(b),
      s.requested(a), // a duplicate in the same batch
      audit,
      s.requested(c),
      s.requested(d),
    ]);
    expect(insertMany).toHaveBeenCalledTimes(1);
    expect(insertMany.mock.calls[0]![0].map((row) => row.reservationId)).toEqual([a, b, c, d]);
    expect(report.settled).toBe(3);
    expect(report.failed.map((f) => f.event.payload.reservationId)).toEqual([c]);
    expect((await s.repository.get(a))!.status).toBe('CONFIRMED');
    expect((await s.repository.get(b))!.status).toBe('COMPENSATED');
    expect((await s.repository.get(d))!.status).toBe('CONFIRMED');
    expect(await s.processor.handleBatch([audit])).toEqual({ settled: 0, failed: [] });
  });
});

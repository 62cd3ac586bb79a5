import { describe, expect, it } from 'vitest';
import { FakePaymentGateway, PaymentUnavailableError, PublishError, ValidationError } from '../../src';
import { MemoryAlertSink, MemoryEventBus } from '../../src/subpaths/memory';
import { ManualClock } from '../../src/subpaths/testing';

const charge = (reservationId: string, idempotencyKey = `pay-${reservationId}`) => ({
  reservationId,
  userId: 'u1',
  amountCents: 5_000,
  idempotencyKey,
});

describe('ManualClock', () => {
  it('moves only when told to', () => {
    const clock = new ManualClock(1_000);
    expect(clock.now()).toBe(1_000);
    expect(clock.advance(250)).toBe(1_250);
    expect(clock.set(5_000)).toBe(5_000);
    expect(clock.now()).toBe(5_000);
  });

  it('refuses to go backwards or to a fractional instant', () => {
    const clock = new ManualClock(1_000);
    expect(() => clock.advance(-1)).toThrow(ValidationError);
    expect(() => clock.set(1.5)).toThrow(ValidationError);
    expect(clock.now()).toBe(1_000);
  });
});

describe('FakePaymentGateway', () => {
  it('approves by default and charges once per idempotency key', async () => {
    const payments = new FakePaymentGateway();
    const first = await payments.charge(charge('r1'));
    const again = await payments.charge(charge('r1'));
    expect(first).toEqual({ ok: true, paymentId: 'pay_1' });
    expect(again).toEqual(first);
    expect(payments.charges()).toHaveLength(1);
    expect(payments.chargeCalls).toBe(2);
  });

  it('answers scripted declines, also on a repeat of the declined key', async () => {
    const payments = new FakePaymentGateway().decline({ code: 'INSUFFICIENT_FUNDS' });
    expect(await payments.charge(charge('r1'))).toEqual({ ok: false, code: 'INSUFFICIENT_FUNDS' });
    expect(await payments.charge(charge('r1'))).toEqual({ ok: false, code: 'INSUFFICIENT_FUNDS' });
    expect(await payments.charge(charge('r2'))).toMatchObject({ ok: true });
    expect(payments.charges().map((c) => c.reservationId)).toEqual(['r2']);
  });

  it('throws N times, then lets the same key through', async () => {
    const payments = new FakePaymentGateway().fail({ times: 2 });
    await expect(payments.charge(charge('r1'))).rejects.toBeInstanceOf(PaymentUnavailableError);
    await expect(payments.charge(charge('r1'))).rejects.toBeInstanceOf(PaymentUnavailableError);
    expect(await payments.charge(charge('r1'))).toMatchObject({ ok: true });
    expect(payments.charges()).toHaveLength(1);
  });

  it('scripts one reservation only when asked to', async () => {
    const payments = new FakePaymentGateway().decline({ reservationId: 'r2' });
    expect(await payments.charge(charge('r1'))).toMatchObject({ ok: true });
    expect(await payments.charge(charge('r2'))).toEqual({ ok: false, code: 'DECLINED' });
  });

  it('refunds a known charge once per key and refuses an unknown one', async () => {
    const payments = new FakePaymentGateway();
    const paid = await payments.charge(charge('r1'));
    if (!paid.ok) throw new Error('expected an approval');
    const refund = { paymentId: paid.paymentId, reason: 'HOLD_EXPIRED', idempotencyKey: 'refund-r1' };
    await payments.refund(refund);
    await payments.refund(refund);
    expect(payments.refunds()).toEqual([refund]);
    await expect(payments.refund({ ...refund, paymentId: 'nope' })).rejects.toMatchObject({
      code: 'UNKNOWN_PAYMENT',
    });
  });

  it('rejects a bad charge with a ValidationError', async () => {
    const payments = new FakePaymentGateway();
    await expect(payments.charge({ ...charge('r1'), amountCents: -1 })).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect(payments.chargeCalls).toBe(0);
  });
});

describe('MemoryAlertSink', () => {
  it('keeps the alerts it receives, findable by code', async () => {
    const alerts = new MemoryAlertSink();
    await alerts.alert({ severity: 'critical', code: 'DEAD_LETTER', message: 'x', context: { id: 1 } });
    await alerts.alert({ severity: 'warning', code: 'DRIFT', message: 'y', context: {} });
    expect(alerts.alerts).toHaveLength(2);
    expect(alerts.byCode('DRIFT')).toEqual([
      { severity: 'warning', code: 'DRIFT', message: 'y', context: {} },
    ]);
  });
});

describe('MemoryEventBus publish failures', () => {
  const event = {
    eventId: 'e1',
    type: 'UserAdmitted' as const,
    version: 1 as const,
    saleId: 's1',
    key: 'u1',
    occurredAt: 1,
    payload: { userId: 'u1', ticket: 1, until: 2 },
  };

  it('fails the scripted publishes with PublishError and appends nothing', async () => {
    const bus = new MemoryEventBus();
    bus.failNextPublishes(1);
    await expect(bus.publish([event])).rejects.toBeInstanceOf(PublishError);
    expect(bus.published()).toEqual([]);
    await bus.publish([event]);
    expect(bus.published()).toEqual([event]);
  });

  it('refuses publishes after close', async () => {
    const bus = new MemoryEventBus();
    await bus.close();
    await expect(bus.publish([event])).rejects.toBeInstanceOf(PublishError);
  });
});

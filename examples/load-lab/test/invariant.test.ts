import { describe, expect, it } from 'vitest';
import type { BuyerResult } from '../src/buyer';
import { checkInvariant } from '../src/invariant';
import type { SaleFiguresView } from '../src/sale';

const buyer = (id: string, state: BuyerResult['state'], seat?: string): BuyerResult => ({
  id,
  state,
  trace: seat
    ? ['NEW', 'SIGNED_IN', 'CHALLENGED', 'WAITING', 'ADMITTED', 'HOLDING', state]
    : ['NEW', 'SIGNED_IN', 'CHALLENGED', 'WAITING', 'ADMITTED', state],
  cookie: 'c',
  reservationId: seat ? `r-${id}` : null,
  seatIds: seat ? [seat] : [],
  resultOverSse: seat ? state : null,
  lastCode: null,
  reserveAttempts: 1,
  replayMismatch: false,
  paid: state === 'CONFIRMED',
});

const figures = (over: Partial<SaleFiguresView> = {}): SaleFiguresView => ({
  waiting: 0,
  active: 0,
  initialStock: 3,
  available: 1,
  held: 0,
  confirmed: 2,
  failed: 1,
  consumerLag: 0,
  sseConnections: 0,
  ...over,
});

const truth = {
  storeAvailable: 1,
  storeHeld: 0,
  storeConfirmed: 2,
  truthConfirmed: 2,
  truthPending: 0,
  consistent: true,
  repaired: false,
};

const consistentRun = () => {
  const buyers = [
    buyer('a', 'CONFIRMED', 's1'),
    buyer('b', 'CONFIRMED', 's2'),
    buyer('c', 'FAILED', 's3'),
    buyer('d', 'SOLD_OUT'),
  ];
  const serverStatus = new Map(
    buyers.filter((b) => b.reservationId).map((b) => [b.reservationId!, b.state as string]),
  );
  return { buyers, figures: figures(), reconciliation: truth, serverStatus };
};

describe('end-of-run invariant', () => {
  it('holds for a consistent run', () => {
    const report = checkInvariant(consistentRun());
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('catches, in the buyer checkout, a seat confirmed that its buyer never paid', () => {
    const input = { ...consistentRun(), buyerCheckout: true };
    expect(checkInvariant(input).ok).toBe(true);
    input.buyers[0] = { ...input.buyers[0]!, paid: false };
    const failing = checkInvariant(input).checks.filter((c) => !c.ok);
    expect(failing.map((c) => c.name)).toEqual(['no seat confirmed without its buyer paying']);
    expect(failing[0]?.detail).toBe('2 confirmed, 1 of them not paid by their buyer');
  });

  it('catches a seat sold twice', () => {
    const input = consistentRun();
    input.buyers[1] = buyer('b', 'CONFIRMED', 's1');
    const report = checkInvariant(input);
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.name === 'no seat sold twice')?.ok).toBe(false);
  });

  it('catches an oversold store and lost stock', () => {
    const report = checkInvariant({ ...consistentRun(), figures: figures({ confirmed: 4, available: 0 }) });
    const failing = report.checks.filter((c) => !c.ok).map((c) => c.name);
    expect(failing).toContain('no oversell in the store');
    expect(failing).toContain('stock is conserved');
  });

  it('catches a hold whose buyer and server disagree, and one never final', () => {
    const input = consistentRun();
    input.serverStatus.set('r-a', 'FAILED');
    input.buyers.push({ ...buyer('e', 'ERROR', 's9'), trace: ['NEW', 'ERROR'] });
    const report = checkInvariant(input);
    const failed = report.checks.find((c) => c.name.startsWith('every accepted hold'));
    expect(failed?.ok).toBe(false);
    expect(failed?.detail).toContain('2 of 4 differ');
  });

  it('catches a disagreeing source of truth and a replay that answered something else', () => {
    const input = consistentRun();
    input.buyers[0] = { ...input.buyers[0]!, replayMismatch: true };
    const report = checkInvariant({
      ...input,
      reconciliation: { ...truth, truthConfirmed: 1, consistent: false, repaired: true },
    });
    const failing = report.checks.filter((c) => !c.ok).map((c) => c.name);
    expect(failing).toEqual([
      'replayed reserves answer the original',
      'the source of truth agrees with the store',
    ]);
  });
});

import { SALE_STATES, type SaleEvent, type SaleEventType } from '@seatrush/core';
import { SALE_EVENT_TYPES, SALE_TRANSITIONS, sourcesOf, transitionSale } from '@seatrush/core/ports';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertEveryWalk, itFollowsItsTable, itListsTheDesignedEdges } from './table-driven';

const OPENS_AT = 1_000_000;

/** An event of each type whose guards hold, so only the table decides. */
function passing(type: SaleEventType): SaleEvent {
  switch (type) {
    case 'OPEN':
      return { type, at: OPENS_AT, opensAt: OPENS_AT, warm: true };
    case 'RESUME':
      return { type, warm: true };
    case 'WARMUP_FAILED':
      return { type, reason: 'verification mismatch' };
    default:
      return { type } as SaleEvent;
  }
}

describe('sale lifecycle', () => {
  itListsTheDesignedEdges(SALE_TRANSITIONS, {
    edges: [
      'DRAFT -START_WARMUP-> WARMING',
      'DRAFT -CLOSE-> CLOSED',
      'WARMING -WARMUP_SUCCEEDED-> READY',
      'WARMING -WARMUP_FAILED-> DRAFT',
      'WARMING -CLOSE-> CLOSED',
      'READY -OPEN-> OPEN',
      'READY -START_WARMUP-> WARMING',
      'READY -CLOSE-> CLOSED',
      'OPEN -PAUSE-> PAUSED',
      'OPEN -CLOSE-> CLOSED',
      'PAUSED -RESUME-> OPEN',
      'PAUSED -START_WARMUP-> WARMING',
      'PAUSED -CLOSE-> CLOSED',
    ],
    terminal: ['CLOSED'],
  });

  it('gives a store the guard statuses of CLOSE: every state but CLOSED', () => {
    expect(sourcesOf(SALE_TRANSITIONS, 'CLOSE')).toEqual(['DRAFT', 'WARMING', 'READY', 'OPEN', 'PAUSED']);
  });

  itFollowsItsTable(
    { states: SALE_STATES, events: SALE_EVENT_TYPES, table: SALE_TRANSITIONS },
    { event: passing, transition: transitionSale },
  );

  it('refuses to open a sale that is not warm, and before its opening time', () => {
    const cold = { type: 'OPEN', at: OPENS_AT, opensAt: OPENS_AT, warm: false } as const;
    expect(transitionSale('READY', cold)).toEqual({
      ok: false,
      code: 'SALE_NOT_WARM',
      from: 'READY',
      event: cold,
    });
    const early = { type: 'OPEN', at: OPENS_AT - 1, opensAt: OPENS_AT, warm: true } as const;
    expect(transitionSale('READY', early)).toMatchObject({ ok: false, code: 'TOO_EARLY' });
    expect(transitionSale('PAUSED', { type: 'RESUME', warm: false })).toMatchObject({
      ok: false,
      code: 'SALE_NOT_WARM',
    });
  });

  it('an illegal event is refused before its guards are looked at', () => {
    expect(transitionSale('DRAFT', { type: 'OPEN', at: 0, opensAt: 1, warm: false })).toMatchObject({
      code: 'INVALID_TRANSITION',
    });
  });

  it('names the effects the caller performs', () => {
    expect(transitionSale('DRAFT', passing('START_WARMUP'))).toMatchObject({ effects: ['LOAD_INVENTORY'] });
    expect(transitionSale('WARMING', passing('WARMUP_FAILED'))).toMatchObject({
      state: 'DRAFT',
      effects: ['ALERT_OPERATOR'],
    });
    expect(transitionSale('READY', passing('OPEN'))).toMatchObject({ effects: ['START_ADMISSION'] });
    expect(transitionSale('OPEN', passing('PAUSE'))).toMatchObject({ effects: ['STOP_ADMISSION'] });
    expect(transitionSale('OPEN', passing('CLOSE'))).toMatchObject({
      effects: ['STOP_ADMISSION', 'CLOSE_WAITING_ROOM'],
    });
    expect(transitionSale('PAUSED', passing('CLOSE'))).toMatchObject({ effects: ['CLOSE_WAITING_ROOM'] });
    expect(transitionSale('DRAFT', passing('CLOSE'))).toMatchObject({ effects: [] });
  });

  const anyEvent = fc.oneof(
    fc.constantFrom<SaleEvent>(
      { type: 'START_WARMUP' },
      { type: 'WARMUP_SUCCEEDED' },
      { type: 'WARMUP_FAILED', reason: 'x' },
      { type: 'PAUSE' },
      { type: 'CLOSE' },
    ),
    fc.record({ type: fc.constant('RESUME' as const), warm: fc.boolean() }),
    fc.record({
      type: fc.constant('OPEN' as const),
      at: fc.integer({ min: 0, max: 2 * OPENS_AT }),
      opensAt: fc.constant(OPENS_AT),
      warm: fc.boolean(),
    }),
  );

  it('never sells unless warmed and opened on time, and accepts nothing once closed (property)', () => {
    const machine = { table: SALE_TRANSITIONS, initial: 'DRAFT' as const, transition: transitionSale };
    assertEveryWalk(machine, anyEvent, 40, () => {
      let warmedSinceDraft = false;
      return (from, event, to) => {
        if (to === 'OPEN' && from !== 'OPEN') {
          expect(['READY', 'PAUSED']).toContain(from);
          expect('warm' in event && event.warm).toBe(true);
          expect(warmedSinceDraft).toBe(true);
          if (event.type === 'OPEN') expect(event.at).toBeGreaterThanOrEqual(event.opensAt);
        }
        if (to === 'READY') warmedSinceDraft = true;
        if (to === 'DRAFT' || to === 'WARMING') warmedSinceDraft = false;
      };
    });
  });
});

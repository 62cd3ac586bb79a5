import type { UnitEvent, UnitEventType, UnitHold, UnitStatus } from '@seatrush/core';
import { transitionUnit, UNIT_EVENT_TYPES, UNIT_STATES, UNIT_TRANSITIONS } from '@seatrush/core/ports';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { itFollowsItsTable, itListsTheDesignedEdges } from './table-driven';

const HELD: UnitHold = { status: 'HELD', owner: 'alice', heldAt: 0, expiresAt: 1_000 };
const unitIn: Record<UnitStatus, UnitHold> = {
  AVAILABLE: { status: 'AVAILABLE' },
  HELD,
  CONFIRMED: { status: 'CONFIRMED', owner: 'alice', confirmedAt: 500 },
};

/** An event of each type whose guards hold against `unitIn[status]`, so only the table decides. */
function passing(type: UnitEventType, status: UnitStatus): UnitEvent {
  switch (type) {
    case 'HOLD':
      // a HELD unit can be held again only once its hold has expired
      return { type, actor: 'bob', at: status === 'HELD' ? 1_000 : 500, holdMs: 300 };
    case 'EXTEND':
      return { type, actor: 'alice', at: 500, holdMs: 1_000 };
    case 'RELEASE':
    case 'CONFIRM':
      return { type, actor: 'alice', at: 500 };
    case 'EXPIRE':
      return { type, at: 1_000 };
    case 'COMPENSATE':
      return { type, at: 500 };
  }
}

describe('unit hold lifecycle', () => {
  itListsTheDesignedEdges(UNIT_TRANSITIONS, {
    edges: [
      'AVAILABLE -HOLD-> HELD',
      'HELD -HOLD-> HELD',
      'HELD -EXTEND-> HELD',
      'HELD -RELEASE-> AVAILABLE',
      'HELD -CONFIRM-> CONFIRMED',
      'HELD -EXPIRE-> AVAILABLE',
      'HELD -COMPENSATE-> AVAILABLE',
      'CONFIRMED -COMPENSATE-> AVAILABLE',
    ],
    terminal: [],
  });

  itFollowsItsTable(
    { states: UNIT_STATES, events: UNIT_EVENT_TYPES, table: UNIT_TRANSITIONS },
    {
      event: passing,
      transition: transitionUnit,
      subject: (status) => unitIn[status],
      stateOf: (unit) => unit.status,
    },
  );

  it('holds an available unit for holdMs and takes one unit of stock', () => {
    expect(
      transitionUnit({ status: 'AVAILABLE' }, { type: 'HOLD', actor: 'bob', at: 10, holdMs: 300 }),
    ).toEqual({
      ok: true,
      state: { status: 'HELD', owner: 'bob', heldAt: 10, expiresAt: 310 },
      effects: ['TAKE_STOCK'],
    });
  });

  it('refuses a hold on a live hold, the owner included, and on nothing but a live duration', () => {
    expect(transitionUnit(HELD, { type: 'HOLD', actor: 'bob', at: 999, holdMs: 300 })).toMatchObject({
      code: 'SEAT_TAKEN',
    });
    expect(transitionUnit(HELD, { type: 'HOLD', actor: 'alice', at: 999, holdMs: 300 })).toMatchObject({
      code: 'SEAT_TAKEN',
    });
    for (const holdMs of [0, -1, 1.5, Number.NaN])
      expect(
        transitionUnit({ status: 'AVAILABLE' }, { type: 'HOLD', actor: 'bob', at: 0, holdMs }),
      ).toMatchObject({
        code: 'INVALID_DURATION',
      });
  });

  it('re-holds a unit whose hold expired but was not swept, returning and retaking its stock', () => {
    expect(transitionUnit(HELD, { type: 'HOLD', actor: 'bob', at: 1_000, holdMs: 300 })).toEqual({
      ok: true,
      state: { status: 'HELD', owner: 'bob', heldAt: 1_000, expiresAt: 1_300 },
      effects: ['RETURN_STOCK', 'PUBLISH_HOLD_EXPIRED', 'TAKE_STOCK'],
    });
  });

  it('lets only the owner extend, release or confirm, and only before expiry', () => {
    for (const type of ['RELEASE', 'CONFIRM'] as const) {
      expect(transitionUnit(HELD, { type, actor: 'bob', at: 500 })).toMatchObject({ code: 'NOT_OWNER' });
      // the owner check comes first: a stranger learns nothing about the expiry
      expect(transitionUnit(HELD, { type, actor: 'bob', at: 5_000 })).toMatchObject({ code: 'NOT_OWNER' });
      expect(transitionUnit(HELD, { type, actor: 'alice', at: 1_000 })).toMatchObject({ code: 'EXPIRED' });
    }
    expect(transitionUnit(HELD, { type: 'EXTEND', actor: 'bob', at: 500, holdMs: 1_000 })).toMatchObject({
      code: 'NOT_OWNER',
    });
    expect(transitionUnit(HELD, { type: 'EXTEND', actor: 'alice', at: 1_000, holdMs: 1_000 })).toMatchObject({
      code: 'EXPIRED',
    });
    expect(transitionUnit(HELD, { type: 'EXTEND', actor: 'alice', at: 500, holdMs: 0 })).toMatchObject({
      code: 'INVALID_DURATION',
    });
  });

  it('extends to at + holdMs, and never shortens a hold', () => {
    expect(transitionUnit(HELD, { type: 'EXTEND', actor: 'alice', at: 900, holdMs: 1_000 })).toEqual({
      ok: true,
      state: { ...HELD, expiresAt: 1_900 },
      effects: [],
    });
    expect(transitionUnit(HELD, { type: 'EXTEND', actor: 'alice', at: 100, holdMs: 10 })).toMatchObject({
      state: { expiresAt: 1_000 },
    });
  });

  it('returns the stock on release, expiry and compensation; confirms without touching it', () => {
    expect(transitionUnit(HELD, { type: 'RELEASE', actor: 'alice', at: 999 })).toEqual({
      ok: true,
      state: { status: 'AVAILABLE' },
      effects: ['RETURN_STOCK'],
    });
    expect(transitionUnit(HELD, { type: 'EXPIRE', at: 1_000 })).toMatchObject({
      effects: ['RETURN_STOCK', 'PUBLISH_HOLD_EXPIRED'],
    });
    expect(transitionUnit(unitIn.CONFIRMED, { type: 'COMPENSATE', at: 0 })).toMatchObject({
      state: { status: 'AVAILABLE' },
      effects: ['RETURN_STOCK'],
    });
    expect(transitionUnit(HELD, { type: 'CONFIRM', actor: 'alice', at: 999 })).toEqual({
      ok: true,
      state: { status: 'CONFIRMED', owner: 'alice', confirmedAt: 999 },
      effects: [],
    });
  });

  it('refuses to expire a hold before its time', () => {
    expect(transitionUnit(HELD, { type: 'EXPIRE', at: 999 })).toMatchObject({ code: 'NOT_DUE' });
  });

  const actor = fc.constantFrom('alice', 'bob');
  const holdMs = fc.constantFrom(0, 50, 300);
  const step = fc.record({
    dt: fc.integer({ min: 0, max: 200 }),
    make: fc.oneof(
      fc.record({ type: fc.constant('HOLD' as const), actor, holdMs }),
      fc.record({ type: fc.constant('EXTEND' as const), actor, holdMs }),
      fc.record({ type: fc.constantFrom('RELEASE' as const, 'CONFIRM' as const), actor }),
      fc.record({ type: fc.constantFrom('EXPIRE' as const, 'COMPENSATE' as const) }),
    ),
  });

  it('keeps the stock books and the owner rules whatever the sequence (property)', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        let unit: UnitHold = { status: 'AVAILABLE' };
        let taken = 0;
        let at = 0;
        for (const { dt, make } of steps) {
          at += dt;
          const event = { ...make, at } as UnitEvent;
          const result = transitionUnit(unit, event);
          if (!result.ok) {
            expect(result.from).toBe(unit);
            if (result.code === 'NOT_OWNER')
              expect(unit.status === 'HELD' && 'actor' in event && unit.owner !== event.actor).toBe(true);
            continue;
          }
          for (const effect of result.effects)
            taken += effect === 'TAKE_STOCK' ? 1 : effect === 'RETURN_STOCK' ? -1 : 0;
          // one unit: it is taken exactly while it is held or sold
          expect(taken).toBe(result.state.status === 'AVAILABLE' ? 0 : 1);
          if (result.state.status === 'CONFIRMED' && unit.status !== 'CONFIRMED') {
            expect(unit.status).toBe('HELD');
            if (unit.status === 'HELD' && event.type === 'CONFIRM') {
              expect(event.actor).toBe(unit.owner);
              expect(at).toBeLessThan(unit.expiresAt);
            }
          }
          if (unit.status === 'HELD' && result.state.status === 'HELD' && event.type === 'EXTEND')
            expect(result.state.expiresAt).toBeGreaterThanOrEqual(unit.expiresAt);
          unit = result.state;
        }
      }),
    );
  });
});

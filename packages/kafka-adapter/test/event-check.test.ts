import { isDeepStrictEqual } from 'node:util';
import type { DomainEvent as Event } from '@seatrush/core';
import { DomainEvent, z } from '@seatrush/core/ports';
import { describe, expect, it } from 'vitest';
import { decodeEvent } from '../src/codec';
import { compileCheck } from '../src/event-check';
import { requested, stockChanged } from './fixtures';

const ref = { reservationId: 'r1', userId: 'u1', quantity: 2, seatIds: ['A-1', 'A-2'] };
const base = { version: 1 as const, saleId: 'sale1', key: 'r1', occurredAt: 1_700_000_000_000 };
/** One valid event of every type. */
const samples: Event[] = [
  requested(1),
  stockChanged(2, 'sale1', -2),
  {
    ...base,
    eventId: 'c1',
    type: 'ReservationConfirmed',
    payload: { ...ref, paymentId: 'p1', amountCents: 0 },
  },
  {
    ...base,
    eventId: 'f1',
    type: 'ReservationFailed',
    traceId: 't',
    payload: { ...ref, reason: 'PAYMENT_DECLINED', compensated: true },
  },
  { ...base, eventId: 'h1', type: 'HoldExpired', payload: ref },
  { ...base, eventId: 'a1', type: 'UserAdmitted', payload: { userId: 'u1', ticket: 3, until: 5 } },
];

/** What zod makes of a value: accepted and handed back unchanged, or not. */
const zodKeepsAsIs = (value: unknown) => {
  const parsed = DomainEvent.safeParse(value);
  return parsed.success && isDeepStrictEqual(parsed.data, value);
};

/** Values that break one rule or another of the envelope. */
const replacements: unknown[] = [
  undefined,
  null,
  true,
  0,
  -1,
  1.5,
  2 ** 60,
  Number.POSITIVE_INFINITY,
  Number.NaN,
  '',
  'x'.repeat(65),
  'x'.repeat(129),
  'a b',
  'ok-id',
  'HELD',
  'ReservationRequested',
  [],
  ['A-1'],
  ['bad id'],
  {},
  { extra: 1 },
];

/** Every path to a value inside `value` (objects and arrays), the root excluded. */
function paths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => {
    const path = [...prefix, Array.isArray(value) ? Number(k) : k];
    return [path, ...paths(v, path)];
  });
}

/** `value` with the thing at `path` replaced (deleted for undefined), or a key added beside it. */
function mutate(value: unknown, path: Array<string | number>, replacement: unknown, add: boolean): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let parent = copy;
  for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (add) parent[`${String(last)}_extra`] = replacement;
  else if (replacement === undefined && !Array.isArray(parent)) delete parent[last];
  else parent[last] = replacement;
  return copy;
}

describe('the compiled envelope check', () => {
  const check = compileCheck(DomainEvent);

  it('compiles the envelope (so the consumer takes the fast path)', () => {
    expect(check).toBeTypeOf('function');
  });

  it('accepts every valid event as zod does', () => {
    for (const event of samples) {
      expect(zodKeepsAsIs(event)).toBe(true);
      expect(check?.(event)).toBe(true);
    }
  });

  it('agrees with zod on every value one change away from a valid event', () => {
    const disagreements: unknown[] = [];
    for (const event of samples) {
      for (const path of paths(event)) {
        for (const replacement of replacements) {
          // a key beside an array's items: JSON cannot write one
          for (const add of typeof path[path.length - 1] === 'number' ? [false] : [false, true]) {
            const value = mutate(event, path, replacement, add);
            if (check?.(value) !== zodKeepsAsIs(value)) disagreements.push({ path, replacement, add, value });
          }
        }
      }
    }
    expect(disagreements).toEqual([]);
  });

  it('agrees with zod on values that are no event at all', () => {
    for (const value of [null, 1, 'x', [], {}, [samples[0]], { type: 'Unknown', ...base }]) {
      expect(check?.(value)).toBe(zodKeepsAsIs(value));
    }
  });

  it('leaves schemas it does not know to zod', () => {
    expect(compileCheck(z.object({ a: z.string().email() }))).toBeUndefined();
    expect(compileCheck(z.object({ a: z.string() }).refine(() => true))).toBeUndefined();
    expect(compileCheck(z.string().transform((s) => s.length))).toBeUndefined();
    expect(compileCheck(z.object({ a: z.number().max(3) }))).toBeUndefined();
    expect(compileCheck(z.array(z.string()).min(1))).toBeUndefined();
  });

  it('decodes as before: a body with an extra key comes back without it, a bad one with its reason', () => {
    const event = samples[0]!;
    expect(decodeEvent(JSON.stringify({ ...event, extra: 1 }))).toEqual({ ok: true, event });
    const bad = decodeEvent(JSON.stringify({ ...event, saleId: 'a b' }));
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_EVENT' } });
    expect(decodeEvent(JSON.stringify(event), 'StockChanged')).toMatchObject({
      ok: false,
      error: { code: 'WRONG_TOPIC' },
    });
  });
});

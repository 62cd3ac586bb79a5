import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError } from '../../src';
import { EpochMs, IdempotencyKey, ReservationId, SaleId, UserId } from '../../src/common/ids';
import { compile, fastValidate, fastValidateRead } from '../../src/memory/fast-validate';
import { LeaseGrant, LeaseName } from '../../src/ports/lease-store';
import { AdmitNextInput, EnterInput } from '../../src/ports/queueing-store';
import { WaitingListClaim } from '../../src/ports/waiting-list-store';

// The memory adapters' cheap path accepts only what the schema accepts, unchanged; everything else
// goes through the schema's parse and its ValidationError.

const Small = z.object({
  saleId: SaleId,
  key: IdempotencyKey,
  now: EpochMs,
  limit: z.number().int().positive().max(10_000),
  ratio: z.number().min(0).lt(1),
  exact: z.boolean().optional(),
  lane: z.enum(['normal', 'priority']).optional(),
  kind: z.literal('one'),
  note: z.string().min(2).max(5).nullable(),
});
const Strict = z.strictObject({ saleId: SaleId, now: EpochMs });

/** Values around every edge the schemas above draw. */
const strings = [
  '',
  'a',
  's-1',
  'a'.repeat(64),
  'a'.repeat(65),
  'a'.repeat(129),
  'x{1}',
  'a:b',
  'é',
  '😀',
  '😀😀',
  'ab',
];
const numbers = [
  0,
  -0,
  1,
  -1,
  0.5,
  0.999,
  1.5,
  10_000,
  10_001,
  2 ** 53,
  -(2 ** 53),
  Number.NaN,
  Infinity,
  -Infinity,
];
const others = [undefined, null, true, false, 'normal', 'priority', 'one', {}, [], '1'];
const scalars = [...strings, ...numbers, ...others];

/** A value the schema accepts: a valid value for each field of `Small`. */
const validSmall = {
  saleId: 's-1',
  key: 'k'.repeat(128),
  now: 0,
  limit: 10_000,
  ratio: 0.5,
  kind: 'one',
  note: null,
};

/** `valid` with one or two fields set to edge values, dropped, or an unknown key added. */
function* variants(valid: Record<string, unknown>): Generator<Record<string, unknown>> {
  const keys = Object.keys(valid);
  yield valid;
  yield { ...valid, extra: 'x' };
  for (const key of keys) {
    const { [key]: _dropped, ...rest } = valid;
    yield rest;
    for (const value of scalars) {
      yield { ...valid, [key]: value };
      for (const other of keys)
        if (other !== key)
          for (const second of scalars.slice(0, 12)) yield { ...valid, [key]: value, [other]: second };
    }
  }
}

describe('fastValidate', () => {
  it('compiles the scalar parts and top-level objects of scalars', () => {
    for (const schema of [SaleId, UserId, ReservationId, EpochMs, Small, Strict, WaitingListClaim])
      expect(compile(schema), String(schema.def.type)).not.toBeNull();
    for (const schema of [AdmitNextInput, EnterInput]) expect(compile(schema)).not.toBeNull();
  });

  it('compiles nothing it cannot answer unchanged: defaults, transforms, arrays, nested objects, loose objects, object refinements', () => {
    for (const schema of [
      SaleId.superRefine(() => undefined),
      z.number().int().default(1),
      z.object({ size: z.number().int().default(1) }),
      z.string().transform((s) => s.trim()),
      z.array(SaleId),
      z.object({ inner: z.object({ saleId: SaleId }) }),
      z.object({ ids: z.array(SaleId) }),
      z.looseObject({ saleId: SaleId }),
      z.object({ saleId: SaleId }).refine(() => true),
      z.coerce.number(),
      z.number().multipleOf(2),
      z.string().email(),
    ])
      expect(compile(schema as z.ZodType)).toBeNull();
  });

  it('accepts only what the schema accepts, and then exactly as the schema answers it', () => {
    let accepted = 0;
    for (const schema of [
      SaleId,
      IdempotencyKey,
      EpochMs,
      z.number().int().positive().max(10_000),
      z.number().min(0).lt(1),
      z.number().gt(-1).lte(1),
      z.string().regex(/^a+$/g),
    ]) {
      const accepts = compile(schema)!;
      for (const value of scalars) {
        if (!accepts(value)) continue;
        accepted += 1;
        expect(schema.safeParse(value), `${String(value)}`).toEqual({ success: true, data: value });
      }
    }
    for (const [schema, valid] of [
      [Small, validSmall],
      [Strict, { saleId: 's', now: 1 }],
    ] as const) {
      const keys = Object.keys(schema.shape);
      const accepts = compile(schema)!;
      for (const value of variants(valid)) {
        if (!accepts(value)) continue;
        accepted += 1;
        const parsed = schema.safeParse(value);
        expect(parsed.success, JSON.stringify(value)).toBe(true);
        const known = Object.fromEntries(Object.entries(value).filter(([key]) => keys.includes(key)));
        expect(parsed.data).toEqual(known);
      }
    }
    expect(accepted, 'the cheap path is taken at all').toBeGreaterThan(100);
    expect(compile(Small)!(validSmall)).toBe(true);
    expect(compile(Strict)!({ saleId: 's', now: 1, extra: 1 }), 'a strict object refuses unknown keys').toBe(
      false,
    );
  });

  it("compiles a refinement of a scalar into a call of its predicate, accepting what zod's refine accepts", () => {
    const calls: unknown[] = [];
    const NotX = SaleId.refine((id) => {
      calls.push(id);
      return id !== 'x';
    });
    const Positive = z
      .number()
      .int()
      .refine((n) => n > 0);
    const Async = SaleId.refine(async () => true);
    for (const schema of [NotX, Positive, LeaseName, Async]) expect(compile(schema)).not.toBeNull();
    let accepted = 0;
    for (const schema of [NotX, Positive, LeaseName]) {
      const accepts = compile(schema)!;
      for (const value of [...scalars, 'x', 'sale:{s1}:admission', '{a}{b}']) {
        const parsed = schema.safeParse(value);
        if (!accepts(value)) continue;
        accepted += 1;
        expect(parsed, `${String(value)}`).toEqual({ success: true, data: value });
      }
    }
    expect(accepted).toBeGreaterThan(10);
    expect(compile(NotX)!('x'), 'the refinement refuses').toBe(false);
    expect(calls).toContain('x');
    expect(compile(Async)!('a'), 'an async refinement is left to the parse').toBe(false);
    expect(() => fastValidate('lease name', LeaseName, '')).toThrow(ValidationError);
    const grant = { name: 'sale:{s1}:admission', holder: 'h-1', fencingToken: 1, validUntil: 5 };
    expect(fastValidate('lease', LeaseGrant, grant), 'a lease takes the cheap path').toBe(grant);
  });

  it('compiles arrays of simple parts only for an input read during the call (fastValidateRead)', () => {
    const Ids = z.object({ saleId: SaleId, ids: z.array(ReservationId).min(1).max(3) });
    expect(compile(Ids)).toBeNull();
    const accepts = compile(Ids, { arrays: true })!;
    for (const ids of [
      [],
      ['r-1'],
      ['r-1', 'r-2', 'r-3'],
      ['r-1', 'r-2', 'r-3', 'r-4'],
      ['bad id'],
      [1],
      'r-1',
    ]) {
      const value = { saleId: 's-1', ids };
      if (accepts(value)) expect(Ids.safeParse(value)).toEqual({ success: true, data: value });
      else expect(Ids.safeParse(value).success, JSON.stringify(ids)).toBe(false);
    }
    expect(compile(z.object({ nested: z.array(z.array(SaleId)) }), { arrays: true })).toBeNull();
    expect(compile(z.object({ rows: z.array(z.object({ saleId: SaleId })) }), { arrays: true })).toBeNull();
    const input = { saleId: 's-1', ids: ['r-1'] };
    expect(fastValidateRead('ids', Ids, input)).toBe(input);
    expect(() => fastValidateRead('ids', Ids, { saleId: 's-1', ids: [] })).toThrow(ValidationError);
  });

  it('answers an accepted value as it is, and gives anything else to the schema and its ValidationError', () => {
    const input = { ...validSmall };
    expect(fastValidate('small', Small, input)).toBe(input);
    expect(() => fastValidate('small', Small, { ...validSmall, saleId: 'bad {id}' })).toThrow(
      ValidationError,
    );
    expect(() => fastValidate('sale id', SaleId, 7)).toThrow(ValidationError);
    // not compiled: parsed, with its default
    expect(fastValidate('size', z.object({ size: z.number().default(1) }), {})).toEqual({ size: 1 });
  });
});

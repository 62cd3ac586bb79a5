import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError } from '../../src';
import { EpochMs, IdempotencyKey, ReservationId, SaleId, UserId } from '../../src/common/ids';
import { compile, fastValidate } from '../../src/memory/fast-validate';
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

  it('compiles nothing it cannot answer unchanged: refinements, defaults, transforms, arrays, nested objects, loose objects', () => {
    for (const schema of [
      SaleId.refine((id) => id !== 'x'),
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

import { ValidationError, type ValidationIssue } from '@seatrush/core';
import { EpochMs } from '@seatrush/core/ports';

/** Anything with zod's `safeParse` (the package reuses core's zod schemas, it does not import zod). */
interface Schema<T> {
  safeParse(
    input: unknown,
  ):
    | { success: true; data: T }
    | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } };
}

type Shape = Record<string, Schema<unknown>>;
type Parsed<S extends Shape> = { [K in keyof S]: S[K] extends Schema<infer T> ? T : never };

/**
 * Validates an object field by field with core's zod schemas and throws one `ValidationError`
 * listing every problem, before anything is sent to Redis.
 */
export function validateFields<S extends Shape>(what: string, shape: S, input: unknown): Parsed<S> {
  const issues: ValidationIssue[] = [];
  const source = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  if (typeof input !== 'object' || input === null) issues.push({ path: '', message: 'expected an object' });
  const out: Record<string, unknown> = {};
  for (const [field, schema] of Object.entries(shape)) {
    const result = schema.safeParse(source[field]);
    if (result.success) out[field] = result.data;
    else
      for (const issue of result.error.issues)
        issues.push({ path: [field, ...issue.path.map(String)].join('.'), message: issue.message });
  }
  if (issues.length > 0) throw new ValidationError(what, issues);
  return out as Parsed<S>;
}

/** A whole number of milliseconds greater than zero. */
export const PositiveInt = EpochMs.refine((n) => n > 0, 'must be a positive integer');

/** A count of at least zero. */
export const Count = EpochMs;

export { EpochMs };

/** Any value (no check), for fields validated elsewhere. */
export const anything: Schema<unknown> = { safeParse: (input) => ({ success: true, data: input }) };

/** An optional field: undefined passes, anything else must match `schema`. */
export function optional<T>(schema: Schema<T>): Schema<T | undefined> {
  return {
    safeParse: (input) =>
      input === undefined ? { success: true, data: undefined } : schema.safeParse(input),
  };
}

/** A boolean. */
export const Bool: Schema<boolean> = {
  safeParse: (input) =>
    typeof input === 'boolean'
      ? { success: true, data: input }
      : { success: false, error: { issues: [{ path: [], message: 'expected a boolean' }] } },
};

/** Any string of 1 to `max` characters (never part of a key). */
export const boundedText = (what: string, max: number): Schema<string> => ({
  safeParse: (input) =>
    typeof input === 'string' && input.length > 0 && input.length <= max
      ? { success: true, data: input }
      : { success: false, error: { issues: [{ path: [], message: `${what} must be 1-${max} characters` }] } },
});

import type { z } from 'zod';
import { ValidationError } from './errors';

/** Where a vouched-for value's prototype names the schema it was vouched for with. */
const VOUCHED_FOR = Symbol('seatrush.vouchedFor');

/** One prototype per schema core vouches with (a handful): it carries the mark. */
const vouchedPrototypes = new Map<z.ZodType, object>();

/**
 * Parses `input` with `schema` or throws a `ValidationError` listing every issue. Every public
 * entry point calls this first, so bad input changes nothing. A value core vouched for with this
 * schema ({@link vouch}) is answered as is: core built it from validated parts.
 */
export function validate<S extends z.ZodType>(what: string, schema: S, input: unknown): z.output<S> {
  if (typeof input === 'object' && input !== null && (input as Vouched)[VOUCHED_FOR] === schema)
    return input as z.output<S>;
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(
    what,
    result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
  );
}

/**
 * A frozen copy of `value`, marked as valid for `schema`, so that a port receiving it (the store's
 * `reserve`, say) does not parse it again. For a request core built itself from parts it had
 * already validated, and only when `schema` would answer it unchanged (no defaults, no stripped
 * keys). The mark sits on the copy's prototype, not in its own keys: a spread or a
 * `structuredClone` of it is an ordinary object, parsed as any other; and the copy is frozen, so
 * it cannot change once vouched for. Internal to core: not exported.
 *
 * (A WeakMap of vouched objects was measured first: on the hot path its growth cost more than the
 * parse it saved.)
 */
export function vouch<S extends z.ZodType, T extends z.output<S> & object>(schema: S, value: T): T {
  let prototype = vouchedPrototypes.get(schema);
  if (!prototype) {
    const made: object = Object.freeze(Object.create(Object.prototype, { [VOUCHED_FOR]: { value: schema } }));
    vouchedPrototypes.set(schema, made);
    prototype = made;
  }
  return Object.freeze(Object.assign(Object.create(prototype), value));
}

interface Vouched {
  [VOUCHED_FOR]?: unknown;
}

import type { z } from 'zod';
import { validate } from '../common/validate';

/**
 * The memory adapters' cheap path through validation. Every port call core makes validates its
 * input again in the adapter (a host may call a port directly), and on the in-memory runtime the
 * zod parse of those small requests (ids, instants, counts) cost more than the work they guard.
 *
 * `fastValidator(schema)` reads the schema's definition once and, when it is made only of parts
 * whose checks are simple (strings with a regex or length bounds, numbers with integer and range
 * checks, booleans, enums, literals, optional or nullable ones, and plain objects of such fields),
 * compiles a predicate that accepts a subset of what the schema accepts, and accepts it unchanged
 * (no default, no transform, no coercion). A value the predicate accepts is answered as it is; any
 * other value goes through `validate`, so bad input gets the same ValidationError as before. A
 * schema with anything else (a refinement, a default, a transform…) gets no predicate: every value
 * goes through `validate`.
 *
 * An object answered as it is keeps any unknown keys the parse would have stripped: callers read
 * the schema's fields from it, never store or spread it whole.
 */
export function fastValidator<S extends z.ZodType>(schema: S): (what: string, input: unknown) => z.output<S> {
  const accepts = compile(schema);
  if (!accepts) return (what, input) => validate(what, schema, input);
  return (what, input) => (accepts(input) ? (input as z.output<S>) : validate(what, schema, input));
}

type Predicate = (value: unknown) => boolean;

/** What this module reads of a zod schema's definition (zod 4's `_zod.def`). */
interface Def {
  type: string;
  checks?: Array<{ _zod: { def: CheckDef } }>;
  coerce?: boolean;
  shape?: Record<string, z.ZodType>;
  catchall?: unknown;
  innerType?: z.ZodType;
  element?: z.ZodType;
  entries?: Record<string, unknown>;
  values?: unknown[];
}

interface CheckDef {
  check: string;
  /** A refinement's predicate (`.refine(fn)`); a `.check()` or `.superRefine()` has none here. */
  fn?: (value: unknown) => unknown;
  format?: string;
  pattern?: RegExp;
  value?: unknown;
  inclusive?: boolean;
  minimum?: number;
  maximum?: number;
}

/** How {@link compile} reads a schema. */
export interface CompileOptions {
  /** Inside an object: an object here is nested, and gets no predicate. */
  inObject?: boolean;
  /**
   * Arrays of simple parts get a predicate too, answering the caller's array itself: only for a
   * value the adapter reads during the call and never keeps ({@link fastValidateRead}).
   */
  arrays?: boolean;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/**
 * The predicate for `schema`, or null when some part of it is not simple enough. Objects only at
 * the top, of scalar fields: a value answered as it is then holds nothing the caller could still
 * change under the store (a parse copies arrays and objects; a scalar is a scalar).
 */
export function compile(schema: z.ZodType, options: CompileOptions = {}): Predicate | null {
  const def = defOf(schema);
  if (def.coerce) return null;
  const checks = (def.checks ?? []).map((check) => check._zod.def);
  const inObject = options.inObject ?? false;
  switch (def.type) {
    case 'string':
      return allOf((v) => typeof v === 'string', checks.map(stringCheck));
    case 'number':
      return allOf((v) => typeof v === 'number' && Number.isFinite(v), checks.map(numberCheck));
    case 'array': {
      // only for a value read during the call: the caller's array is answered, not a copy of it
      if (!options.arrays || !def.element) return null;
      const element = compile(def.element, { inObject: true });
      if (!element) return null;
      return allOf((v) => Array.isArray(v) && v.every((item) => element(item)), checks.map(arrayLengthCheck));
    }
    case 'boolean':
      return checks.length === 0 ? (v) => typeof v === 'boolean' : null;
    case 'enum': {
      const allowed = new Set(Object.values(def.entries ?? {}));
      return checks.length === 0 ? (v) => allowed.has(v) : null;
    }
    case 'literal': {
      const allowed = new Set(def.values ?? []);
      return checks.length === 0 ? (v) => allowed.has(v) : null;
    }
    case 'optional': {
      const inner = def.innerType && compile(def.innerType, options);
      return inner && checks.length === 0 ? (v) => v === undefined || inner(v) : null;
    }
    case 'nullable': {
      const inner = def.innerType && compile(def.innerType, options);
      return inner && checks.length === 0 ? (v) => v === null || inner(v) : null;
    }
    case 'object': {
      if (inObject || checks.length > 0 || !def.shape) return null;
      // a strict object refuses unknown keys (zod walks them with for…in): so does the predicate
      const strict = def.catchall !== undefined && defOf(def.catchall as z.ZodType).type === 'never';
      if (def.catchall !== undefined && !strict) return null;
      const known = new Set(Object.keys(def.shape));
      // the keys and their predicates side by side: an indexed loop, no iterator per call
      const keys: string[] = [];
      const accepted: Predicate[] = [];
      for (const [key, field] of Object.entries(def.shape)) {
        const accepts = compile(field, { ...options, inObject: true });
        if (!accepts) return null;
        keys.push(key);
        accepted.push(accepts);
      }
      return (v) => {
        if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
        for (let i = 0; i < keys.length; i++)
          if (!accepted[i]!((v as Record<string, unknown>)[keys[i]!])) return false;
        if (strict) for (const key in v) if (!known.has(key)) return false;
        return true;
      };
    }
    default:
      return null;
  }
}

/** `base` and every check, or null when a check could not be compiled. */
function allOf(base: Predicate, checks: Array<Predicate | null>): Predicate | null {
  if (checks.some((check) => check === null)) return null;
  const [first, second, ...rest] = checks as Predicate[];
  // one or two checks (a safe id's regex, an integer's bounds) are the common case: no loop
  if (!first) return base;
  if (!second) return (v) => base(v) && first(v);
  if (rest.length === 0) return (v) => base(v) && first(v) && second(v);
  return (v) => base(v) && first(v) && second(v) && rest.every((check) => check(v));
}

/**
 * A refinement (`.refine(fn)`): zod calls `fn` with the value and accepts a truthy answer; a
 * promise (an async refinement) is left to the parse, which refuses it in a synchronous one.
 */
function refinement(check: CheckDef): Predicate | null {
  const { fn } = check;
  if (check.check !== 'custom' || typeof fn !== 'function') return null;
  return (v) => {
    const answer = fn(v);
    return !(answer instanceof Promise) && Boolean(answer);
  };
}

/** An array's bounds on its number of items. */
function arrayLengthCheck(check: CheckDef): Predicate | null {
  if (check.check === 'custom') return refinement(check);
  const bound = check.check === 'max_length' ? check.maximum : check.minimum;
  if (typeof bound !== 'number') return null;
  if (check.check === 'max_length') return (v) => (v as unknown[]).length <= bound;
  if (check.check === 'min_length') return (v) => (v as unknown[]).length >= bound;
  return null;
}

function stringCheck(check: CheckDef): Predicate | null {
  if (check.check === 'custom') return refinement(check);
  if (check.check === 'string_format' && check.format === 'regex' && check.pattern) {
    const { pattern } = check;
    if (!pattern.global && !pattern.sticky) return (v) => pattern.test(v as string);
    return (v) => {
      pattern.lastIndex = 0; // as zod does: a global or sticky pattern starts over
      return pattern.test(v as string);
    };
  }
  return lengthCheck(check);
}

/**
 * A length bound. zod counts a string's code points: a string within a maximum in UTF-16 units is
 * within it in code points; a minimum is taken as met only when the code points reach it.
 */
function lengthCheck(check: CheckDef): Predicate | null {
  const bound = check.check === 'max_length' ? check.maximum : check.minimum;
  if (typeof bound !== 'number') return null;
  if (check.check === 'max_length') return (v) => (v as string).length <= bound;
  if (check.check === 'min_length') return (v) => [...(v as string)].length >= bound;
  return null;
}

function numberCheck(check: CheckDef): Predicate | null {
  if (check.check === 'custom') return refinement(check);
  const { value } = check;
  switch (check.check) {
    case 'number_format':
      return check.format === 'safeint' ? (v) => Number.isSafeInteger(v) : null;
    case 'greater_than':
      if (typeof value !== 'number') return null;
      return check.inclusive ? (v) => (v as number) >= value : (v) => (v as number) > value;
    case 'less_than':
      if (typeof value !== 'number') return null;
      return check.inclusive ? (v) => (v as number) <= value : (v) => (v as number) < value;
    default:
      return null;
  }
}

/** Each schema's predicate (null: none), compiled on its first use. */
const predicates = new WeakMap<z.ZodType, Predicate | null>();
/** The same, compiled with arrays, for {@link fastValidateRead}. */
const readPredicates = new WeakMap<z.ZodType, Predicate | null>();

/**
 * `validate(what, schema, input)` with the cheap path of {@link fastValidator}, its predicate
 * compiled on the schema's first use: for the memory adapters' own schemas, passed as constants.
 */
export function fastValidate<S extends z.ZodType>(what: string, schema: S, input: unknown): z.output<S> {
  let accepts = predicates.get(schema);
  if (accepts === undefined) {
    accepts = compile(schema);
    predicates.set(schema, accepts);
  }
  return accepts?.(input) ? (input as z.output<S>) : validate(what, schema, input);
}

/**
 * {@link fastValidate} for an input the adapter only reads during the call and never keeps (a
 * transition's allowed statuses, the ids to mark relayed): arrays of simple parts take the cheap
 * path too, answered as the caller's own array.
 */
export function fastValidateRead<S extends z.ZodType>(what: string, schema: S, input: unknown): z.output<S> {
  let accepts = readPredicates.get(schema);
  if (accepts === undefined) {
    accepts = compile(schema, { arrays: true });
    readPredicates.set(schema, accepts);
  }
  return accepts?.(input) ? (input as z.output<S>) : validate(what, schema, input);
}

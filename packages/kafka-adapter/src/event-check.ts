import type { z } from '@seatrush/core/ports';

/**
 * A zod schema compiled once into a plain predicate for the consumer's hot path. It answers true
 * only for a value the schema accepts AND that zod would hand back unchanged (no key outside the
 * schema, which zod would strip), so the parsed JSON can be used as the event without zod's copy.
 * False means "not sure": the caller parses with zod, which accepts or says why not. A schema
 * using anything this compiler does not know (refinements, transforms, formats other than a
 * regex, …) compiles to `undefined`, and zod does all the work.
 *
 * Why: zod's generic parse was 14 % of the consumer's CPU at 20,000 messages/s, a copy of every
 * event included; these closures do the same checks in a fraction of that.
 */
export type Check = (value: unknown) => boolean;

/** The parts of zod 4's internal definitions read here. */
interface Def {
  type: string;
  checks?: Array<{ _zod: { def: CheckDef } }>;
  shape?: Record<string, Schema>;
  catchall?: unknown;
  element?: Schema;
  innerType?: Schema;
  values?: unknown[];
  entries?: Record<string, unknown>;
  options?: Schema[];
  discriminator?: string;
  [other: string]: unknown;
}
interface CheckDef {
  check: string;
  minimum?: number;
  maximum?: number;
  format?: string;
  pattern?: RegExp;
  value?: number;
  inclusive?: boolean;
  [other: string]: unknown;
}
type Schema = z.ZodType | { _zod: { def: Def } };

/** Keys of a definition that change nothing about which values it accepts. */
const NEUTRAL_KEYS = new Set(['type', 'checks', 'error']);
const NEUTRAL_CHECK_KEYS = new Set(['check', 'abort', 'error', 'type']);

/** The schema as a predicate, or `undefined` when it uses something not compiled here. */
export function compileCheck(schema: Schema): Check | undefined {
  try {
    return compile(defOf(schema));
  } catch (error) {
    if (error === UNSUPPORTED) return undefined;
    throw error;
  }
}

const UNSUPPORTED = Symbol('unsupported');

function defOf(schema: Schema): Def {
  return (schema as { _zod: { def: Def } })._zod.def;
}

/** Throws UNSUPPORTED unless the definition has only `allowed` keys besides the neutral ones. */
function only(def: Def, ...allowed: string[]): void {
  for (const key of Object.keys(def)) {
    if (NEUTRAL_KEYS.has(key) || allowed.includes(key)) continue;
    if (def[key] === undefined) continue;
    throw UNSUPPORTED;
  }
}

function compile(def: Def): Check {
  switch (def.type) {
    case 'string':
      only(def);
      return compileString(def);
    case 'number':
      only(def);
      return compileNumber(def);
    case 'boolean':
      only(def);
      noChecks(def);
      return (v) => typeof v === 'boolean';
    case 'literal': {
      only(def, 'values');
      noChecks(def);
      const values = def.values ?? [];
      return (v) => values.includes(v);
    }
    case 'enum': {
      only(def, 'entries');
      noChecks(def);
      const values = Object.values(def.entries ?? {});
      if (!values.every((v) => typeof v === 'string')) throw UNSUPPORTED;
      return (v) => typeof v === 'string' && values.includes(v);
    }
    case 'optional': {
      only(def, 'innerType');
      noChecks(def);
      const inner = compile(defOf(def.innerType as Schema));
      return (v) => v === undefined || inner(v);
    }
    case 'array': {
      only(def, 'element');
      noChecks(def);
      const element = compile(defOf(def.element as Schema));
      return (v) => Array.isArray(v) && v.every(element);
    }
    case 'object':
      only(def, 'shape');
      noChecks(def);
      return compileObject(def.shape ?? {});
    case 'union':
      only(def, 'options', 'discriminator', 'inclusive');
      noChecks(def);
      return compileDiscriminated(def);
    default:
      throw UNSUPPORTED;
  }
}

function noChecks(def: Def): void {
  if ((def.checks ?? []).length > 0) throw UNSUPPORTED;
}

function checkDefs(def: Def): CheckDef[] {
  return (def.checks ?? []).map((c) => {
    const check = c._zod.def;
    for (const key of Object.keys(check)) {
      if (NEUTRAL_CHECK_KEYS.has(key) || check[key] === undefined) continue;
      // `when` of a length check skips inputs without a length; a string always has one
      if (key === 'when' && (check.check === 'min_length' || check.check === 'max_length')) continue;
      if (!['minimum', 'maximum', 'format', 'pattern', 'value', 'inclusive'].includes(key)) throw UNSUPPORTED;
    }
    return check;
  });
}

function compileString(def: Def): Check {
  let min = 0;
  let max = Number.POSITIVE_INFINITY;
  const patterns: RegExp[] = [];
  for (const check of checkDefs(def)) {
    if (check.check === 'min_length') min = Math.max(min, check.minimum ?? 0);
    else if (check.check === 'max_length') max = Math.min(max, check.maximum ?? max);
    else if (check.check === 'string_format' && check.format === 'regex' && check.pattern instanceof RegExp)
      patterns.push(check.pattern);
    else throw UNSUPPORTED;
  }
  return (v) => {
    if (typeof v !== 'string' || v.length < min || v.length > max) return false;
    for (const pattern of patterns) {
      pattern.lastIndex = 0; // as zod does: a global or sticky pattern starts at the beginning
      if (!pattern.test(v)) return false;
    }
    return true;
  };
}

function compileNumber(def: Def): Check {
  let integer = false;
  let lower = Number.NEGATIVE_INFINITY;
  let lowerInclusive = true;
  for (const check of checkDefs(def)) {
    if (check.check === 'number_format' && check.format === 'safeint') integer = true;
    else if (check.check === 'greater_than' && typeof check.value === 'number') {
      if (check.value > lower || (check.value === lower && !check.inclusive)) {
        lower = check.value;
        lowerInclusive = check.inclusive === true;
      }
    } else throw UNSUPPORTED;
  }
  return (v) =>
    typeof v === 'number' &&
    Number.isFinite(v) &&
    (!integer || Number.isSafeInteger(v)) &&
    (lowerInclusive ? v >= lower : v > lower);
}

function compileObject(shape: Record<string, Schema>): Check {
  const fields = Object.entries(shape).map(([key, schema]) => {
    const def = defOf(schema);
    return { key, optional: def.type === 'optional', check: compile(def) };
  });
  return (v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
    const record = v as Record<string, unknown>;
    let present = 0;
    for (const field of fields) {
      if (!Object.hasOwn(record, field.key)) {
        if (field.optional) continue;
        return false;
      }
      present += 1;
      if (!field.check(record[field.key])) return false;
    }
    // a key outside the shape: zod would strip it, so its output would differ from the input
    return Object.keys(record).length === present;
  };
}

/** A discriminated union: the option named by the discriminator's literal, checked alone. */
function compileDiscriminated(def: Def): Check {
  const discriminator = def.discriminator;
  if (typeof discriminator !== 'string') throw UNSUPPORTED;
  const byValue = new Map<unknown, Check>();
  for (const option of def.options ?? []) {
    const optionDef = defOf(option);
    const tag = optionDef.shape?.[discriminator];
    if (optionDef.type !== 'object' || tag === undefined) throw UNSUPPORTED;
    const tagDef = defOf(tag);
    if (tagDef.type !== 'literal') throw UNSUPPORTED;
    const check = compile(optionDef);
    for (const value of tagDef.values ?? []) {
      if (byValue.has(value)) throw UNSUPPORTED;
      byValue.set(value, check);
    }
  }
  return (v) => {
    if (typeof v !== 'object' || v === null) return false;
    const check = byValue.get((v as Record<string, unknown>)[discriminator]);
    return check?.(v) === true;
  };
}

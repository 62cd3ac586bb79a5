/**
 * A deep copy of plain data (objects whose prototype is `Object.prototype` or null, arrays,
 * primitives), as `structuredClone` makes it: own enumerable string keys in their order, values
 * copied, `undefined` and `-0` kept (arrays are taken as dense, and a value reached twice is copied
 * twice). The memory adapters answer copies of what they store (a
 * caller must not reach the store's state), and their stored values are parsed plain data, which
 * `structuredClone` copies through a serialisation several times slower. Anything else inside (a
 * `Date`, a `Map`, an instance) is given to `structuredClone`; so is a value deeper than
 * {@link MAX_DEPTH}, which also keeps a cycle from running away.
 */
export function copyPlain<T>(value: T): T {
  return copy(value, 0) as T;
}

/** Nesting beyond this goes to `structuredClone` (stored records are a few levels deep). */
const MAX_DEPTH = 32;

function copy(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_DEPTH) return structuredClone(value);
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return structuredClone(value);
    const items = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) items[i] = copy(value[i], depth + 1);
    return items;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return structuredClone(value);
  const copied: Record<string, unknown> = {};
  for (const key of Object.keys(value))
    copied[key] = copy((value as Record<string, unknown>)[key], depth + 1);
  return copied;
}

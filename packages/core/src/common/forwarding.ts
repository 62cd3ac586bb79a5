/**
 * Methods that forward to `target`'s methods of the same names, looked up at each call (a target
 * that is itself a view, such as a store a test wipes and replaces, answers as it is then): the
 * pass-through part of a port built around another, a decorator that changes some methods or a
 * narrower view of a store. A name `target` does not have as a method (an optional one) stays
 * undefined.
 */
export function forwarding<T extends object, K extends keyof T>(target: T, names: readonly K[]): Pick<T, K> {
  const picked: Partial<Record<K, unknown>> = {};
  for (const name of names) {
    if (typeof target[name] !== 'function') continue;
    picked[name] = (...args: unknown[]) =>
      (target[name] as (...args: unknown[]) => unknown).apply(target, args);
  }
  return picked as Pick<T, K>;
}

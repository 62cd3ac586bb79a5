/**
 * `target` with some of its methods replaced: a broken adapter for a test to hand the simulation.
 * The `overrides` answer for their names; every other member is the target's own, its methods
 * bound to it.
 */
export function overriding<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(inner, property, receiver) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof T];
      const value = Reflect.get(inner, property, receiver);
      return typeof value === 'function' ? value.bind(inner) : value;
    },
  });
}

import type { InventoryStore } from '@seatrush/core';
import { expect } from 'vitest';
import { type Check, type Factory, runCheck } from '../src';

// What the tests that break an adapter share: they show that a suite cannot pass a store that is
// wrong in a way real stores are.

/** The check of `checks` whose name contains `fragment`. */
export function check<S>(checks: readonly Check<S>[], fragment: string): Check<S> {
  const found = checks.find((c) => c.name.includes(fragment));
  if (!found) throw new Error(`no check named like "${fragment}"`);
  return found;
}

/** Each named check passes on `good` and throws on `broken`. */
export async function expectCaught<S>(
  good: Factory<S>,
  broken: Factory<S>,
  checks: readonly Check<S>[],
  fragments: string[],
) {
  for (const fragment of fragments) {
    const named = check(checks, fragment);
    await expect(
      runCheck(good, named),
      `"${named.name}" passes on the correct adapter`,
    ).resolves.toBeUndefined();
    await expect(runCheck(broken, named), `"${named.name}" fails on the broken adapter`).rejects.toThrow();
  }
}

/** An InventoryStore that forwards everything: the broken stores override one method. */
export class ForwardingInventory implements InventoryStore {
  constructor(protected readonly inner: InventoryStore) {}
  load: InventoryStore['load'] = (s) => this.inner.load(s);
  isWarm: InventoryStore['isWarm'] = (s) => this.inner.isWarm(s);
  reserve: InventoryStore['reserve'] = (r) => this.inner.reserve(r);
  extend: InventoryStore['extend'] = (i) => this.inner.extend(i);
  release: InventoryStore['release'] = (i) => this.inner.release(i);
  confirm: InventoryStore['confirm'] = (i) => this.inner.confirm(i);
  compensate: InventoryStore['compensate'] = (i) => this.inner.compensate(i);
  expireDue: InventoryStore['expireDue'] = (i) => this.inner.expireDue(i);
  getHold: InventoryStore['getHold'] = (s, r) => this.inner.getHold(s, r);
  counts: InventoryStore['counts'] = (s) => this.inner.counts(s);
  seatStates: InventoryStore['seatStates'] = (s) => this.inner.seatStates(s);
  repair: InventoryStore['repair'] = (t) => this.inner.repair(t);
  unrelayed: InventoryStore['unrelayed'] = (i) => this.inner.unrelayed(i);
  markRelayed: InventoryStore['markRelayed'] = (i) => this.inner.markRelayed(i);
}

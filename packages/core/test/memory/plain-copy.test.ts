import { describe, expect, it } from 'vitest';
import { copyPlain } from '../../src/memory/plain-copy';

// The memory adapters answer copies of what they keep: copyPlain must copy as structuredClone does.

describe('copyPlain', () => {
  it('copies plain data deeply, as structuredClone does', () => {
    const sale = {
      id: 's-1',
      opensAt: 0,
      missing: undefined,
      zero: -0,
      nothing: null,
      flags: [true, false],
      inventory: {
        kind: 'assigned',
        sections: [{ id: 'A', rows: [{ id: 'R1', seats: [{ id: 'A-1-1' }] }] }],
      },
    };
    const copied = copyPlain(sale);
    expect(copied).toStrictEqual(structuredClone(sale));
    expect(Object.keys(copied)).toEqual(Object.keys(sale));
    expect(Object.is(copied.zero, -0)).toBe(true);
    expect('missing' in copied).toBe(true);
    copied.inventory.sections[0]!.rows[0]!.seats[0]!.id = 'changed';
    copied.flags.push(true);
    expect(sale.inventory.sections[0]!.rows[0]!.seats[0]!.id, 'nothing shared with the original').toBe(
      'A-1-1',
    );
    expect(sale.flags).toEqual([true, false]);
  });

  it('gives what is not plain data to structuredClone: dates, maps, null-prototype objects copied as plain ones', () => {
    const at = new Date(5);
    const value = { at, seen: new Map([['a', 1]]), bare: Object.assign(Object.create(null), { a: 1 }) };
    const copied = copyPlain(value);
    expect(copied).toStrictEqual(structuredClone(value));
    expect(copied.at).not.toBe(at);
    expect(copied.at.getTime()).toBe(5);
  });

  it('copies a cycle without running away', () => {
    const looped: { self?: unknown; name: string } = { name: 'a' };
    looped.self = looped;
    const copied = copyPlain(looped) as { self: unknown };
    expect(copied).not.toBe(looped);
    expect(copied.self).not.toBe(looped);
  });
});

import { describe, expect, it } from 'vitest';
import { type DomainEvent, type ReserveRequest, ValidationError } from '../../src';
import { ReserveRequest as ReserveRequestSchema, validate } from '../../src/subpaths/ports';
import { Reservations } from '../../src/subpaths/services';
import { generalSale } from './fixtures';
import { servicesFor, withOverrides } from './harness';

/**
 * The hot path validates the host's input once: the request core builds from it reaches the store
 * vouched for, and the store's `validate` answers it without parsing it again. What core cannot
 * vouch for (an id from the host's generator, the clock's time) is still checked, with the same
 * ValidationError as before.
 */
describe('a reserve validates its input once', () => {
  /** Services whose store records each request it gets. */
  async function recording(overrides: Partial<ConstructorParameters<typeof Reservations>[0]> = {}) {
    const s = await servicesFor(generalSale({ capacity: 10 }));
    const seen: ReserveRequest[] = [];
    const inventory = withOverrides(s.inventory, {
      reserve: (request: ReserveRequest) => {
        seen.push(request);
        return s.inventory.reserve(request);
      },
    });
    const reservations = new Reservations({
      sale: generalSale({ capacity: 10 }),
      inventory,
      publisher: s.bus,
      clock: s.clock,
      alerts: s.alerts,
      requireAdmission: false,
      ...overrides,
    });
    return { s, seen, reservations };
  }

  it('hands the store a frozen request that validate() answers as is; a copy of it is parsed', async () => {
    const { seen, reservations } = await recording();
    const result = await reservations.reserve({
      userId: 'alice',
      idempotencyKey: 'k1',
      selection: { kind: 'quantity', quantity: 1 },
    });
    expect(result).toMatchObject({ ok: true, code: 'ACCEPTED' });
    const request = seen[0]!;
    expect(Object.isFrozen(request)).toBe(true);
    expect(validate('reserve request', ReserveRequestSchema, request)).toBe(request);
    const copy = { ...request };
    const parsed = validate('reserve request', ReserveRequestSchema, copy);
    expect(parsed).not.toBe(copy);
    expect(parsed).toEqual(copy);
    // a copy carries no mark: changed, it is refused as any host's request is
    expect(() => validate('reserve request', ReserveRequestSchema, { ...request, now: -1 })).toThrow(
      ValidationError,
    );
  });

  it("refuses a bad id from the host's generator with the store request's ValidationError, holding nothing", async () => {
    const { s, seen, reservations } = await recording({ newReservationId: () => 'not a safe id' });
    const error = await reservations
      .reserve({ userId: 'alice', idempotencyKey: 'k1', selection: { kind: 'quantity', quantity: 1 } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toContain('reserve request');
    expect(seen).toHaveLength(0);
    expect(await s.inventory.counts(s.saleId)).toMatchObject({ available: 10, held: 0 });
  });

  it('refuses a time the clock got wrong with a ValidationError, holding nothing', async () => {
    const { s, reservations } = await recording({ clock: { now: () => 1.5 } });
    await expect(
      reservations.reserve({
        userId: 'alice',
        idempotencyKey: 'k1',
        selection: { kind: 'quantity', quantity: 1 },
      }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(await s.inventory.counts(s.saleId)).toMatchObject({ available: 10, held: 0 });
  });
});

describe('the relay hands over the holds of one turn together', () => {
  it('publishes holds made side by side in fewer calls than holds, and relays every one', async () => {
    const s = await servicesFor(generalSale({ capacity: 10 }));
    const batches: DomainEvent[][] = [];
    const publisher = withOverrides(s.bus, {
      publish: (events: DomainEvent[]) => {
        batches.push(events);
        return s.bus.publish(events);
      },
    });
    const reservations = new Reservations({
      sale: generalSale({ capacity: 10 }),
      inventory: s.inventory,
      publisher,
      clock: s.clock,
      alerts: s.alerts,
      requireAdmission: false,
    });
    const users = ['a', 'b', 'c', 'd', 'e'];
    const results = await Promise.all(
      users.map((userId) =>
        reservations.reserve({
          userId,
          idempotencyKey: `k-${userId}`,
          selection: { kind: 'quantity', quantity: 1 },
        }),
      ),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    expect(batches.length).toBeLessThan(users.length);
    for (const result of results) if (result.ok) expect(s.requested(result.reservationId)).toBeDefined();
    expect(await s.inventory.unrelayed({ saleId: s.saleId, enqueuedUpTo: s.clock.now(), limit: 10 })).toEqual(
      [],
    );
  });
});

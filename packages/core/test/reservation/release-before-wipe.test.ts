import { describe, expect, it } from 'vitest';
import type { ReservationRepository } from '../../src/ports/reservation-repository';
import { ReservationProcessor } from '../../src/reservation/processor';
import { Reservations } from '../../src/reservation/reservations';
import { requestedRow } from '../../src/reservation/settlement';
import { RebuildService } from '../../src/stock/rebuild';
import { generalSale } from '../services/fixtures';
import { servicesFor, wipeableStore, withOverrides } from '../services/harness';

// Issue 20: a buyer releases a hold, the release's event has not reached the row (still in
// flight in the source of truth, or not yet written), and the store is wiped. The rebuild reads
// the rows in flight, and the worker holds again a hold missing from a rebuilt sale: without a
// record of the release in the source of truth the seat the buyer gave up came back held, and the
// auto-pay worker charged it (docs/design.md §Rebuild of a lost sale).

/** The auto-pay services of a 3-unit sale over a wipeable store, releases recorded in the repository. */
async function sale(repository?: (real: ReservationRepository) => ReservationRepository) {
  const s = await servicesFor(generalSale({ capacity: 3 }));
  const { store, wipe } = wipeableStore(s.inventory);
  const truth = repository ? repository(s.repository) : s.repository;
  const reservations = new Reservations({
    sale: generalSale({ capacity: 3 }),
    inventory: store,
    publisher: s.bus,
    clock: s.clock,
    alerts: s.alerts,
    requireAdmission: false,
    repository: truth,
  });
  const processor = new ReservationProcessor({
    inventory: store,
    repository: truth,
    payments: s.payments,
    publisher: s.bus,
    alerts: s.alerts,
    clock: s.clock,
  });
  const rebuild = new RebuildService({ repository: truth, inventory: store, clock: s.clock });
  const hold = async (userId: string) => {
    const held = await reservations.reserve({
      userId,
      idempotencyKey: `k-${userId}`,
      selection: { kind: 'quantity', quantity: 1 },
    });
    if (!held.ok) throw new Error(held.code);
    return { reservationId: held.reservationId, event: s.requested(held.reservationId) };
  };
  /** What the worker writes when it meets the hold's event: the row, REQUESTED. */
  const recordRow = async (reservationId: string) => {
    const event = s.requested(reservationId);
    await s.repository.insertMany([requestedRow(event, event.occurredAt)]);
  };
  return { ...s, store, wipe, reservations, processor, rebuild, hold, recordRow };
}

/** The reservation failed as released, nobody was charged, and the sale's 3 units are all back. */
async function expectFailedUncharged(s: Awaited<ReturnType<typeof sale>>, reservationId: string) {
  expect(await s.repository.get(reservationId)).toMatchObject({
    status: 'FAILED',
    failureReason: 'HOLD_RELEASED',
  });
  expect(s.payments.charges()).toEqual([]);
  expect(await s.store.counts(s.saleId)).toMatchObject({ available: 3, held: 0, confirmed: 0 });
}

describe('a hold released just before the store is wiped stays released', () => {
  it('row in flight: the rebuild leaves it out, the worker fails it HOLD_RELEASED, nothing charged', async () => {
    const s = await sale();
    const { reservationId, event } = await s.hold('alice');
    await s.recordRow(reservationId);
    expect(await s.reservations.releaseHold({ userId: 'alice', reservationId })).toMatchObject({ ok: true });
    s.wipe();

    expect(await s.rebuild.rebuildIfCold(s.saleId)).toMatchObject({
      outcome: 'RESTORED',
      holdsRestored: 0,
      holdsLeftOut: 1,
      holdsReleased: 1,
    });
    expect(await s.store.counts(s.saleId)).toMatchObject({ available: 3, held: 0, confirmed: 0 });
    expect(await s.store.getHold(s.saleId, reservationId)).toBeNull();

    // the worker, still owing the row its settlement, meets the hold missing from a rebuilt sale
    await s.processor.handle(event);
    await expectFailedUncharged(s, reservationId);
  });

  it('row not yet written: the worker does not hold it again from its event', async () => {
    const s = await sale();
    const { reservationId, event } = await s.hold('bob');
    expect(await s.reservations.releaseHold({ userId: 'bob', reservationId })).toMatchObject({ ok: true });
    s.wipe();
    expect(await s.rebuild.rebuildIfCold(s.saleId)).toMatchObject({ outcome: 'RESTORED', holdsRestored: 0 });

    await s.processor.handle(event);
    expect(await s.store.getHold(s.saleId, reservationId)).toBeNull();
    await expectFailedUncharged(s, reservationId);
  });

  it('wiped and rebuilt between the release and its record: the release looks again and releases the hold', async () => {
    const late: { sale?: Awaited<ReturnType<typeof sale>> } = {};
    const s = await sale((real) =>
      withOverrides(real, {
        // the store is lost and rebuilt while the record is on its way
        recordRelease: async (release) => {
          late.sale!.wipe();
          expect(await late.sale!.rebuild.rebuildIfCold(release.saleId)).toMatchObject({ holdsRestored: 1 });
          await real.recordRelease!(release);
        },
      }),
    );
    late.sale = s;
    const { reservationId } = await s.hold('carol');
    await s.recordRow(reservationId);
    expect(await s.reservations.releaseHold({ userId: 'carol', reservationId })).toMatchObject({ ok: true });
    expect(await s.store.getHold(s.saleId, reservationId)).toMatchObject({ status: 'RELEASED' });
    expect(await s.store.counts(s.saleId)).toMatchObject({ available: 3, held: 0 });
  });

  it('a record that lands while the rebuild runs: the rebuild releases again what it restored', async () => {
    let firstRead = true;
    const s = await sale((real) =>
      withOverrides(real, {
        // the rebuild's first read comes before the record
        listReleased: async (saleId, ids) => {
          if (firstRead) {
            firstRead = false;
            return [];
          }
          return real.listReleased!(saleId, ids);
        },
      }),
    );
    const { reservationId } = await s.hold('dave');
    await s.recordRow(reservationId);
    await s.reservations.releaseHold({ userId: 'dave', reservationId });
    s.wipe();
    expect(await s.rebuild.rebuildIfCold(s.saleId)).toMatchObject({
      outcome: 'RESTORED',
      holdsRestored: 0,
      holdsReleased: 1,
    });
    expect(await s.store.getHold(s.saleId, reservationId)).toMatchObject({ status: 'RELEASED' });
    expect(await s.store.counts(s.saleId)).toMatchObject({ available: 3, held: 0 });
  });

  it('a record that lands while the worker holds it again: the worker releases it again, HOLD_RELEASED', async () => {
    // the buyer's release is recorded just after the worker's first read of the releases (and
    // looked at the store before the hold was back: it was answered)
    let recordLater: (() => Promise<void>) | undefined;
    const s = await sale((real) =>
      withOverrides(real, {
        recordRelease: async (release) => {
          recordLater = () => real.recordRelease!(release);
        },
        listReleased: async (saleId, ids) => {
          const answer = await real.listReleased!(saleId, ids);
          await recordLater?.();
          return answer;
        },
      }),
    );
    const { reservationId, event } = await s.hold('frank');
    await s.reservations.releaseHold({ userId: 'frank', reservationId });
    s.wipe();
    expect(await s.rebuild.rebuildIfCold(s.saleId)).toMatchObject({ outcome: 'RESTORED', holdsRestored: 0 });

    await s.processor.handle(event);
    // failed, then compensated (a no-op: the released hold's units are back already)
    expect(await s.repository.get(reservationId)).toMatchObject({
      status: 'COMPENSATED',
      failureReason: 'HOLD_RELEASED',
    });
    expect(await s.store.getHold(s.saleId, reservationId)).toMatchObject({ status: 'RELEASED' });
    expect(await s.store.counts(s.saleId)).toMatchObject({ available: 3, held: 0, confirmed: 0 });
    expect(s.payments.charges()).toEqual([]);
  });

  it.each([
    { retry: 'release', again: 'releaseHold' as const, answer: { ok: true, hold: { status: 'RELEASED' } } },
    { retry: 'cancel', again: 'cancel' as const, answer: { ok: false, code: 'ALREADY_CANCELLED' } },
  ])(
    'a release the source of truth cannot record is not answered; its retry ($retry) records it',
    async ({ again, answer }) => {
      let down = true;
      const s = await sale((real) =>
        withOverrides(real, {
          recordRelease: async (release) => {
            if (down) throw new Error('PostgreSQL is down');
            await real.recordRelease!(release);
          },
        }),
      );
      const { reservationId, event } = await s.hold('erin');
      await expect(s.reservations.releaseHold({ userId: 'erin', reservationId })).rejects.toThrow(
        'PostgreSQL is down',
      );
      // released in the store all the same, not recorded
      expect(await s.store.getHold(s.saleId, reservationId)).toMatchObject({ status: 'RELEASED' });
      expect(await s.repository.listReleased(s.saleId, [reservationId])).toEqual([]);
      // another user's retry records nothing
      expect(await s.reservations.releaseHold({ userId: 'mallory', reservationId })).toMatchObject({
        ok: false,
      });
      expect(await s.repository.listReleased(s.saleId, [reservationId])).toEqual([]);

      down = false;
      expect(await s.reservations[again]({ userId: 'erin', reservationId })).toMatchObject(answer);
      expect(await s.repository.listReleased(s.saleId, [reservationId])).toEqual([reservationId]);
      // so the wipe that follows brings nothing back
      s.wipe();
      expect(await s.rebuild.rebuildIfCold(s.saleId)).toMatchObject({ holdsRestored: 0 });
      await s.processor.handle(event);
      expect(await s.repository.get(reservationId)).toMatchObject({ failureReason: 'HOLD_RELEASED' });
      expect(await s.store.counts(s.saleId)).toMatchObject({ available: 3, held: 0, confirmed: 0 });
    },
  );
});

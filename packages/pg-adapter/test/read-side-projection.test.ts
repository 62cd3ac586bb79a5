import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeContributions as mergeBoth, reservationContributions } from '../src/read-side/projection';
import { seatedScenario, shuffled } from './read-side-scenario';

const byId = (events: Parameters<typeof reservationContributions>[0]) =>
  new Map(reservationContributions(events).map((c) => [c.reservationId, c]));

describe('the read side projection, in memory', () => {
  it('merges a reservation’s events into the same row whatever their order or grouping', () => {
    const scenario = seatedScenario('s1', { seats: 6, rounds: 3, partitions: 3, seed: 42 });
    const inOrder = byId(scenario.events);
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 12 }), (seed, group) => {
        const events = shuffled(scenario.events, seed);
        // merged in groups, then the groups' rows merged: as batches then the upsert do
        const groups = Array.from({ length: Math.ceil(events.length / group) }, (_, i) =>
          reservationContributions(events.slice(i * group, (i + 1) * group)),
        );
        const merged = new Map<string, ReturnType<typeof reservationContributions>[number]>();
        for (const rows of groups) {
          for (const row of rows) {
            const known = merged.get(row.reservationId);
            merged.set(row.reservationId, known ? mergeBoth(known, row) : row);
          }
        }
        expect(byId(events)).toEqual(inOrder);
        expect(merged).toEqual(inOrder);
      }),
      { numRuns: 100 },
    );
  });

  it('merges idempotently: a replayed event merged again changes no reservation row', () => {
    // the projector merges every event of a batch, replayed ones included (only the counters are
    // gated on read_events): this is what makes that safe
    const scenario = seatedScenario('s1', { seats: 6, rounds: 3, partitions: 3, seed: 5 });
    const inOrder = byId(scenario.events);
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: scenario.events.length }), (seed, cut) => {
        const events = shuffled(scenario.events, seed);
        // everything applied, then a random part of the stream merged again, event by event
        const merged = new Map(inOrder);
        for (const replayed of reservationContributions(events.slice(0, cut))) {
          const known = merged.get(replayed.reservationId);
          merged.set(replayed.reservationId, known ? mergeBoth(known, replayed) : replayed);
        }
        for (const event of events.slice(cut)) {
          for (const replayed of reservationContributions([event])) {
            const known = merged.get(replayed.reservationId);
            merged.set(replayed.reservationId, known ? mergeBoth(known, replayed) : replayed);
          }
        }
        expect(merged).toEqual(inOrder);
      }),
      { numRuns: 100 },
    );
  });

  it('takes the furthest state: a late confirmation wins over an expiry, an expiry never undoes a sale', () => {
    const scenario = seatedScenario('s1', { seats: 8, rounds: 2, partitions: 3, seed: 7 });
    const rows = byId(scenario.events);
    for (const reservation of scenario.reservations) {
      expect(rows.get(reservation.reservationId)?.state).toBe(reservation.ending);
      expect(rows.get(reservation.reservationId)?.userId).toBe(reservation.userId);
    }
  });
});

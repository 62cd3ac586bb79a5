import type { DomainEvent, HoldRecord } from '@seatrush/core';
import {
  holdExpired,
  holdStockChanged,
  reservationConfirmed,
  reservationEventId,
  reservationFailed,
  reservationRequested,
  stockChanged,
} from '@seatrush/core/ports';

/** How a scenario reservation ends. */
export type Ending = 'CONFIRMED' | 'EXPIRED' | 'FAILED' | 'RELEASED' | 'HELD';

/** A seated sale's stream: every seat is held in turn by several buyers, each ending differently. */
export interface Scenario {
  saleId: string;
  events: DomainEvent[];
  /** The expected final seat map (seats no reservation named are absent). */
  seats: Map<string, { state: 'AVAILABLE' | 'HELD' | 'SOLD'; userId: string | null }>;
  reservations: Array<{ reservationId: string; userId: string; seatId: string; ending: Ending }>;
  /** Partition (0…partitions-1) of each event, by its key as Kafka's would be. */
  partitionOf(event: DomainEvent): number;
}

/** A deterministic pseudo-random sequence (mulberry32). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hash = (text: string) => [...text].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0, 7);

/**
 * `seats` seats, `rounds` reservations per seat one after the other: every round but the last ends
 * EXPIRED, FAILED or RELEASED (the seat comes back); the last ends as `finalEnding(seat)`.
 */
export function seatedScenario(
  saleId: string,
  input: { seats: number; rounds: number; partitions: number; seed: number },
): Scenario {
  const next = random(input.seed);
  const events: DomainEvent[] = [
    stockChanged({ saleId, reason: 'WARMED', delta: input.seats, confirmedDelta: 0, seatIds: [], now: 0 }),
  ];
  const seats: Scenario['seats'] = new Map();
  const reservations: Scenario['reservations'] = [];
  let clock = 60_000;
  for (let s = 1; s <= input.seats; s += 1) {
    const seatId = `A${s}`;
    for (let round = 0; round < input.rounds; round += 1) {
      const last = round === input.rounds - 1;
      const endings: Ending[] = last ? ['CONFIRMED', 'HELD', 'EXPIRED'] : ['EXPIRED', 'FAILED', 'RELEASED'];
      const ending = endings[Math.floor(next() * endings.length)] as Ending;
      const userId = `u${Math.floor(next() * 7)}`;
      const reservationId = `${saleId}-${seatId}-${round}`;
      clock += 1_000 + Math.floor(next() * 30_000);
      const hold: HoldRecord = {
        reservationId,
        saleId,
        userId,
        idempotencyKey: `k-${reservationId}`,
        quantity: 1,
        seatIds: [seatId],
        status: 'HELD',
        heldAt: clock,
        expiresAt: clock + 300_000,
      };
      events.push(
        {
          ...({
            eventId: `adm-${reservationId}`,
            type: 'UserAdmitted',
            version: 1,
            saleId,
            key: userId,
            occurredAt: clock - 500,
          } as const),
          payload: { userId, ticket: s * 10 + round + 1, until: clock + 600_000 },
        },
        holdStockChanged(hold, 'HELD', clock, reservationEventId(reservationId, 'stock-held')),
        reservationRequested(hold, 7_500, clock),
      );
      const end = clock + 1_000 + Math.floor(next() * 20_000);
      clock = end;
      if (ending === 'CONFIRMED') {
        events.push(
          holdStockChanged(hold, 'CONFIRMED', end, reservationEventId(reservationId, 'stock-confirmed')),
          reservationConfirmed(hold, `pay-${reservationId}`, 7_500, end),
        );
      } else if (ending === 'EXPIRED') {
        events.push(
          holdExpired(hold, end),
          holdStockChanged(hold, 'EXPIRED', end, `exp-stock-${reservationId}`),
        );
      } else if (ending === 'FAILED') {
        events.push(
          reservationFailed(hold, 'PAYMENT_DECLINED', true, end),
          holdStockChanged(hold, 'COMPENSATED', end, reservationEventId(reservationId, 'stock-compensated')),
        );
      } else if (ending === 'RELEASED') {
        events.push(holdStockChanged(hold, 'RELEASED', end, `rel-stock-${reservationId}`));
      }
      reservations.push({ reservationId, userId, seatId, ending });
      if (last) {
        const state = ending === 'CONFIRMED' ? 'SOLD' : ending === 'HELD' ? 'HELD' : 'AVAILABLE';
        seats.set(seatId, { state, userId: state === 'AVAILABLE' ? null : userId });
      }
    }
  }
  return {
    saleId,
    events,
    seats,
    reservations,
    partitionOf: (event) => hash(event.key) % input.partitions,
  };
}

/**
 * The events as a consumer of `partitions` partitions could see them: each partition in its own
 * order, the partitions interleaved at random, cut into batches of random size (1…maxBatch) that
 * never mix partitions, as a consumer's batches do.
 */
export function deliveries(scenario: Scenario, seed: number, maxBatch = 20): DomainEvent[][] {
  const next = random(seed);
  const queues = new Map<number, DomainEvent[]>();
  for (const event of scenario.events) {
    const p = scenario.partitionOf(event);
    queues.set(p, [...(queues.get(p) ?? []), event]);
  }
  const batches: DomainEvent[][] = [];
  while (queues.size > 0) {
    const partitions = [...queues.keys()];
    const p = partitions[Math.floor(next() * partitions.length)] as number;
    const queue = queues.get(p) as DomainEvent[];
    batches.push(queue.splice(0, 1 + Math.floor(next() * maxBatch)));
    if (queue.length === 0) queues.delete(p);
  }
  return batches;
}

/** Every event in a random order, ignoring partitions (stronger than any real delivery). */
export function shuffled(events: DomainEvent[], seed: number): DomainEvent[] {
  const next = random(seed);
  const out = [...events];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j] as DomainEvent, out[i] as DomainEvent];
  }
  return out;
}

import type {
  DistributedLock,
  EventConsumer,
  HoldRecord,
  IdempotencyClaim,
  IdempotencyStore,
  InventoryStore,
  RateLimiter,
  ReservationRepository,
  ReserveOutcome,
  ReserveRequest,
  WaitingRoomStore,
} from '@seatrush/core';
import {
  MemoryDistributedLock,
  MemoryEventBus,
  MemoryIdempotencyStore,
  MemoryInventoryStore,
  MemoryRateLimiter,
  MemoryReservationRepository,
  MemoryWaitingRoomStore,
} from '@seatrush/core/memory';
import { newHold } from '@seatrush/core/ports';
import fc from 'fast-check';
import { beforeAll, describe, it } from 'vitest';
import {
  distributedLockChecks,
  type EventBusSubject,
  eventBusChecks,
  type Factory,
  holdOutboxChecks,
  type InventoryStoreSubject,
  idempotencyStoreChecks,
  inventoryStoreChecks,
  pipelineChecks,
  rateLimiterChecks,
  reservationRepositoryChecks,
  waitingRoomStoreChecks,
} from '../src';
import { expectCaught, ForwardingInventory } from './broken-stores';
import { memoryPipeline } from './memory-pipeline';

// A suite that cannot fail proves nothing. Each test below breaks one adapter the way real adapters
// break (a missing check, a read-modify-write race, a replay that is not one…) and shows that the
// named checks pass on the correct adapter and throw on the broken one.

/**
 * Holds without writing the outbox entry (as a store would that leaves publishing to the caller):
 * a process that dies after the hold leaves a held seat the pipeline never hears of.
 */
class OutboxlessInventory extends ForwardingInventory {
  override reserve: InventoryStore['reserve'] = async (request) => {
    const outcome = await this.inner.reserve(request);
    if (outcome.ok && !outcome.replayed) {
      await this.inner.markRelayed({ saleId: request.saleId, reservationIds: [outcome.hold.reservationId] });
    }
    return outcome;
  };
}

function fakeHold(request: ReserveRequest): ReserveOutcome {
  const seatIds = request.selection.kind === 'seats' ? request.selection.seatIds : [];
  const quantity = request.selection.kind === 'seats' ? seatIds.length : request.selection.quantity;
  return { ok: true, code: 'HELD', hold: newHold(request, quantity, seatIds), replayed: false };
}

/** Lets a second owner "hold" a taken seat: answers HELD where it should answer SEAT_TAKEN. */
class DoubleBookingInventory extends ForwardingInventory {
  override reserve: InventoryStore['reserve'] = async (request) => {
    const outcome = await this.inner.reserve(request);
    return !outcome.ok && outcome.code === 'SEAT_TAKEN' ? fakeHold(request) : outcome;
  };
}

/** Skips the stock check: answers HELD where it should answer SOLD_OUT. */
class OversellingInventory extends ForwardingInventory {
  override reserve: InventoryStore['reserve'] = async (request) => {
    const outcome = await this.inner.reserve(request);
    return !outcome.ok && outcome.code === 'SOLD_OUT' ? fakeHold(request) : outcome;
  };
}

/** Forgets idempotency: a replay is answered as a new request would be. */
class ForgetfulInventory extends ForwardingInventory {
  override reserve: InventoryStore['reserve'] = async (request) => {
    const outcome = await this.inner.reserve(request);
    return outcome.ok && outcome.replayed ? fakeHold(request) : outcome;
  };
}

/**
 * Clears a hold's idempotency key when the hold is released or compensated (the Redis scripts did
 * until issue 17's replay finding): a replay after that runs as a new request, so it holds again or
 * is refused SEAT_TAKEN for the seat another buyer took since.
 */
class KeyClearingInventory extends ForwardingInventory {
  readonly #cleared = new Map<string, number>();
  override reserve: InventoryStore['reserve'] = async (request) => {
    const round = this.#cleared.get(request.idempotencyKey);
    return this.inner.reserve(
      round === undefined ? request : { ...request, idempotencyKey: `${request.idempotencyKey}.${round}` },
    );
  };
  #clear = (hold: HoldRecord) => {
    const base = hold.idempotencyKey.replace(/\.\d+$/, '');
    this.#cleared.set(base, (this.#cleared.get(base) ?? 0) + 1);
  };
  override release: InventoryStore['release'] = async (input) => {
    const outcome = await this.inner.release(input);
    if (outcome.ok) this.#clear(outcome.hold);
    return outcome;
  };
  override compensate: InventoryStore['compensate'] = async (input) => {
    const outcome = await this.inner.compensate(input);
    if (outcome.ok) this.#clear(outcome.hold);
    return outcome;
  };
}

/** Answers success to extend without extending: a subtle bug only a later expiry reveals. */
class LazyExtendInventory extends ForwardingInventory {
  override extend: InventoryStore['extend'] = async (input) => {
    const hold = await this.inner.getHold(input.saleId, input.reservationId);
    if (!hold || hold.userId !== input.userId || hold.status !== 'HELD' || hold.expiresAt <= input.now) {
      return this.inner.extend(input);
    }
    return { ok: true, hold: { ...hold, expiresAt: input.now + input.holdMs } };
  };
}

/** Racing sweepers each get the due holds: a hold's stock would be returned more than once. */
class DoubleExpiringInventory extends ForwardingInventory {
  #lastBatch: HoldRecord[] = [];
  override expireDue: InventoryStore['expireDue'] = async (input) => {
    const batch = await this.inner.expireDue(input);
    if (batch.length > 0) this.#lastBatch = batch;
    return batch.length > 0 ? batch : [...this.#lastBatch];
  };
}

function inventoryFactory(wrap: (inner: InventoryStore) => InventoryStore): Factory<InventoryStoreSubject> {
  return async () => {
    const waitingRoom = new MemoryWaitingRoomStore();
    return { inventory: wrap(new MemoryInventoryStore({ waitingRoom })), waitingRoom };
  };
}

const goodInventory = inventoryFactory((inner) => inner);

/** Lets the event loop run other calls in between: a network round trip in miniature. */
const roundTrip = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('the conformance suites fail broken adapters', { timeout: 90_000 }, () => {
  // The model-based checks draw random sequences; a fixed seed makes "it finds the bug" repeatable.
  beforeAll(() => fc.configureGlobal({ seed: 20_261_124 }));

  // Each broken InventoryStore, and the checks that must catch it.
  for (const { catches, broken, checks, withOutbox } of [
    {
      catches: 'catches two owners holding one seat',
      broken: DoubleBookingInventory,
      checks: ['refuses SEAT_TAKEN', 'never holds a seat twice'],
    },
    {
      catches: 'catches a store that skips the stock check',
      broken: OversellingInventory,
      checks: ['refuses SOLD_OUT', 'never sells more than the stock'],
    },
    {
      catches: 'catches a replayed key answered as a new request',
      broken: ForgetfulInventory,
      checks: ['returns the original outcome', 'same idempotency key'],
    },
    {
      catches: 'catches a key cleared when its hold is released or compensated',
      broken: KeyClearingInventory,
      checks: [
        'releases a hold',
        'compensates once',
        'a key whose hold ended',
        'replays racing the compensation',
      ],
    },
    {
      catches: 'the model-based check catches an extend that does not extend',
      broken: LazyExtendInventory,
      checks: ['reference model'],
    },
    {
      catches: 'catches racing sweepers expiring a hold twice',
      broken: DoubleExpiringInventory,
      checks: ['racing sweepers'],
    },
    {
      catches: 'catches a hold written without its outbox entry',
      broken: OutboxlessInventory,
      checks: ['outbox: each new hold is written once'],
      withOutbox: true,
    },
  ]) {
    it(`InventoryStore: ${catches}`, async () => {
      const suite = withOutbox ? [...inventoryStoreChecks, ...holdOutboxChecks] : inventoryStoreChecks;
      await expectCaught(
        goodInventory,
        inventoryFactory((i) => new broken(i)),
        suite,
        checks,
      );
    });
  }

  it('WaitingRoomStore: catches a ticket counter read and written in two steps', async () => {
    class RacyTickets extends MemoryWaitingRoomStore {
      readonly #tickets = new Map<string, number>();
      override join: WaitingRoomStore['join'] = async (input) => {
        const joined = await super.join(input);
        if (joined.alreadyJoined) return joined;
        // GET, then SET after a round trip: two joiners read the same counter.
        const last = this.#tickets.get(input.saleId) ?? 0;
        await roundTrip();
        this.#tickets.set(input.saleId, last + 1);
        return { ...joined, entry: { ...joined.entry, ticket: last + 1 } };
      };
    }
    await expectCaught(
      async () => ({ waitingRoom: new MemoryWaitingRoomStore() }),
      async () => ({ waitingRoom: new RacyTickets() }),
      waitingRoomStoreChecks,
      ['400 concurrent joins'],
    );
  });

  it('IdempotencyStore: catches a claim that checks and sets in two steps', async () => {
    class RacyClaims implements IdempotencyStore {
      readonly #inner = new MemoryIdempotencyStore();
      readonly #seen = new Set<string>();
      async claim<T>(input: Parameters<IdempotencyStore['claim']>[0]): Promise<IdempotencyClaim<T>> {
        const id = `${input.scope}/${input.key}`;
        const seen = this.#seen.has(id);
        await roundTrip();
        this.#seen.add(id);
        return seen ? this.#inner.claim<T>(input) : { state: 'claimed' };
      }
      complete: IdempotencyStore['complete'] = (input) => this.#inner.complete(input);
      abandon: IdempotencyStore['abandon'] = (input) => this.#inner.abandon(input);
    }
    await expectCaught(
      async () => ({ store: new MemoryIdempotencyStore() }),
      async () => ({ store: new RacyClaims() }),
      idempotencyStoreChecks,
      ['exactly one of 200 concurrent claims'],
    );
  });

  it('RateLimiter: catches a limiter that reads tokens and writes them back in two steps', async () => {
    class RacyLimiter implements RateLimiter {
      readonly #inner = new MemoryRateLimiter();
      readonly #used = new Map<string, number>();
      consume: RateLimiter['consume'] = async (input) => {
        if (input.policy.kind !== 'token-bucket') return this.#inner.consume(input);
        const used = this.#used.get(input.key) ?? 0;
        await roundTrip();
        const allowed = used < input.policy.capacity;
        this.#used.set(input.key, used + (allowed ? 1 : 0));
        return {
          allowed,
          remaining: Math.max(0, input.policy.capacity - used - 1),
          retryAfterMs: allowed ? 0 : 1_000,
        };
      };
    }
    await expectCaught(
      async () => ({ limiter: new MemoryRateLimiter() }),
      async () => ({ limiter: new RacyLimiter() }),
      rateLimiterChecks,
      ['300 concurrent requests'],
    );
  });

  it('DistributedLock: catches a lock that grants everyone', async () => {
    class Doormat implements DistributedLock {
      #token = 0;
      acquire: DistributedLock['acquire'] = async (resource, ttlMs) => ({
        resource,
        owner: `o${++this.#token}`,
        fencingToken: this.#token,
        validUntil: Date.now() + ttlMs,
      });
      release: DistributedLock['release'] = async () => {};
    }
    await expectCaught(
      async () => ({ lock: new MemoryDistributedLock() }),
      async () => ({ lock: new Doormat() }),
      distributedLockChecks,
      ['refuses it while held', 'exactly one of 50 concurrent callers'],
    );
  });

  it('EventBus: catches a consumer that handles every event twice', async () => {
    const busFactory =
      (twice: boolean): Factory<EventBusSubject> =>
      async () => {
        const bus = new MemoryEventBus();
        const consumer = (group: string): EventConsumer => {
          const inner = bus.consumer(group);
          if (!twice) return inner;
          return {
            start: (input) =>
              inner.start({
                ...input,
                handler: {
                  ...input.handler,
                  handle: async (event, context) => {
                    await input.handler.handle(event, context);
                    await input.handler.handle(event, context);
                  },
                },
              }),
            stop: () => inner.stop(),
            lag: () => inner.lag(),
          };
        };
        return {
          publisher: bus,
          consumer,
          sendRaw: (body, key) => bus.publishRaw(body, key),
          dispose: () => bus.close(),
        };
      };
    await expectCaught(busFactory(false), busFactory(true), eventBusChecks, ['once to each consumer group']);
  });

  it('ReservationRepository: catches inserts that are not idempotent', async () => {
    class Duplicating extends MemoryReservationRepository {
      override insertMany: ReservationRepository['insertMany'] = async (rows) => {
        const result = await super.insertMany(rows);
        return { inserted: rows.map((r) => r.reservationId), existing: result.existing.length > 0 ? [] : [] };
      };
    }
    await expectCaught(
      async () => ({ repository: new MemoryReservationRepository() }),
      async () => ({ repository: new Duplicating() }),
      reservationRepositoryChecks,
      ['inserts new rows once', 'overlap', 'reference model'],
    );
  });

  it('Pipeline: catches a store that skips the stock check, end to end', async () => {
    await expectCaught(
      memoryPipeline(),
      memoryPipeline({ wrap: (inner) => new OversellingInventory(inner) }),
      pipelineChecks,
      ['(atomic strategy)'],
    );
  });
});

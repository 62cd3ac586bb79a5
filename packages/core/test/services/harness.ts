import type {
  DomainEvent,
  EventOf,
  InMemoryPorts,
  InMemorySeatRushOptions,
  InventoryStore,
  ReserveStrategy,
  SaleDefinitionInput,
  SeatRush,
  Selection,
} from '../../src';
import { createInMemorySeatRush, FakePaymentGateway, memoryPorts } from '../../src';
import { MemoryAlertSink, MemoryInventoryStore } from '../../src/subpaths/memory';
import {
  AdmissionTokens,
  ReservationProcessor,
  Reservations,
  WaitingRoom,
  WarmUp,
} from '../../src/subpaths/services';
import { ManualClock } from '../../src/subpaths/testing';
import { SECRET } from './fixtures';

/**
 * The services of one sale over fresh memory adapters and a manual clock, with nothing running in
 * the background: a test drives every step (tick, reserve, handle) itself.
 */
export async function servicesFor(sale: SaleDefinitionInput, options: { strategy?: ReserveStrategy } = {}) {
  const clock = new ManualClock(1_000_000);
  const { waitingRoom: waitingRoomStore, inventory, bus, repository, lock } = memoryPorts({ clock });
  const payments = new FakePaymentGateway();
  const alerts = new MemoryAlertSink();
  const tokens = new AdmissionTokens({ secret: SECRET });
  await repository.saveSale(sale);
  const warmUp = new WarmUp({ repository, inventory, clock, publisher: bus, alerts });
  await warmUp.warm(String(sale.id));
  const waitingRoom = new WaitingRoom({ sale, store: waitingRoomStore, tokens, clock, publisher: bus });
  const reservations = new Reservations({
    sale,
    inventory,
    publisher: bus,
    clock,
    alerts,
    strategy: options.strategy ?? 'atomic',
    lock,
    steps: inventory.steps(),
    waitingRoom: waitingRoomStore,
    tokens,
  });
  /** An auto-pay processor over these services that sees the store as `store` (wrapped, wipeable). */
  function processorOver(store: InventoryStore): ReservationProcessor {
    return new ReservationProcessor({
      inventory: store,
      repository,
      payments,
      publisher: bus,
      alerts,
      clock,
    });
  }
  const processor = processorOver(inventory);

  /** Joins and admits `users`, answering each one's admission token. */
  async function admit(...users: string[]): Promise<Record<string, string>> {
    for (const userId of users) await waitingRoom.join({ userId });
    const everyone = Math.max(users.length, waitingRoom.admissionRate.maxActive, 1);
    waitingRoom.setAdmissionRate({ usersPerInterval: Math.max(users.length, 1), maxActive: everyone });
    await waitingRoom.tick();
    const tokensByUser: Record<string, string> = {};
    for (const userId of users) {
      const status = await waitingRoom.status({ userId });
      if (!status?.admissionToken) throw new Error(`${userId} was not admitted`);
      tokensByUser[userId] = status.admissionToken;
    }
    return tokensByUser;
  }

  /**
   * Reserves `selection` for `userId` under the key `k-${userId}`, with `admissionToken` or else
   * admitting the user first; answers the reservation id. A refusal throws.
   */
  async function holdFor(userId: string, selection: Selection, admissionToken?: string): Promise<string> {
    const token = admissionToken ?? (await admit(userId))[userId];
    const result = await reservations.reserve({
      userId,
      idempotencyKey: `k-${userId}`,
      selection,
      admissionToken: token,
    });
    if (!result.ok) throw new Error(result.code);
    return result.reservationId;
  }

  /** The ReservationRequested event published for `reservationId`. */
  function requested(reservationId: string): EventOf<'ReservationRequested'> {
    const event = bus
      .published()
      .find((e) => e.type === 'ReservationRequested' && e.payload.reservationId === reservationId);
    if (event?.type !== 'ReservationRequested') throw new Error(`no request for ${reservationId}`);
    return event;
  }

  /** Events of one type published so far. */
  function published(type: DomainEvent['type']) {
    return bus.published().filter((e) => e.type === type);
  }

  return {
    clock,
    waitingRoomStore,
    inventory,
    bus,
    repository,
    payments,
    alerts,
    lock,
    tokens,
    warmUp,
    waitingRoom,
    reservations,
    processor,
    processorOver,
    admit,
    holdFor,
    requested,
    published,
    saleId: String(sale.id),
  };
}

/** `real` with some methods replaced: every other method still runs on `real` itself. */
export function withOverrides<T extends object>(real: T, overrides: Partial<T>): T {
  return new Proxy(real, {
    get(target, property) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof T];
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * A store that can be wiped: every call goes to the current memory store, and `wipe` swaps in an
 * empty one (what a flushed Redis looks like to the services: no sale at all).
 */
export function wipeableStore(first: InventoryStore = new MemoryInventoryStore()) {
  let current = first;
  const store = new Proxy({} as InventoryStore, {
    get(_, property) {
      const value = Reflect.get(current, property, current);
      return typeof value === 'function' ? value.bind(current) : value;
    },
  });
  return {
    store,
    /** The store calls go to now. */
    current: () => current,
    wipe: () => {
      current = new MemoryInventoryStore();
    },
  };
}

/**
 * A whole in-memory sale on a manual clock, started, with the processor running on the bus and no
 * loops: admission and sweeps by hand. Retries are quick (2 attempts unless `options.retry`);
 * `beforeStart` runs on the runtime before it starts (to hear every hook).
 */
export async function startInMemorySale(
  sale: SaleDefinitionInput,
  options: Partial<InMemorySeatRushOptions> & {
    beforeStart?: (seatRush: SeatRush & { memory: InMemoryPorts }) => void;
  } = {},
) {
  const { beforeStart, ...overrides } = options;
  const clock = new ManualClock(1_000_000);
  const payments = new FakePaymentGateway();
  const seatRush = createInMemorySeatRush({
    sale,
    clock,
    payments,
    loops: { admission: false, sweeper: false, reconciler: false },
    retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 2 },
    ...overrides,
  });
  beforeStart?.(seatRush);
  await seatRush.start();
  /** Joins and admits every user; answers their admission tokens. */
  const admit = async (users: string[]) => {
    await Promise.all(users.map((userId) => seatRush.waitingRoom.join({ userId })));
    seatRush.waitingRoom.setAdmissionRate({ usersPerInterval: users.length, maxActive: users.length });
    await seatRush.waitingRoom.tick();
    const tokens = new Map<string, string>();
    for (const userId of users) {
      const status = await seatRush.waitingRoom.status({ userId });
      tokens.set(userId, status!.admissionToken!);
    }
    return tokens;
  };
  const reserve = (
    userId: string,
    token: string | undefined,
    selection: Selection,
    idempotencyKey = `key-${userId}`,
  ) => seatRush.reservations.reserve({ userId, idempotencyKey, selection, admissionToken: token });
  /** Lets the pipeline and the hooks finish what is in flight. */
  const settle = async () => {
    await seatRush.drain();
    await seatRush.hooks.idle();
  };
  /** Events of one type published so far. */
  const results = (type: DomainEvent['type']) =>
    seatRush.memory.bus.published().filter((e) => e.type === type);
  return { seatRush, clock, payments, admit, reserve, settle, results };
}

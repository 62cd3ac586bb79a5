import type { DomainEvent, EventOf, InventoryStore, ReserveStrategy, SaleDefinitionInput } from '../../src';
import { FakePaymentGateway } from '../../src';
import {
  MemoryAlertSink,
  MemoryDistributedLock,
  MemoryEventBus,
  MemoryInventoryStore,
  MemoryReservationRepository,
  MemoryWaitingRoomStore,
} from '../../src/subpaths/memory';
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
  const waitingRoomStore = new MemoryWaitingRoomStore();
  const inventory = new MemoryInventoryStore({ waitingRoom: waitingRoomStore });
  const bus = new MemoryEventBus();
  const repository = new MemoryReservationRepository();
  const payments = new FakePaymentGateway();
  const alerts = new MemoryAlertSink();
  const lock = new MemoryDistributedLock({ clock });
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

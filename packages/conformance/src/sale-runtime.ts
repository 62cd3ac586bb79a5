import {
  type Alert,
  type AlertSink,
  createSeatRush,
  type DistributedLock,
  type EventConsumer,
  type EventPublisher,
  type InventorySteps,
  type InventoryStore,
  type ManualClock,
  type PaymentGateway,
  type QueueingStore,
  type ReservationRepository,
  type ReserveStrategy,
  type SaleDefinitionInput,
  type SeatRush,
  type SeatRushLoops,
} from '@seatrush/core';
import { expect } from 'vitest';
import { freshId } from './fixtures';
import type { Check } from './harness';

/**
 * Every port a whole sale runs on, for `describePipeline` and `describeSaleHooks`.
 * `consumer(group)` returns a consumer in a new group each call (each check runs its own
 * processor); `clock` drives hold expiry.
 */
export interface PipelineParts {
  /** The waiting room `createSeatRush` queues in (a queueing store since the SDK ticks a `QueueingRoom`). */
  waitingRoom: QueueingStore;
  inventory: InventoryStore;
  /** The lock strategy's steps over the same state as `inventory`. */
  steps: InventorySteps;
  lock: DistributedLock;
  publisher: EventPublisher;
  consumer: (group: string) => EventConsumer;
  repository: ReservationRepository;
  payments: PaymentGateway;
  alerts: AlertSink;
  clock: ManualClock;
}

/** Keeps the alerts a check raised, and still forwards them. */
export class RecordingAlerts implements AlertSink {
  readonly alerts: Alert[] = [];
  constructor(private readonly inner: AlertSink) {}
  async alert(alert: Alert): Promise<void> {
    this.alerts.push(alert);
    await this.inner.alert(alert);
  }
}

/** The runtime's retries in the suites: fast, so dead letters come within a second. */
export const SUITE_RETRY = { maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 20 };

/** What a suite puts between the runtime and the parts: its own gateway, publisher and alerts. */
export interface SaleRuntimeOptions {
  strategy: ReserveStrategy;
  payments: PaymentGateway;
  alerts: AlertSink;
  /** The parts' publisher unless given. */
  publisher?: EventPublisher;
  relay?: { relayAfterMs: number };
  /** Loops to run; admission, sweeper and reconciler are off unless turned on here. */
  loops?: SeatRushLoops;
}

/**
 * A runtime for one sale over `parts`, not started yet, with `SUITE_RETRY` and the loops off, so a check drives admission, expiry and reconciliation itself.
 */
export function saleRuntime(
  parts: PipelineParts,
  definition: SaleDefinitionInput,
  options: SaleRuntimeOptions,
): SeatRush {
  return createSeatRush({
    sale: definition,
    clock: parts.clock,
    admissionSecret: 'conformance-suite-admission-secret-0123456789',
    strategy: options.strategy,
    retry: SUITE_RETRY,
    ...(options.relay && { relay: options.relay }),
    loops: { admission: false, sweeper: false, reconciler: false, ...options.loops },
    ports: {
      waitingRoom: parts.waitingRoom,
      inventory: parts.inventory,
      steps: parts.steps,
      lock: parts.lock,
      publisher: options.publisher ?? parts.publisher,
      consumer: parts.consumer(freshId('processor')),
      repository: parts.repository,
      payments: options.payments,
      alerts: options.alerts,
    },
  });
}

/** Joins `users`, admits them all in one tick and answers their admission tokens. */
export async function admitAll(seatRush: SeatRush, users: string[]): Promise<Map<string, string>> {
  for (const userId of users) expect((await seatRush.waitingRoom.join({ userId })).ok).toBe(true);
  seatRush.waitingRoom.setAdmissionRate({ usersPerInterval: users.length, maxActive: users.length });
  await seatRush.waitingRoom.tick();
  const tokens = new Map<string, string>();
  for (const userId of users) {
    const status = await seatRush.waitingRoom.status({ userId });
    expect(status?.state, `${userId} admitted`).toBe('ADMITTED');
    tokens.set(userId, status?.admissionToken ?? '');
  }
  return tokens;
}

/** Runs `body` on `sale`, then stops its runtime whatever happens. */
export async function withSale<S extends { seatRush: SeatRush }, T>(
  sale: S,
  body: (sale: S) => Promise<T>,
): Promise<T> {
  try {
    return await body(sale);
  } finally {
    await sale.seatRush.stop();
  }
}

/** What a whole-sale check states: its category and name, the sale it runs (on a fresh id) and how it opens. */
export interface SaleCheckSpec<O> extends Pick<Check<unknown>, 'category' | 'name'> {
  /** 60 s unless given. */
  timeoutMs?: number;
  sale: (saleId: string) => SaleDefinitionInput;
  /** The suite's options for opening the sale (a strategy, loops). */
  open?: O;
}

/**
 * A check on a whole sale: opens `spec.sale` over the parts with the suite's `openSale`, runs `body`
 * on it and stops its runtime whatever happens.
 */
export function saleCheck<P, S extends { seatRush: SeatRush }, O>(
  openSale: (parts: P, definition: SaleDefinitionInput, options?: O) => Promise<S>,
  spec: SaleCheckSpec<O>,
  body: (sale: S, parts: P) => Promise<void>,
): Check<P> {
  const { category, name, timeoutMs = 60_000, sale, open } = spec;
  return {
    category,
    name,
    timeoutMs,
    async run(parts) {
      const opened = await openSale(parts, sale(freshId('sale')), open);
      await withSale(opened, (it) => body(it, parts));
    },
  };
}

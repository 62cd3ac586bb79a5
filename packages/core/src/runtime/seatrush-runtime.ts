import {
  buildRuntimeCheckout,
  NO_AUTO_PAY,
  type RuntimeCheckout,
  type RuntimeCheckoutOptions,
} from '../checkout/runtime-checkout';
import { SaleCheckout } from '../checkout/sale-checkout';
import { ConfigurationError, InfrastructureError } from '../common/errors';
import { validate } from '../common/validate';
import type { DomainEvent } from '../events/events';
import { PeriodicTask, systemTimer, type Timer } from '../hold/periodic';
import { HookedPublisher } from '../hooks/hooked-publisher';
import { MemoryAlertSink } from '../memory/alert-sink';
import { SimulatedPaymentProvider } from '../memory/payment-simulator';
import type { Alert, AlertSink } from '../ports/alert-sink';
import { type Clock, systemClock } from '../ports/clock';
import type { DeadLetterView } from '../ports/dead-letter-store';
import type { DeadLetter, EventConsumer, RetryPolicy } from '../ports/event-consumer';
import type { EventPublisher } from '../ports/event-publisher';
import type { PaymentGateway } from '../ports/payment-gateway';
import { SaleAdaptiveAdmission } from '../queue/sale-adaptive-admission';
import type { JoinGuard } from '../queue/waiting-room';
import { describeError } from '../reservation/describe-error';
import { GroupReservations } from '../reservation/group-reservations';
import { CHECKOUT_WORKER_EVENT_TYPES, ReservationProcessor } from '../reservation/processor';
import type { ReserveStrategy } from '../reservation/reservations';
import { WaitingList } from '../reservation/waiting-list';
import {
  type BreakerName,
  type BreakerOptions,
  type BreakerView,
  RuntimeBreakers,
} from '../resilience/breakers';
import { SaleDefinition, type SaleDefinitionInput } from '../sale/definition';
import { createSeatRush, type SeatRush, type SeatRushQueueingOptions } from '../seatrush';
import { watchNotWarm } from '../stock/cold-sale';
import { DeadLetterViews } from './dead-letter-views';
import { type ReservationResult, ResultNotifier } from './result-notifier';
import { checkRuntimePorts, type DependencyHealth, type RuntimePorts } from './runtime-ports';
import { runSaleCommand, type SaleCommand, type SaleCommandAnswer } from './sale-command';

/** Which background work runs in this process. Defaults: all of it. */
export interface RuntimeLoops {
  /** The reservation worker (processor + consumer) for every sale. */
  worker?: boolean;
  /** Each sale's admission tick. */
  admission?: boolean;
  /** Each sale's hold sweeper (safe in every instance). */
  sweeper?: boolean;
  /** Each sale's reconciler. */
  reconciler?: boolean;
  /** Each sale's outbox relay (safe in every instance). */
  relay?: boolean;
  /** Each sale's waiting-list offer rounds (when the store has a waiting list). */
  waitingList?: boolean;
  /** The buyer-driven checkout's notification relay (safe in every instance). */
  notifications?: boolean;
  /** Adaptive admission's adjustments, for the sales where an operator turned it on. */
  adaptive?: boolean;
  /** Serving the sales other instances define, every `discoverIntervalMs` (safe in every instance). */
  discover?: boolean;
}

/** Options of {@link createSeatRushRuntime}. */
export interface SeatRushRuntimeOptions {
  /** The adapters' bundles spread together (see {@link RuntimePorts}). */
  ports: RuntimePorts;
  /**
   * The one-step gateway of the auto-pay mode (`checkout: 'auto'`): the worker charges each hold
   * at once. Required by that mode, unused by the buyer-driven one.
   */
  payments?: PaymentGateway;
  /**
   * How buyers pay.
   * - `'auto'`: the worker charges every hold at once through `payments`, with no buyer step (the
   *   demo's "the simulator pays at once", and the tests written before the checkout).
   * - a {@link RuntimeCheckoutOptions} (`{}` for every embedded default): the buyer-driven checkout.
   *   `sale.checkout.begin` creates the payment, the buyer confirms it on the client, the provider's
   *   webhook goes to `runtime.checkout.handleWebhook`; the worker never charges.
   *
   * Default: `'auto'` when `payments` is given, else the buyer-driven checkout on the simulator.
   */
  checkout?: 'auto' | RuntimeCheckoutOptions;
  /** The HMAC key of admission tokens: at least 32 bytes, the same on every instance. */
  admissionSecret: string | Uint8Array;
  /** Where operator alerts go; kept in memory (`runtime.alerts`) by default. */
  alerts?: AlertSink;
  clock?: Clock;
  timer?: Timer;
  loops?: RuntimeLoops;
  /** `atomic` (default) or the `lock` strategy (docs/design.md §Holds and stock; needs `steps` and `lock`). */
  strategy?: ReserveStrategy;
  /** Bot defence before each join (`botGuardHook(new BotGuard(…))`). */
  guard?: JoinGuard;
  /**
   * The worker's retries before a reservation is dead-lettered; about 45 s of backoff by default,
   * so a database restart does not compensate holds it cannot even record.
   */
  workerRetry?: RetryPolicy;
  /** The worker's consumer group; `seatrush-reservation-worker` by default. */
  workerGroup?: string;
  /** Every shutdown step (a consumer leaving its group, a flush) is bounded by this; 5 s. */
  shutdownStepMs?: number;
  /**
   * Queueing options every sale starts with (the invitations' key, the pre-queue, a method), a
   * restored one too; `define`'s own options go on top.
   */
  queueing?: SeatRushQueueingOptions;
  /**
   * How long a loop's lease lasts (with the store bundle's `leases`): an instance that dies hands
   * each sale's admission and reconciler loops to another within 4/3 of it; 2 s.
   */
  loopLeaseMs?: number;
  /** The clock leases are measured with (see `SeatRushOptions.leaseClock`); the wall clock. */
  leaseClock?: Clock;
  /** How often adaptive admission adjusts the sales where it is on; 1 s. */
  adaptiveIntervalMs?: number;
  /** How often the runtime looks for sales other instances defined (see `loops.discover`); 1 s. */
  discoverIntervalMs?: number;
  /** How often each sale's reconciler compares the store with the source of truth; 60 s. */
  reconcileIntervalMs?: number;
  /** How long a waiting-list party has to claim an offer; 10 minutes. */
  waitingListClaimMs?: number;
  /**
   * Whether a confirmed reservation ends its buyer's waiting-room session, handing the place to
   * the next buyer at once (default true; the buyer queues again to buy again).
   */
  endSessionOnCheckout?: boolean;
  /**
   * Called with each sale as the runtime starts serving it, defined or restored after a restart,
   * before it starts: the place to attach hooks (`sale.hooks.on…`) to every sale.
   */
  onServe?: (sale: RuntimeSale) => void;
  /**
   * Circuit breakers and per-call timeouts around the payment provider (or gateway), the
   * repository and the publisher (see {@link BreakerOptions}); on with every default when
   * omitted, `false` for none. A call an open breaker refuses rejects with `CircuitOpenError` (an
   * `InfrastructureError`, 503, with `retryAfterMs`); where adaptive admission is on, it pauses
   * admission while a breaker is open. Each opening is alerted (`BREAKER_OPEN`).
   */
  breakers?: BreakerOptions | false;
}

/** A sale the runtime serves: the whole sale, with its group allocation and waiting list. */
export interface RuntimeSale extends SeatRush {
  /** "N seats together" (assigned seating with a store that has `reserveGroup`). */
  readonly groups: GroupReservations | null;
  /** The waiting list after sell-out (when the store bundle has one). */
  readonly waitingList: WaitingList | null;
  /** The buyer's checkout of this sale (begin, extend, status, cancel); null in the auto-pay mode. */
  readonly checkout: SaleCheckout | null;
  /** Adaptive admission, off until an operator turns it on; feed it every reserve answer (`record`). */
  readonly adaptive: SaleAdaptiveAdmission;
  /** An operator's lifecycle command, answered with a typed outcome (see {@link runSaleCommand}). */
  command(command: SaleCommand): Promise<SaleCommandAnswer>;
  /** Whether warm-up loaded the sale into the store and it verifies. */
  isWarm(): Promise<boolean>;
}

/** Where the runtime stands, for a health endpoint. */
export interface RuntimeHealth {
  /** Whether the worker has joined its group (it joins in the background). */
  worker: 'off' | 'starting' | 'running' | 'failed';
  /** Events published and not yet processed by the worker. */
  workerLag: number | null;
  /** Each sale: its state here, whether the store holds it, and which of its leased loops this instance runs. */
  sales: Array<{
    saleId: string;
    state: string;
    warm: boolean;
    loops: { admission: boolean; reconciler: boolean };
  }>;
  /** Each server the bundles depend on, probed now (empty when no bundle can probe). */
  dependencies: Record<string, DependencyHealth>;
  /** Each circuit breaker that is on: its state, since when, failures (empty with `breakers: false`). */
  breakers: Partial<Record<BreakerName, BreakerView>>;
}

/** One process's SeatRush: every sale it serves, one worker for all of them, and their loops. */
export interface SeatRushRuntime {
  readonly ports: RuntimePorts;
  readonly alerts: AlertSink;
  readonly clock: Clock;
  /** The buyer-driven checkout (webhooks, provider, notifications); null in the auto-pay mode. */
  readonly checkout: RuntimeCheckout | null;
  /**
   * The bot guard every sale's queue runs before a join (`options.guard`); null without one. A
   * way into a sale other than the queue (its waiting list, a host's own route) runs it too, so it
   * is no way around the queue's defences (blocklist, request patterns, proof of work):
   * `@seatrush/http` does so for the waiting list.
   */
  readonly joinGuard: JoinGuard | null;
  /**
   * Saves a sale in the source of truth (replacing the one with its id), serves it, warms it up
   * where the store is cold and opens it when `opensAt` has come. A sale served already is
   * stopped and replaced.
   */
  define(
    sale: SaleDefinitionInput,
    options?: {
      queueing?: SeatRushQueueingOptions;
      /** `false` leaves the sale DRAFT until an operator's `warm-up` or `open` command. */
      start?: boolean;
    },
  ): Promise<RuntimeSale>;
  sale(saleId: string): RuntimeSale | undefined;
  sales(): RuntimeSale[];
  /**
   * Verifies the bundles, serves again every sale the source of truth has that is not closed
   * (after a restart), and starts the worker. The worker joins its consumer group in the
   * background: this resolves without waiting for the group. Answers the ids of the restored sales.
   */
  start(): Promise<string[]>;
  /** What the worker dead-lettered in this process (the newest last, at most 500). */
  deadLetters(): DeadLetter[];
  /** Every worker's dead letters when the event bundle keeps them (Kafka), else this process's. */
  listDeadLetters(): Promise<DeadLetterView[]>;
  /** Publishes a dead-lettered event again; false when there is no such letter (or no event in it). */
  redrive(id: string): Promise<boolean>;
  /** Events published and not yet processed by this process's worker (0 without one). */
  workerLag(): Promise<number>;
  /**
   * Calls `listener` with every reservation result from now on, whichever instance's worker made
   * it (a consumer group of this process's own starts with the first listener); answers the
   * unsubscribe function.
   */
  onResult(listener: (result: ReservationResult) => void): () => void;
  /**
   * Resolves once every sale's outbox is empty and the worker has processed everything published
   * so far; rejects with `InfrastructureError` after `timeoutMs` (default 10 s). For tests,
   * scripts and graceful drains.
   */
  drain(timeoutMs?: number): Promise<void>;
  health(): Promise<RuntimeHealth>;
  /** The circuit breakers' states now, without probing anything: for a metrics scrape. */
  breakers(): Partial<Record<BreakerName, BreakerView>>;
  /**
   * Stops every sale and the worker, flushes the publisher and closes what the bundles opened,
   * each step bounded; the host's own clients stay open (the host closes them).
   */
  close(): Promise<void>;
}

/**
 * The reservation worker's retries: about 45 s of backoff before a reservation is dead-lettered.
 * A database restart or a failover takes seconds; a reservation dead-lettered meanwhile would be
 * compensated while PostgreSQL cannot even record it, so an acknowledged hold would end with no
 * row. A hold that expires while the worker waits ends FAILED (HOLD_EXPIRED) once it is back.
 */
export const WORKER_RETRY_POLICY: RetryPolicy = { maxAttempts: 12, initialDelayMs: 200, maxDelayMs: 5_000 };

/** Builds the runtime; the ports are checked here, and nothing runs until `start()`. */
export function createSeatRushRuntime(options: SeatRushRuntimeOptions): SeatRushRuntime {
  checkRuntimePorts(options.ports);
  const breakers =
    options.breakers === false
      ? null
      : new RuntimeBreakers({
          ...options.breakers,
          onStateChange: (change) => {
            if (change.to === 'open') {
              void alert({
                severity: 'warning',
                code: 'BREAKER_OPEN',
                message: `the ${change.breaker} circuit breaker opened: its calls are refused for a while`,
                context: { breaker: change.breaker, reason: change.reason ?? null },
              });
            }
            if (options.breakers) options.breakers.onStateChange?.(change);
          },
        });
  // the runtime and everything it builds reach the repository and the publisher through their breakers
  const ports: RuntimePorts = breakers
    ? {
        ...options.ports,
        repository: breakers.repository(options.ports.repository),
        publisher: breakers.publisher(options.ports.publisher),
      }
    : options.ports;
  const payments = options.payments && breakers ? breakers.gateway(options.payments) : options.payments;
  const strategy = options.strategy ?? 'atomic';
  if (strategy === 'lock' && (!ports.steps || !ports.lock)) {
    throw new ConfigurationError('the lock strategy needs the `steps` and `lock` ports of the store bundle');
  }
  const checkoutMode = options.checkout ?? (options.payments ? 'auto' : {});
  if (checkoutMode === 'auto' && typeof options.payments?.charge !== 'function') {
    throw new ConfigurationError("payments: checkout 'auto' needs a PaymentGateway (charge, refund)");
  }
  const clock = options.clock ?? systemClock;
  // the checkout's provider behind the payments breaker (the embedded simulator too), and a host's
  // checkout records and outbox (PostgreSQL's, beside the reservations) behind the repository's
  const guardedCheckout: 'auto' | RuntimeCheckoutOptions =
    checkoutMode === 'auto' || !breakers
      ? checkoutMode
      : {
          ...checkoutMode,
          ...(breakers.get('payments')
            ? {
                provider: breakers.provider(checkoutMode.provider ?? new SimulatedPaymentProvider({ clock })),
              }
            : {}),
          ...(checkoutMode.store ? { store: breakers.checkoutStore(checkoutMode.store) } : {}),
          ...(checkoutMode.outbox ? { outbox: breakers.notificationOutbox(checkoutMode.outbox) } : {}),
        };
  const alerts = options.alerts ?? new MemoryAlertSink();
  const loops = {
    worker: true,
    admission: true,
    sweeper: true,
    reconciler: true,
    relay: true,
    waitingList: true,
    adaptive: true,
    discover: true,
    ...options.loops,
  };
  const stepMs = options.shutdownStepMs ?? 5_000;
  const served = new Map<string, { sale: RuntimeSale; publisher: EventPublisher }>();
  const deadLetters = new DeadLetterViews({
    ...(ports.deadLetterStore ? { store: ports.deadLetterStore } : {}),
    publisher: ports.publisher,
    now: () => clock.now(),
  });
  let running = false;
  const results = new ResultNotifier({
    consumer: ports.consumer,
    running: () => running,
    onError: (error) =>
      void alert({
        severity: 'warning',
        code: 'RESULT_LISTENER_FAILED',
        message: 'the reservation results could not be heard in this process',
        context: { error: describeError(error) },
      }),
  });
  const adaptiveTimer = new PeriodicTask({
    intervalMs: options.adaptiveIntervalMs ?? 1_000,
    timer: options.timer ?? systemTimer,
    onError: () => undefined, // each sale's failure is alerted below
    work: async () => {
      for (const { sale } of served.values()) {
        // the policy an operator set on any instance (turned on there, adjusted by the loop's owner)
        const policy = sale.sharedAdaptivePolicy();
        if (policy !== undefined) sale.adaptive.follow(policy);
        if (sale.state !== 'OPEN' && sale.state !== 'PAUSED') continue;
        // with leases, the admission loop's owner decides for every instance
        if (ports.leases && !sale.loopLease('admission')) continue;
        await sale.adaptive.adjust().catch((error: unknown) =>
          alert({
            severity: 'warning',
            code: 'ADAPTIVE_ADJUSTMENT_FAILED',
            message: `adaptive admission could not adjust sale ${sale.sale.id}`,
            context: { saleId: sale.sale.id, error: describeError(error) },
          }),
        );
      }
    },
  });
  /**
   * Serves the sales the source of truth has that this instance does not serve yet: after a
   * restart, and every `discoverIntervalMs` for the sales other instances define. A sale is
   * started (warmed where the store is cold, opened on time) once it runs anywhere: without a
   * shared store, at once; with one, when some instance has started it (a sale an operator keeps
   * in DRAFT stays DRAFT here too, and follows as soon as it is warmed up anywhere).
   */
  async function discover(): Promise<string[]> {
    const started: string[] = [];
    for (const sale of await ports.repository.listOpenSales()) {
      const known = served.get(sale.id)?.sale;
      // without a shared store, a sale this instance keeps in DRAFT is its operator's to start
      if (known && (known.state !== 'DRAFT' || !ports.saleControl)) continue;
      try {
        const runsElsewhere = !ports.saleControl || (await ports.saleControl.read(sale.id)) !== null;
        const runtimeSale = known ?? serve(sale, undefined);
        if (!runsElsewhere) continue;
        await startSale(runtimeSale);
        started.push(sale.id);
      } catch (error) {
        if (!known) served.delete(sale.id);
        await alert({
          severity: 'critical',
          code: 'SALE_NOT_RESTORED',
          message: `sale ${sale.id} from the source of truth could not be served here`,
          context: { saleId: sale.id, error: describeError(error) },
        });
      }
    }
    return started;
  }
  const discovery = new PeriodicTask({
    intervalMs: options.discoverIntervalMs ?? 1_000,
    timer: options.timer ?? systemTimer,
    work: () => discover(),
    onError: () => undefined, // the source of truth blinked: the next round tries again
  });
  const workerLag = async () => (worker?.state === 'running' ? worker.consumer.lag() : 0);
  let worker: { consumer: EventConsumer; state: RuntimeHealth['worker'] } | null = null;

  /** The worker publishes results through the sale's hooked publisher, so hooks fire for them. */
  const routedPublisher: EventPublisher = {
    async publish(events: DomainEvent[]) {
      const bySale = new Map<string, DomainEvent[]>();
      for (const event of events) bySale.set(event.saleId, [...(bySale.get(event.saleId) ?? []), event]);
      await Promise.all(
        [...bySale].map(([saleId, own]) => (served.get(saleId)?.publisher ?? ports.publisher).publish(own)),
      );
    },
    close: () => ports.publisher.close(),
  };
  // the worker, the checkout, groups and the waiting list start the rebuild of a sale served here
  // that the store lost, as each sale's own services do (see SeatRush.rebuildIfCold)
  const inventory = watchNotWarm(ports.inventory, (saleId) => void served.get(saleId)?.sale.rebuildIfCold());
  const runtimeCheckout: RuntimeCheckout | null =
    guardedCheckout === 'auto'
      ? null
      : buildRuntimeCheckout({
          options: guardedCheckout,
          inventory,
          repository: ports.repository,
          publisher: routedPublisher,
          alerts,
          clock,
          ...(options.timer ? { timer: options.timer } : {}),
        });
  const processor = new ReservationProcessor({
    inventory,
    repository: ports.repository,
    ...(runtimeCheckout ? { checkout: runtimeCheckout.checkout } : { payments: payments! }),
    publisher: routedPublisher,
    alerts,
    clock,
  });

  function serve(sale: SaleDefinition, queueing: SeatRushQueueingOptions | undefined): RuntimeSale {
    const seatRush = createSeatRush({
      sale,
      ports: {
        waitingRoom: ports.waitingRoom,
        inventory: ports.inventory,
        publisher: ports.publisher,
        // the runtime's one worker serves every sale: no sale starts a processor of its own
        consumer: { start: async () => {}, stop: async () => {}, lag: async () => 0 },
        repository: ports.repository,
        payments: payments ?? NO_AUTO_PAY,
        alerts,
        ...(ports.lock ? { lock: ports.lock } : {}),
        ...(ports.steps ? { steps: ports.steps } : {}),
        ...(ports.saleControl ? { saleControl: ports.saleControl } : {}),
        ...(ports.leases ? { leases: ports.leases } : {}),
      },
      admissionSecret: options.admissionSecret,
      ...(options.loopLeaseMs === undefined ? {} : { loopLeaseMs: options.loopLeaseMs }),
      ...(options.leaseClock ? { leaseClock: options.leaseClock } : {}),
      clock,
      ...(options.timer ? { timer: options.timer } : {}),
      strategy,
      ...(options.guard ? { guard: options.guard } : {}),
      ...(queueing || options.queueing ? { queueing: { ...options.queueing, ...queueing } } : {}),
      loops: {
        processor: false,
        admission: loops.admission,
        sweeper: loops.sweeper,
        reconciler: loops.reconciler,
        relay: loops.relay,
      },
      warmUp: 'if-cold',
      // a rebuilt hold whose payment began lives as the checkout's window says
      ...(runtimeCheckout ? { holdBounds: runtimeCheckout.holdBounds } : {}),
      ...(options.endSessionOnCheckout === undefined
        ? {}
        : { endSessionOnCheckout: options.endSessionOnCheckout }),
      ...(options.reconcileIntervalMs === undefined
        ? {}
        : { reconcileIntervalMs: options.reconcileIntervalMs }),
    });
    const publisher = new HookedPublisher({
      publisher: ports.publisher,
      hooks: seatRush.hooks,
      inventory: ports.inventory,
    });
    const groups =
      sale.inventory.kind === 'assigned' && ports.inventory.reserveGroup
        ? new GroupReservations({
            sale,
            inventory,
            publisher,
            clock,
            alerts,
            tokens: seatRush.tokens,
            isOpen: () => seatRush.state === 'OPEN',
            relay: seatRush.relay,
          })
        : null;
    const waitingList = ports.waitingList
      ? new WaitingList({
          sale,
          store: ports.waitingList,
          inventory,
          publisher,
          hooks: seatRush.hooks,
          clock,
          alerts,
          relay: seatRush.relay,
          ...(options.timer ? { timer: options.timer } : {}),
          ...(options.waitingListClaimMs === undefined ? {} : { claimMs: options.waitingListClaimMs }),
        })
      : null;
    const stop = seatRush.stop.bind(seatRush);
    runtimeCheckout?.notifyOffers(seatRush.hooks);
    const runtimeSale: RuntimeSale = Object.assign(seatRush, {
      groups,
      waitingList,
      checkout: runtimeCheckout ? new SaleCheckout(sale.id, runtimeCheckout.checkout) : null,
      adaptive: new SaleAdaptiveAdmission({
        room: seatRush.waitingRoom,
        state: () => seatRush.state,
        usersPerInterval: sale.admission.usersPerInterval,
        consumerLag: workerLag,
        openBreakers: () => breakers?.open() ?? [],
        clock,
        share: (decision) => seatRush.recordAdaptiveDecision(decision),
        sharePolicy: (policy) => seatRush.setAdaptivePolicy(policy),
      }),
      command: (command: SaleCommand) => runSaleCommand(seatRush, command, () => startSale(runtimeSale)),
      isWarm: () => ports.inventory.isWarm(sale.id),
      async stop() {
        await waitingList?.stop();
        await stop();
      },
    });
    served.set(sale.id, { sale: runtimeSale, publisher });
    options.onServe?.(runtimeSale);
    return runtimeSale;
  }

  async function startSale(sale: RuntimeSale): Promise<void> {
    await sale.start();
    if (loops.waitingList) sale.waitingList?.start();
  }

  async function startWorker(): Promise<void> {
    const consumer = ports.consumer(options.workerGroup ?? 'seatrush-reservation-worker');
    worker = { consumer, state: 'starting' };
    const current = worker;
    try {
      await consumer.start({
        types: runtimeCheckout ? [...CHECKOUT_WORKER_EVENT_TYPES] : ['ReservationRequested'],
        retry: options.workerRetry ?? WORKER_RETRY_POLICY,
        handler: {
          handle: (event) => processor.handle(event),
          handleBatch: (events) => processor.handleBatch(events),
          onDeadLetter: async (letter) => {
            deadLetters.keep(letter);
            await processor.onDeadLetter(letter);
          },
        },
      });
      current.state = 'running';
    } catch (error) {
      current.state = 'failed';
      await alert({
        severity: 'critical',
        code: 'WORKER_START_FAILED',
        message: 'the reservation worker could not join its consumer group',
        context: { error: describeError(error) },
      });
    }
  }

  async function alert(entry: Alert): Promise<void> {
    await alerts.alert(entry).catch(() => undefined); // the alert sink itself is down: nothing left to tell
  }

  return {
    ports,
    alerts,
    clock,
    checkout: runtimeCheckout,
    joinGuard: options.guard ?? null,
    async define(input, defineOptions = {}) {
      const sale = validate('sale', SaleDefinition, input);
      await served.get(sale.id)?.sale.stop();
      await ports.repository.saveSale(sale);
      const runtimeSale = serve(sale, defineOptions.queueing);
      if (defineOptions.start !== false) await startSale(runtimeSale);
      return runtimeSale;
    },
    sale: (saleId) => served.get(saleId)?.sale,
    sales: () => [...served.values()].map((s) => s.sale),
    async start() {
      await ports.verify?.();
      running = true;
      const restored = await discover();
      if (loops.discover) discovery.start();
      if (loops.worker && !worker) void startWorker();
      if (runtimeCheckout && loops.notifications !== false) runtimeCheckout.relay.start();
      if (loops.adaptive) adaptiveTimer.start();
      results.ensureStarted();
      return restored;
    },
    deadLetters: () => deadLetters.local(),
    listDeadLetters: () => deadLetters.list(),
    redrive: (id) => deadLetters.redrive(id),
    workerLag,
    onResult: (listener) => results.subscribe(listener),
    async drain(timeoutMs = 10_000) {
      // a real timer, not the Clock: it bounds a real wait even while a test holds the clock still
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const backlogs = await Promise.all([...served.values()].map(({ sale }) => sale.relay.backlog(1)));
        const lag = worker?.state === 'running' ? await worker.consumer.lag() : 0;
        const waiting = backlogs.some((b) => b.holds > 0) || lag > 0 || worker?.state === 'starting';
        if (!waiting) return;
        if (Date.now() > deadline)
          throw new InfrastructureError(`the runtime did not drain within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    async health() {
      const sales = await Promise.all(
        [...served.values()].map(async ({ sale }) => ({
          saleId: sale.sale.id,
          state: sale.state,
          warm: await ports.inventory.isWarm(sale.sale.id).catch(() => false),
          // without leases every instance runs its loops; with them, only the lease holder does
          loops: {
            admission: !ports.leases || sale.loopLease('admission') !== null,
            reconciler: !ports.leases || sale.loopLease('reconciler') !== null,
          },
        })),
      );
      const [lag, dependencies] = await Promise.all([
        worker?.state === 'running' ? worker.consumer.lag().catch(() => null) : null,
        ports.health ? ports.health() : {},
      ]);
      const breakerViews = breakers?.views() ?? {};
      return { worker: worker?.state ?? 'off', workerLag: lag, sales, dependencies, breakers: breakerViews };
    },
    breakers: () => breakers?.views() ?? {},
    async close() {
      const bounded = async (what: string, step: Promise<unknown>) => {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${what} took more than ${stepMs} ms`)), stepMs);
        });
        try {
          await Promise.race([step, late]);
        } catch (error) {
          await alert({
            severity: 'warning',
            code: 'SHUTDOWN_STEP_FAILED',
            message: `${what} did not finish cleanly`,
            context: { error: describeError(error) },
          });
        } finally {
          clearTimeout(timer);
        }
      };
      running = false;
      await Promise.all([adaptiveTimer.stop(), discovery.stop()]);
      for (const { sale } of served.values()) await bounded(`stopping sale ${sale.sale.id}`, sale.stop());
      await bounded('stopping the result listener', results.stop());
      if (worker) await bounded('stopping the worker', worker.consumer.stop());
      if (runtimeCheckout) await bounded('stopping the notification relay', runtimeCheckout.relay.stop());
      worker = null;
      await bounded('flushing the publisher', ports.publisher.close());
      if (ports.close) await bounded('closing the bundles', ports.close());
    },
  };
}

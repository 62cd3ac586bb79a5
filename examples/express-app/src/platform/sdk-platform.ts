import { randomBytes, randomUUID } from 'node:crypto';
import {
  type Blocklist,
  BotGuard,
  type BotGuardOptionsInput,
  botGuardHook,
  type Clock,
  createSeatRush,
  type DeadLetter,
  type DistributedLock,
  type DomainEvent,
  type EventConsumer,
  type EventPublisher,
  type InventorySteps,
  type InventoryStore,
  type JoinGuard,
  type QueueingRoom,
  type QueueingStore,
  type RateLimiter,
  type ReservationRepository,
  type Reservations,
  type ReserveStrategy,
  SaleDefinition,
  type SaleDefinitionInput,
  type SaleState,
  type SaleCommandOutcome as SdkOutcome,
  type SeatRush,
  SeatRushError,
  type WaitingListStore,
  type WaitingRoom,
  WORKER_RETRY_POLICY,
} from '@seatrush/core';
import { validate } from '@seatrush/core/ports';
import {
  GroupReservations,
  HookedPublisher,
  Invitations,
  ProofOfWorkChallenges,
  ReservationProcessor,
  subjectOf,
} from '@seatrush/core/services';
import type { Logger } from 'pino';
import type { PaymentSimulator } from '../payment-simulator';
import type { LoggingAlertSink } from './alerts';
import { rejectAfter } from './deadline';
import type {
  DeadLetterStore,
  DeadLetterView,
  DependencyHealth,
  Platform,
  ReservationResult,
  SaleCommand,
  SaleCommandOutcome,
  SaleQueueing,
  SaleRuntime,
} from './types';
import { SaleWaitingList } from './waiting-list';

/** The ports a platform is assembled from: in-memory adapters or Redis + Kafka + PostgreSQL. */
export interface PlatformPorts {
  mode: 'memory' | 'servers';
  clock: Clock;
  /** The waiting room's store, with the operator's queueing controls (method, lanes, pre-queue). */
  waitingRoomStore: QueueingStore;
  inventory: InventoryStore;
  /** The inventory's waiting list after sell-out (`inventory.waitingList()`). */
  waitingListStore: WaitingListStore;
  repository: ReservationRepository;
  publisher: EventPublisher;
  /** A consumer of the event stream in consumer group `group`. */
  consumer(group: string): EventConsumer;
  rateLimiter: RateLimiter;
  blocklist: Blocklist;
  /** For the `lock` strategy: the distributed lock and the store's building blocks. */
  lock: DistributedLock;
  steps: InventorySteps;
  /** Where the SDK's alerts go; the latest are kept for the dashboard. */
  alerts: LoggingAlertSink;
  /** Each dependency's state for `/health`. */
  health(): Promise<Record<string, DependencyHealth>>;
  pools(): Record<string, { total: number; idle: number; waiting: number }>;
  /** The dead-letter topic, when the event stream has one; else the worker's own letters are shown. */
  deadLetters?: DeadLetterStore;
  /** Closes connections (after the publisher was flushed). */
  close(): Promise<void>;
}

/** Settings of the platform's background work and defences. */
export interface PlatformSettings {
  /** Signs admission tokens: at least 32 bytes, shared by every instance. */
  tokenSecret: string;
  /**
   * Signs the operator's bypass and priority invitations: at least 32 bytes, shared by every API
   * instance; random when absent (a worker-only process never sees an invitation).
   */
  invitationSecret?: string;
  /** Run the reservation worker (the Kafka consumer side) in this process. */
  worker: boolean;
  /** Run the sale loops (admission ticks, hold sweeper, reconciler) in this process. */
  saleLoops: boolean;
  /** Listen to reservation results to push them to this process's SSE clients. */
  notify: boolean;
  powDifficulty: number;
  /** The hot path's strategy; `atomic` by default. */
  strategy?: ReserveStrategy;
  botGuard?: BotGuardOptionsInput;
  /** How often the reconciler checks each sale; default 60 s. */
  reconcileEveryMs?: number;
  /** How long a waiting-list party has to claim an offer; the SDK's default (10 min) when absent. */
  waitingListClaimMs?: number;
  payments: PaymentSimulator;
  log: Logger;
}

/** How long each shutdown step (a consumer leaving its group, a flush, a disconnect) may take. */
const SHUTDOWN_STEP_MS = 5_000;

/** Dead letters kept for the operator (the newest last, bounded). */
const MAX_DEAD_LETTERS = 500;

/**
 * The app's platform over the SDK: per sale a `createSeatRush` (waiting room, reservations, hold
 * sweeper, reconciler, warm-up) over ports shared by every sale; one `ReservationProcessor` (the
 * worker) behind one consumer group for all sales; the `BotGuard` with proof-of-work challenges
 * before joining. Which adapters sit below is the caller's choice (`memory.ts`, `servers.ts`): the
 * in-memory adapters are the ones `createInMemorySeatRush` uses, shared here so several sales and
 * the worker see one event stream.
 */
export async function createSdkPlatform(ports: PlatformPorts, settings: PlatformSettings): Promise<Platform> {
  const { log } = settings;
  const { clock } = ports;
  const challenges = new ProofOfWorkChallenges({ difficulty: Math.max(1, settings.powDifficulty) });
  const bot = new BotGuard(
    { blocklist: ports.blocklist, rateLimiter: ports.rateLimiter, challenges },
    { challenge: { mode: 'always' }, ...settings.botGuard },
  );
  const runtimes = new Map<string, SdkSaleRuntime>();
  const resultListeners = new Set<(result: ReservationResult) => void>();
  const deadLetters: Array<DeadLetterView & { event: DomainEvent | null }> = [];
  const consumers: EventConsumer[] = [];
  let started = false;
  /** One consumer group for every sale's ReservationRequested: the worker. */
  const workerConsumer = ports.consumer('seatrush-reservation-worker');
  let workerStarted = false;

  /** The SDK's bot guard in front of every join: blocklist, bursts, devices, headers, proof of work. */
  const guard: JoinGuard = botGuardHook(bot);
  /** One key for every sale's invitations (an invitation names its sale, so one cannot serve another). */
  const invitations = new Invitations({ secret: settings.invitationSecret ?? randomBytes(32) });

  const processor = new ReservationProcessor({
    inventory: ports.inventory,
    repository: ports.repository,
    payments: settings.payments,
    publisher: ports.publisher,
    alerts: ports.alerts,
    clock,
  });

  const recordDeadLetter = (letter: DeadLetter) => {
    deadLetters.push({
      id: randomUUID(),
      eventType: letter.event?.type ?? null,
      saleId: letter.event?.saleId ?? null,
      error: letter.error,
      attempts: letter.attempts,
      source: letter.source,
      redrivable: letter.event !== null,
      at: clock.now(),
      event: letter.event,
    });
    while (deadLetters.length > MAX_DEAD_LETTERS) deadLetters.shift();
    log.warn(
      { source: letter.source, error: letter.error, attempts: letter.attempts },
      'event dead-lettered',
    );
  };

  /** A runtime for `sale` over the shared ports, now served by this platform. */
  const serve = (sale: SaleDefinition, queueing: SaleQueueing): SdkSaleRuntime => {
    const runtime = new SdkSaleRuntime(
      sale,
      ports,
      settings,
      { guard, workerConsumer, invitations },
      queueing,
    );
    runtimes.set(sale.id, runtime);
    return runtime;
  };

  /** Every instance hears every result (a group of its own) to push it to the buyers it serves. */
  const startNotifier = async () => {
    const notifier = ports.consumer(`seatrush-notify-${randomUUID().slice(0, 8)}`);
    consumers.push(notifier);
    await notifier.start({
      types: ['ReservationConfirmed', 'ReservationFailed'],
      handler: {
        handle: async (event) => {
          if (event.type !== 'ReservationConfirmed' && event.type !== 'ReservationFailed') return;
          for (const listener of resultListeners) listener(event);
        },
      },
    });
  };

  const platform: Platform = {
    mode: ports.mode,
    inventory: ports.inventory,
    repository: ports.repository,
    rateLimiter: ports.rateLimiter,
    blocklist: ports.blocklist,
    challenges: {
      // challenges are bound to the same subject the guard verifies them with
      issue: (input) => challenges.issue({ subject: subjectOf('user', input.subject), now: input.now }),
      verify: (input) => challenges.verify({ ...input, subject: subjectOf('user', input.subject) }),
    },
    payments: settings.payments,
    now: () => clock.now(),

    invitations,

    async createSale(input: SaleDefinitionInput, queueing: SaleQueueing = {}) {
      const sale = validate('sale', SaleDefinition, input);
      const previous = runtimes.get(sale.id);
      await previous?.stop();
      await ports.repository.saveSale(sale);
      return serve(sale, queueing);
    },
    async restoreSales() {
      const restored: string[] = [];
      for (const sale of await ports.repository.listOpenSales()) {
        if (runtimes.has(sale.id)) continue;
        // `open` warms it up where the store is cold (another instance may have it warm) and opens
        // it once its time has come; the operator's queueing options start from their defaults
        const outcome = await serve(sale, {}).command('open');
        if (outcome.ok) restored.push(sale.id);
        else log.warn({ saleId: sale.id, code: outcome.code, message: outcome.message }, 'sale not restored');
      }
      return restored;
    },
    sale: (id) => runtimes.get(id),
    sales: () => [...runtimes.values()],

    async consumerLag() {
      // the worker's lag: what is published and not yet processed (the notifier's is not a backlog)
      return workerStarted ? workerConsumer.lag() : 0;
    },
    async deadLetters() {
      if (ports.deadLetters) return ports.deadLetters.list();
      return deadLetters.map(({ event: _event, ...view }) => view);
    },
    async redrive(id) {
      if (ports.deadLetters) return ports.deadLetters.redrive(id);
      const index = deadLetters.findIndex((letter) => letter.id === id);
      const letter = deadLetters[index];
      if (!letter?.event) return false;
      await ports.publisher.publish([letter.event]);
      deadLetters.splice(index, 1);
      return true;
    },
    onResult(listener) {
      resultListeners.add(listener);
      return () => resultListeners.delete(listener);
    },
    recentAlerts: () => [...ports.alerts.recent],
    pools: () => ports.pools(),
    health: () => ports.health(),

    async start() {
      if (started) return;
      started = true;
      // Joining a consumer group can take as long as the broker waits out a dead member (its
      // session timeout): the consumers start in the background, so the API answers at once.
      const inBackground = (what: string, starting: Promise<void>) =>
        void starting.catch((error: unknown) => log.error({ err: error }, `${what} did not start`));
      if (settings.worker) inBackground('the reservation worker', startWorker());
      if (settings.notify) inBackground('the result notifier', startNotifier());
    },

    async close() {
      for (const runtime of runtimes.values()) await runtime.stop();
      for (const consumer of consumers.splice(0)) {
        await rejectAfter(
          consumer.stop(),
          SHUTDOWN_STEP_MS,
          `consumer stop took more than ${SHUTDOWN_STEP_MS} ms`,
        ).catch((error: unknown) => log.warn({ err: error }, 'consumer stop failed'));
      }
      // flush what the publisher buffers before the connections go
      await rejectAfter(
        ports.publisher.close(),
        SHUTDOWN_STEP_MS,
        `publisher close took more than ${SHUTDOWN_STEP_MS} ms`,
      ).catch((error: unknown) => log.warn({ err: error }, 'publisher close failed'));
      await rejectAfter(
        ports.close(),
        SHUTDOWN_STEP_MS,
        `connections close took more than ${SHUTDOWN_STEP_MS} ms`,
      ).catch((error: unknown) => log.warn({ err: error }, 'closing the connections failed'));
    },
  };

  async function startWorker(): Promise<void> {
    // listed first, so a shutdown during the group join still stops it
    consumers.push(workerConsumer);
    await workerConsumer.start({
      types: ['ReservationRequested'],
      // about 45 s of backoff: a database restart does not dead-letter (and compensate) holds
      retry: WORKER_RETRY_POLICY,
      handler: {
        handle: (event) => processor.handle(event),
        // a partition's backlog in one insert, settled concurrently (Kafka hands it over)
        handleBatch: (events) => processor.handleBatch(events),
        onDeadLetter: async (letter) => {
          recordDeadLetter(letter);
          await processor.onDeadLetter(letter);
        },
      },
    });
    workerStarted = true;
  }

  return platform;
}

/** One sale: the SDK's `createSeatRush` over the shared ports, and the sale's lifecycle state. */
class SdkSaleRuntime implements SaleRuntime {
  readonly seatRush: SeatRush;
  /** "N seats together" in one atomic hold; its events feed the sale's hooks too. */
  readonly groups: GroupReservations;
  /** Whether arrivals before `opensAt` wait in a pre-queue shuffled at the opening. */
  readonly preQueue: boolean;
  /** The waiting list after sell-out; its offer rounds run with the sale's loops. */
  readonly waitingList: SaleWaitingList;

  constructor(
    readonly sale: SaleDefinition,
    private readonly ports: PlatformPorts,
    private readonly settings: PlatformSettings,
    shared: { guard: JoinGuard; workerConsumer: EventConsumer; invitations: Invitations },
    queueing: SaleQueueing,
  ) {
    this.preQueue = queueing.preQueue === true;
    /**
     * The operator's queueing controls of this sale, in one place: the lanes' invitations and the
     * pre-queue shuffled at the opening.
     */
    const queueingOptions = { invitations: shared.invitations, preQueue: this.preQueue };
    this.seatRush = createSeatRush({
      sale,
      ports: {
        waitingRoom: ports.waitingRoomStore,
        inventory: ports.inventory,
        publisher: ports.publisher,
        // the platform runs one worker for every sale (see `start`), so no sale starts its own
        consumer: shared.workerConsumer,
        repository: ports.repository,
        payments: settings.payments,
        alerts: ports.alerts,
        lock: ports.lock,
        steps: ports.steps,
      },
      strategy: settings.strategy ?? 'atomic',
      admissionSecret: settings.tokenSecret,
      clock: ports.clock,
      guard: shared.guard,
      queueing: queueingOptions,
      loops: {
        processor: false,
        admission: settings.saleLoops,
        sweeper: settings.saleLoops,
        reconciler: settings.saleLoops,
      },
      reconcileIntervalMs: settings.reconcileEveryMs ?? 60_000,
      warmUp: 'if-cold',
    });
    // the host hooks as log lines: per-buyer ones at debug (a rush makes thousands), the rest at info
    this.seatRush.hooks.onAny((event) => {
      const level = event.type === 'admitted' || event.type === 'held' ? 'debug' : 'info';
      settings.log[level]({ hook: event }, `sale hook ${event.type}`);
    });
    const hookedPublisher = new HookedPublisher({
      publisher: ports.publisher,
      hooks: this.seatRush.hooks,
      inventory: ports.inventory,
    });
    this.groups = new GroupReservations({
      sale,
      inventory: ports.inventory,
      publisher: hookedPublisher,
      clock: ports.clock,
      alerts: ports.alerts,
      tokens: this.seatRush.tokens,
      isOpen: () => this.seatRush.state === 'OPEN',
      relay: this.seatRush.relay,
    });
    this.waitingList = new SaleWaitingList({
      sale,
      store: ports.waitingListStore,
      inventory: ports.inventory,
      publisher: hookedPublisher,
      hooks: this.seatRush.hooks,
      clock: ports.clock,
      alerts: ports.alerts,
      relay: this.seatRush.relay,
      ...(settings.waitingListClaimMs === undefined ? {} : { claimMs: settings.waitingListClaimMs }),
    });
  }

  get waitingRoom(): WaitingRoom {
    return this.seatRush.waitingRoom;
  }

  /**
   * The SDK's queueing room: joins under the operator's method (fifo, random, passthrough,
   * reject), the lanes of invitations, the pre-queue; the sale's admission loop ticks it.
   */
  get queueing(): QueueingRoom {
    return this.seatRush.queue;
  }

  get reservations(): Reservations {
    return this.seatRush.reservations;
  }

  state(): SaleState {
    return this.seatRush.state;
  }

  warm(): Promise<boolean> {
    return this.ports.inventory.isWarm(this.sale.id);
  }

  async command(command: SaleCommand): Promise<SaleCommandOutcome> {
    const outcome = await this.#run(command);
    if (outcome.ok) {
      this.settings.log.info({ saleId: this.sale.id, command, state: outcome.state }, 'sale command');
      return outcome;
    }
    return {
      ...outcome,
      message: outcome.message ?? `${command} refused in state ${outcome.state} (${outcome.code})`,
    };
  }

  async #run(command: SaleCommand): Promise<SaleCommandOutcome | (SdkOutcome & { message?: string })> {
    switch (command) {
      case 'warm-up':
        return this.#start();
      case 'open': {
        if (this.seatRush.state === 'OPEN') return { ok: true, state: 'OPEN' };
        if (this.seatRush.state === 'DRAFT') {
          const started = await this.#start();
          // a sale whose opening time has come opens as it starts
          if (!started.ok || this.state() === 'OPEN') return started;
        }
        return this.seatRush.open();
      }
      case 'pause':
        return this.seatRush.pause();
      case 'resume':
        return this.seatRush.resume();
      case 'close':
        return this.seatRush.close();
    }
  }

  /**
   * Warm-up: `start()` loads the sale from the source of truth into the store, verifies it, and
   * starts its loops; the sale is READY, and OPEN as soon as `opensAt` has come.
   */
  async #start(): Promise<SaleCommandOutcome> {
    if (this.seatRush.state !== 'DRAFT') {
      return {
        ok: false,
        code: 'ILLEGAL_TRANSITION',
        message: `the sale is ${this.seatRush.state}: already warmed up`,
        state: this.seatRush.state,
      };
    }
    try {
      await this.seatRush.start();
      if (this.settings.saleLoops) this.waitingList.start();
      return { ok: true, state: this.seatRush.state };
    } catch (error) {
      const code = error instanceof SeatRushError ? error.code : 'WARM_UP_FAILED';
      const message = error instanceof Error ? error.message : String(error);
      return { ok: false, code, message, state: this.seatRush.state };
    }
  }

  reconcile() {
    return this.seatRush.reconciler.reconcile(this.sale.id);
  }

  async stop(): Promise<void> {
    await this.waitingList.stop();
    await this.seatRush.stop();
  }
}

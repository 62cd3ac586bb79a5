import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ConfigurationError, InfrastructureError } from './common/errors';
import { validate } from './common/validate';
import { HoldSweeper } from './hold/hold-sweeper';
import { warnLoopFailed } from './hold/loop-failure';
import { PeriodicTask, systemTimer, type Timer } from './hold/periodic';
import { HookedPublisher } from './hooks/hooked-publisher';
import { describeHookError, SaleHooks } from './hooks/sale-hooks';
import { LeasedLoop, saleLoopLease } from './instances/leased-loop';
import { SaleControlSync } from './instances/sale-control-sync';
import { type SaleEvent, type SaleRefusal, type SaleState, transitionSale } from './lifecycle/sale';
import { MemoryAlertSink } from './memory/alert-sink';
import { MemoryDistributedLock } from './memory/distributed-lock';
import { MemoryEventBus } from './memory/event-bus';
import { MemoryInventoryStore } from './memory/inventory-store';
import { FakePaymentGateway } from './memory/payment-gateway';
import { MemoryReservationRepository } from './memory/reservation-repository';
import { MemoryWaitingRoomStore } from './memory/waiting-room-store';
import type { AlertSink } from './ports/alert-sink';
import { type Clock, systemClock } from './ports/clock';
import type { DistributedLock } from './ports/distributed-lock';
import type { EventConsumer, RetryPolicy } from './ports/event-consumer';
import type { EventPublisher } from './ports/event-publisher';
import type { InventorySteps, InventoryStore } from './ports/inventory-store';
import type { LeaseGrant, LeaseStore } from './ports/lease-store';
import type { PaymentGateway } from './ports/payment-gateway';
import { QueueingMethod, type QueueingStore } from './ports/queueing-store';
import type { ReservationRepository, ReservationRow } from './ports/reservation-repository';
import type { SaleControlStore } from './ports/sale-control-store';
import type { AdaptiveDecision, AdaptivePolicy } from './queue/adaptive-admission';
import { AdmissionTokens } from './queue/admission-tokens';
import type { RandomBelow } from './queue/fair-shuffle';
import { Invitations } from './queue/invitations';
import { type JoinGuard, WaitingRoom, type WaitingRoomOptions } from './queue/waiting-room';
import { describeError } from './reservation/describe-error';
import { HoldRelay, type HoldRelayOptions } from './reservation/hold-relay';
import { ReservationProcessor } from './reservation/processor';
import { Reservations, type ReserveStrategy } from './reservation/reservations';
import { SaleDefinition, type SaleDefinitionInput } from './sale/definition';
import { ColdSaleRebuilder, watchNotWarm, watchStepsNotWarm } from './stock/cold-sale';
import { type RebuildReport, RebuildService } from './stock/rebuild';
import { Reconciler } from './stock/reconciler';
import { WarmUp, type WarmUpReport } from './stock/warm-up';

/** Every port a sale needs. The lock and steps are only needed by the `lock` strategy. */
export interface SeatRushPorts {
  /**
   * The waiting room's state, with queueing methods, the pre-queue and lanes
   * (`MemoryWaitingRoomStore`, `RedisWaitingRoomStore`).
   */
  waitingRoom: QueueingStore;
  inventory: InventoryStore;
  publisher: EventPublisher;
  /** The consumer the processor runs on (a Kafka consumer group in production). */
  consumer: EventConsumer;
  repository: ReservationRepository;
  payments: PaymentGateway;
  alerts: AlertSink;
  lock?: DistributedLock;
  steps?: InventorySteps;
  /**
   * The sale's behaviour in the shared store (lifecycle, admission rate, adaptive pause): with
   * it, every instance serving the sale follows one state (see {@link SaleControlSync}).
   */
  saleControl?: SaleControlStore;
  /** With it, the admission and reconciler loops run in one instance at a time, under a lease. */
  leases?: LeaseStore;
}

/**
 * Which background work this instance competes for. With `leases`, any number of instances may
 * turn every loop on: the admission and reconciler loops run in one of them at a time.
 */
export interface SeatRushLoops {
  /** The admission tick every `intervalMs` (default true). */
  admission?: boolean;
  /** The hold sweeper (default true; safe in every instance). */
  sweeper?: boolean;
  /** The reservation processor on the consumer (default true). */
  processor?: boolean;
  /** The reconciler (default true, every `reconcileIntervalMs`). */
  reconciler?: boolean;
  /**
   * The outbox relay (default true; safe in every instance): publishes the holds whose hand-over
   * failed or whose process died. At least one instance must run it.
   */
  relay?: boolean;
}

/**
 * The operator's queueing controls of a sale (see {@link WaitingRoomOptions}): the method the room
 * starts with, the pre-queue shuffled at `opensAt`, the grace period of silent buyers, the
 * invitations of the bypass and priority lanes, and the refusal of a `reject` room.
 */
export type SeatRushQueueingOptions = Pick<
  WaitingRoomOptions,
  'method' | 'preQueue' | 'graceMs' | 'invitations' | 'rejectCode'
>;

const QueueingOptionsSchema = z.object({
  method: QueueingMethod.optional(),
  preQueue: z.boolean().optional(),
  graceMs: z.number().int().positive().optional(),
  invitations: z.instanceof(Invitations).optional(),
  rejectCode: z.enum(['SOLD_OUT', 'SALE_CLOSED']).optional(),
});

/** Options of {@link createSeatRush}. */
export interface SeatRushOptions {
  sale: SaleDefinitionInput;
  ports: SeatRushPorts;
  /** The HMAC key of admission tokens: at least 32 bytes, the same on every instance. */
  admissionSecret: string | Uint8Array;
  /**
   * How long a loop's lease lasts (with `leases`): renewed every third of it, so an owner that
   * dies is replaced within 4/3 of it; 2 s.
   */
  loopLeaseMs?: number;
  /**
   * The clock leases are measured with: the wall clock (a lease store's expiry is real time) even
   * when `clock` is a test's or a simulation's; a simulation whose lease store runs on its virtual
   * clock passes that clock here too.
   */
  leaseClock?: Clock;
  /** Keys still accepted while a rotation rolls out. */
  previousAdmissionSecrets?: Array<string | Uint8Array>;
  /** The wall clock by default. */
  clock?: Clock;
  /** Schedules the loops; the Node.js timer by default. */
  timer?: Timer;
  /** `atomic` (default): one store operation per reserve. `lock`: the lock-based pipeline (docs/design.md §Holds and stock). */
  strategy?: ReserveStrategy;
  /** Bot defence run before each join (the BotGuard plugs in here). */
  guard?: JoinGuard;
  /**
   * How the waiting room queues and admits (FIFO by default, no pre-queue, the sale's
   * `heartbeatTimeoutMs` as grace period, no invitations, SOLD_OUT refusals); see {@link SeatRush.queue}.
   */
  queueing?: SeatRushQueueingOptions;
  /**
   * Whether a confirmed reservation ends its buyer's waiting-room session at once, handing the
   * capacity to the next buyer instead of waiting for the session to lapse (default true). The
   * buyer must queue again to buy again. It runs on the `confirmed` hook, so in the instance whose
   * processor confirmed the reservation; the session lives in the shared store, so that is enough.
   */
  endSessionOnCheckout?: boolean;
  /** Whether reserve requires the signed admission token (default true). */
  requireAdmissionToken?: boolean;
  /** Whether the store checks the waiting-room admission (default true). */
  requireAdmission?: boolean;
  /** The processor's retry policy on the consumer. */
  retry?: RetryPolicy;
  loops?: SeatRushLoops;
  /** Default 1 s. */
  sweepIntervalMs?: number;
  /** Default 60 s. */
  reconcileIntervalMs?: number;
  /** See `ReservationProcessorOptions.paymentGraceMs`. */
  paymentGraceMs?: number;
  /**
   * The buyer-driven checkout's `paymentWindowMs` and `maxHoldMs` (120 s and 15 min by default):
   * the rebuild and the sweeper derive from them how long the hold of a row whose payment began
   * lives, so a rebuilt hold ends when the checkout would have ended it.
   */
  holdBounds?: { paymentWindowMs?: number; maxHoldMs?: number };
  /** Bound on the store's answer to a reserve (see `ReservationsOptions.answerWithinMs`); 2 s. */
  answerWithinMs?: number;
  /** The outbox gate (see `ReservationsOptions.relayLagLimitMs`); a quarter of the hold, ≤ 5 s. */
  relayLagLimitMs?: number;
  /** The outbox relay's timing (see {@link HoldRelayOptions}). */
  relay?: Pick<HoldRelayOptions, 'intervalMs' | 'relayAfterMs' | 'handOverWaitMs' | 'batchSize'>;
  /**
   * `if-cold` (default): load the sale from the repository unless the store has it already (a
   * second instance must not reset the holds the first one made); `always`; `never` (only check).
   */
  warmUp?: 'if-cold' | 'always' | 'never';
  /**
   * The host hooks the services feed (see {@link SaleHooks}); a fresh emitter whose handler
   * failures become HOOK_FAILED alerts by default.
   */
  hooks?: SaleHooks;
}

/** Where a sale stands, for a health endpoint. */
export interface SeatRushHealth {
  saleId: string;
  running: boolean;
  warmUp: WarmUpReport;
  /** Events published and not yet processed. */
  consumerLag: number | null;
  queue: { servedUpTo: number; waiting: number; active: number; admittedPerSecond: number | null };
}

/** The answer of a lifecycle command ({@link SeatRush.open}, `pause`, `resume`, `close`). */
export type SaleCommandOutcome =
  | { ok: true; state: SaleState }
  /** INVALID_TRANSITION, SALE_NOT_WARM or TOO_EARLY (see `RefusalCode`); the state is unchanged. */
  | { ok: false; code: SaleRefusal; state: SaleState };

/** A whole sale wired from ports: the services, and the loops that run them. */
export interface SeatRush {
  readonly sale: SaleDefinition;
  readonly tokens: AdmissionTokens;
  /**
   * The sale's waiting room with the operator's controls: join (with an invitation), the queueing
   * method switched live, the pre-queue opened at `opensAt`, session ends. The admission loop
   * ticks it, so the method in force is the one the loop follows.
   */
  readonly queue: WaitingRoom;
  /**
   * The same room as {@link queue} (one room, one `join`, which honours the method, lanes and
   * passthrough whichever name it is called by): status, heartbeat, tokens, broadcasts, the
   * admission rate.
   */
  readonly waitingRoom: WaitingRoom;
  readonly reservations: Reservations;
  /**
   * Hands the sale's holds to the pipeline from the store's outbox; pass it to the sale's
   * `GroupReservations` and `WaitingList` so their holds go the same way.
   */
  readonly relay: HoldRelay;
  readonly processor: ReservationProcessor;
  readonly sweeper: HoldSweeper;
  readonly warmUp: WarmUp;
  readonly reconciler: Reconciler;
  /** Typed host hooks (admitted, held, confirmed, failed, expired, released, sold-out, restocked). */
  readonly hooks: SaleHooks;
  /** Whether {@link start} has run (and {@link stop} has not). */
  readonly running: boolean;
  /**
   * The sale's lifecycle state (DRAFT → WARMING → READY → OPEN ⇄ PAUSED → CLOSED). Users may
   * queue before OPEN; admission and reservations happen only while OPEN.
   */
  readonly state: SaleState;
  /**
   * Saves the sale in the repository if it is new, warms it up (refusing with
   * `SaleNotWarmError` when the store does not verify; the state goes back to DRAFT), then starts
   * the processor on the consumer, the admission tick, the sweeper and the reconciler, and opens
   * the sale once `opensAt` has come (the admission loop opens it when the time comes).
   */
  start(): Promise<void>;
  /** Opens a READY sale: refused with TOO_EARLY before `opensAt`, SALE_NOT_WARM when the store is cold. */
  open(): Promise<SaleCommandOutcome>;
  /** Stops admitting and reserving for a while (an incident, a repair); holds keep expiring. */
  pause(): Promise<SaleCommandOutcome>;
  /** Sells again after a pause (refused with SALE_NOT_WARM when the store lost the sale). */
  resume(): Promise<SaleCommandOutcome>;
  /** Changes the admission rate here and, with `saleControl`, on every instance. */
  setAdmissionRate(rate: { usersPerInterval?: number; maxActive?: number }): Promise<void>;
  /** This instance's lease on a loop, or null when another instance runs it (or without `leases`). */
  loopLease(loop: 'admission' | 'reconciler'): LeaseGrant | null;
  /**
   * Shares an adaptive admission decision with every instance (fenced by this instance's
   * admission lease); false when this instance does not own the admission loop.
   */
  recordAdaptiveDecision(decision: AdaptiveDecision): Promise<boolean>;
  /** Shares the operator's adaptive policy (null: off) with every instance; a no-op without `saleControl`. */
  setAdaptivePolicy(policy: AdaptivePolicy | null): Promise<void>;
  /**
   * The adaptive policy in the shared record as this instance last read it (null: off), or
   * undefined without `saleControl` (each instance keeps its own then).
   */
  sharedAdaptivePolicy(): AdaptivePolicy | null | undefined;
  /**
   * Revokes `userId`'s invitations to this sale on every instance: a lane their signed invitation
   * would open is refused (INVITATION_REFUSED, reason REVOKED) from now on.
   * @throws ConfigurationError without the `saleControl` port.
   */
  revokeInvitation(userId: string): Promise<void>;
  /**
   * Ends the sale for good (recorded in the repository, so a restart does not serve it again);
   * reservations in flight are still processed.
   */
  close(): Promise<SaleCommandOutcome>;
  /** Stops every loop and the consumer, waiting for work in progress. */
  stop(): Promise<void>;
  /**
   * Rebuilds the sale from the source of truth when the store lost it (issue 20; the services do
   * it themselves on a `SALE_NOT_WARM` answer, and the reconciler on its runs). Only while the sale
   * runs here and the ports can rebuild (`InventoryStore.restore`, `ReservationRepository.listInFlight`);
   * one at a time. Answers the rebuild's report, or null when none was started; never rejects.
   */
  rebuildIfCold(): Promise<RebuildReport | null>;
  health(): Promise<SeatRushHealth>;
  /** The reservation as the source of truth has it (its final state once processed). */
  reservation(reservationId: string): Promise<ReservationRow | null>;
  /**
   * Resolves once the outbox is empty and the consumer has processed everything published so far; rejects with
   * `InfrastructureError` after `timeoutMs` (default 10 s). For tests, scripts and graceful drains.
   */
  drain(timeoutMs?: number): Promise<void>;
}

/** Wires a sale from its ports. Nothing runs until `start()`. */
export function createSeatRush(options: SeatRushOptions): SeatRush {
  const sale = validate('sale', SaleDefinition, options.sale);
  const hooks =
    options.hooks ??
    new SaleHooks({
      onError: (error, hook) => {
        void options.ports.alerts
          .alert({
            severity: 'warning',
            code: 'HOOK_FAILED',
            message: `a host handler of the ${hook} hook failed; the sale goes on`,
            context: { saleId: sale.id, ...describeHookError(error, hook) },
          })
          .catch(() => undefined); // the alert sink itself is down: nothing left to tell
      },
    });
  // every service publishes its facts: the decorated publisher turns them into hooks
  const ports: SeatRushPorts = {
    ...options.ports,
    publisher: new HookedPublisher({
      publisher: options.ports.publisher,
      hooks,
      inventory: options.ports.inventory,
    }),
  };
  const clock = options.clock ?? systemClock;
  const timer = options.timer ?? systemTimer;
  // issue 20: a sale the store lost is rebuilt from the source of truth without an operator, by
  // the reconciler and at once when a store answer says it is not warm (the ports permitting)
  const { inventory: store, repository } = options.ports;
  const rebuild =
    store.restore && repository.listInFlight
      ? new RebuildService({
          repository,
          inventory: store,
          clock,
          alerts: ports.alerts,
          ...options.holdBounds,
        })
      : null;
  const coldSale = rebuild
    ? new ColdSaleRebuilder({
        rebuild,
        alerts: ports.alerts,
        clock,
        serving: (saleId) => saleId === sale.id && running && state !== 'DRAFT',
      })
    : null;
  if (coldSale) {
    const onNotWarm = (saleId: string) => void coldSale.trigger(saleId);
    ports.inventory = watchNotWarm(ports.inventory, onNotWarm);
    if (ports.steps) ports.steps = watchStepsNotWarm(ports.steps, onNotWarm);
  }
  const strategy = options.strategy ?? 'atomic';
  if (strategy === 'lock' && (!ports.lock || !ports.steps)) {
    throw new ConfigurationError('the lock strategy needs the `lock` and `steps` ports');
  }
  const loops = {
    admission: true,
    sweeper: true,
    processor: true,
    reconciler: true,
    relay: true,
    ...options.loops,
  };
  const tokens = new AdmissionTokens({
    secret: options.admissionSecret,
    ...(options.previousAdmissionSecrets ? { previousSecrets: options.previousAdmissionSecrets } : {}),
  });
  const queueing = validate('queueing options', QueueingOptionsSchema, options.queueing ?? {});
  const queue = new WaitingRoom({
    sale,
    store: ports.waitingRoom,
    tokens,
    clock,
    publisher: ports.publisher,
    ...(options.guard ? { guard: options.guard } : {}),
    ...(ports.saleControl ? { revocations: ports.saleControl } : {}),
    ...queueing,
  });
  const waitingRoom = queue;
  // users may queue before the sale opens, but nobody is admitted until it is OPEN
  waitingRoom.pause();
  let state: SaleState = 'DRAFT';
  const relay = new HoldRelay({
    ...options.relay,
    sale,
    inventory: ports.inventory,
    publisher: ports.publisher,
    alerts: ports.alerts,
    clock,
    timer,
  });
  const reservations = new Reservations({
    relay,
    ...(options.answerWithinMs === undefined ? {} : { answerWithinMs: options.answerWithinMs }),
    ...(options.relayLagLimitMs === undefined ? {} : { relayLagLimitMs: options.relayLagLimitMs }),
    sale,
    // an instance that does not run the admission loop opens lazily when the time has come
    isOpen: () => openIfDue().state === 'OPEN',
    inventory: ports.inventory,
    publisher: ports.publisher,
    clock,
    alerts: ports.alerts,
    strategy,
    waitingRoom: ports.waitingRoom,
    requireAdmission: options.requireAdmission ?? true,
    ...(ports.lock ? { lock: ports.lock } : {}),
    ...(ports.steps ? { steps: ports.steps } : {}),
    ...((options.requireAdmissionToken ?? true) ? { tokens } : {}),
    // a release answered is recorded in the source of truth, so a rebuild never holds it again
    repository: ports.repository,
  });
  const processor = new ReservationProcessor({
    inventory: ports.inventory,
    repository: ports.repository,
    payments: ports.payments,
    publisher: ports.publisher,
    alerts: ports.alerts,
    clock,
    ...(options.paymentGraceMs === undefined ? {} : { paymentGraceMs: options.paymentGraceMs }),
  });
  const sweeper = new HoldSweeper({
    saleIds: [sale.id],
    inventory: ports.inventory,
    publisher: ports.publisher,
    alerts: ports.alerts,
    clock,
    timer,
    intervalMs: options.sweepIntervalMs ?? 1_000,
    // its check of the rows in flight publishes again a HoldExpired that was lost
    ...(repository.listInFlight ? { repository } : {}),
    ...options.holdBounds,
  });
  const warmUp = new WarmUp({
    repository: ports.repository,
    inventory: ports.inventory,
    clock,
    publisher: ports.publisher,
    alerts: ports.alerts,
    // an if-cold start loads through the rebuild's atomic restore, holds in flight kept
    ...(rebuild ? { rebuild } : {}),
  });
  const reconciler = new Reconciler({
    repository: ports.repository,
    inventory: ports.inventory,
    alerts: ports.alerts,
    clock,
    publisher: ports.publisher,
    ...(rebuild ? { rebuild } : {}),
    saleIds: [sale.id],
    intervalMs: options.reconcileIntervalMs ?? 60_000,
    timer,
  });
  const leases = ports.leases;
  const leaseMs = options.loopLeaseMs ?? 2_000;
  const leasedLoops = new Map<string, LeasedLoop>();
  /** A loop of this sale: under a lease when the ports have leases (one instance at a time), else here. */
  function saleLoop(
    name: 'admission' | 'reconciler',
    loop: { intervalMs: number; work: () => Promise<unknown>; onError: (error: unknown) => void },
  ): { start(): void; stop(): Promise<void> } {
    if (!leases) return new PeriodicTask({ ...loop, timer });
    const leased = new LeasedLoop({
      leases,
      name: saleLoopLease(sale.id, name),
      leaseMs: Math.max(leaseMs, 50),
      intervalMs: loop.intervalMs,
      task: () => loop.work(),
      onError: loop.onError,
      clock: options.leaseClock ?? systemClock,
      timer,
    });
    leasedLoops.set(name, leased);
    return leased;
  }
  const admission = saleLoop('admission', {
    intervalMs: sale.admission.intervalMs,
    work: async () => {
      openIfDue(); // the scheduled opening
      // the queueing room's tick: the pre-queue shuffle at opensAt, lapsed places, the method
      const report = await queue.tick();
      if (report.publishError) {
        await ports.alerts.alert({
          severity: 'warning',
          code: 'AUDIT_PUBLISH_FAILED',
          message: `${report.admitted.length} admissions could not be published`,
          context: { saleId: sale.id, error: describeError(report.publishError) },
        });
      }
    },
    onError: (error) =>
      alertLoopFailed('ADMISSION_TICK_FAILED', 'an admission tick failed; the next one retries', error),
  });

  if (options.endSessionOnCheckout ?? true) {
    hooks.on('confirmed', async ({ saleId, userId }) => {
      if (saleId !== sale.id) return; // a host may share one hooks emitter between sales
      try {
        await queue.endSession({ userId, reason: 'CHECKOUT' });
      } catch (error) {
        // the session still lapses at its expiry: the capacity comes back later, not never
        await ports.alerts.alert({
          severity: 'warning',
          code: 'SESSION_END_FAILED',
          message: 'a buyer who checked out keeps their admission until it lapses',
          context: { saleId, userId, error: describeError(error) },
        });
      }
    });
  }

  let running = false;
  let starting: Promise<void> | null = null;
  let consumerStarted = false;
  const reconcileLoop = leases
    ? saleLoop('reconciler', {
        intervalMs: options.reconcileIntervalMs ?? 60_000,
        work: () => reconciler.reconcile(sale.id),
        onError: (error) => alertLoopFailed('RECONCILIATION_FAILED', 'a reconciliation failed', error),
      })
    : reconciler;
  function alertLoopFailed(code: string, message: string, error: unknown): void {
    warnLoopFailed(ports.alerts, { code, message, context: { saleId: sale.id } }, error);
  }

  /** Applies a lifecycle event and performs its effects on the waiting room (synchronously). */
  function apply(event: SaleEvent): SaleCommandOutcome {
    const result = transitionSale(state, event);
    if (!result.ok) return { ok: false, code: result.code, state };
    state = result.state;
    for (const effect of result.effects) {
      if (effect === 'START_ADMISSION') waitingRoom.resume();
      if (effect === 'STOP_ADMISSION' || effect === 'CLOSE_WAITING_ROOM') waitingRoom.pause();
      // stopping waits for a running tick, which never rejects: nothing to await here
      if (effect === 'CLOSE_WAITING_ROOM') void admission.stop();
    }
    return { ok: true, state };
  }

  const warm = async () => {
    // a restart after stop(): the store must still hold the sale, whatever its state
    if (state !== 'DRAFT') {
      await warmUp.assertReady(sale.id);
      return;
    }
    const mode = options.warmUp ?? 'if-cold';
    apply({ type: 'START_WARMUP' });
    try {
      if (mode === 'always') await warmUp.warm(sale.id);
      // one atomic check-and-load that keeps the holds in flight of a sale the store lost
      else if (mode === 'if-cold') await warmUp.warmIfCold(sale.id);
      await warmUp.assertReady(sale.id);
    } catch (error) {
      apply({ type: 'WARMUP_FAILED', reason: describeError(error).message });
      throw error;
    }
    apply({ type: 'WARMUP_SUCCEEDED' });
  };

  const sync = ports.saleControl
    ? new SaleControlSync({
        sale,
        store: ports.saleControl,
        local: { state: () => state, apply, room: waitingRoom },
        clock,
        timer,
        onError: (error) =>
          alertLoopFailed(
            'SALE_CONTROL_UNREACHABLE',
            'this instance could not follow the sale’s shared state',
            error,
          ),
      })
    : null;
  /** A lifecycle command: decided in the shared store when there is one, else here. */
  const command = (event: SaleEvent): Promise<SaleCommandOutcome> | SaleCommandOutcome =>
    // before the sale joined the shared store (DRAFT, warming up) its lifecycle is this instance's own
    sync?.joined ? sync.command(event) : apply(event);

  /** Opens a READY sale once `opensAt` has come; the store was verified warm when it became READY. */
  const openIfDue = (): SaleCommandOutcome =>
    state === 'READY' && clock.now() >= sale.opensAt
      ? apply({ type: 'OPEN', at: clock.now(), opensAt: sale.opensAt, warm: true })
      : { ok: true, state };

  const startOnce = async (): Promise<void> => {
    if (!(await ports.repository.getSale(sale.id))) await ports.repository.saveSale(sale);
    await warm();
    // the method and pre-queue in the store before the first join (a join would do it too)
    await queue.start();
    if (loops.processor) {
      await ports.consumer.start({
        types: ['ReservationRequested'],
        handler: processor,
        ...(options.retry ? { retry: options.retry } : {}),
      });
      consumerStarted = true;
    }
    if (sync) {
      openIfDue();
      await sync.join();
      sync.start();
    }
    if (loops.admission && state !== 'CLOSED') admission.start();
    if (loops.relay) relay.start();
    if (loops.sweeper) sweeper.start();
    if (loops.reconciler) reconcileLoop.start();
    running = true;
    openIfDue();
  };

  const seatRush: SeatRush = {
    sale,
    tokens,
    queue,
    waitingRoom,
    reservations,
    relay,
    processor,
    sweeper,
    warmUp,
    reconciler,
    hooks,
    get running() {
      return running;
    },
    get state() {
      return state;
    },
    start() {
      if (running) return Promise.resolve();
      // a start while one is in flight (a restart's discovery and the periodic one) joins it: a
      // second start that found the sale WARMING went on as if warmed, and when the first one's
      // warm-up failed the sale was left running in DRAFT, never to follow the shared state
      starting ??= startOnce().finally(() => {
        starting = null;
      });
      return starting;
    },
    async open() {
      return command({
        type: 'OPEN',
        at: clock.now(),
        opensAt: sale.opensAt,
        warm: await ports.inventory.isWarm(sale.id),
      });
    },
    async pause() {
      return command({ type: 'PAUSE' });
    },
    async resume() {
      return command({ type: 'RESUME', warm: await ports.inventory.isWarm(sale.id) });
    },
    async setAdmissionRate(rate) {
      if (sync) await sync.setAdmissionRate(rate);
      else waitingRoom.setAdmissionRate(rate);
    },
    loopLease: (loop) => leasedLoops.get(loop)?.lease ?? null,
    async recordAdaptiveDecision(decision) {
      const lease = leasedLoops.get('admission')?.lease;
      if (!sync || !lease) return !leases; // without leases, this instance decides alone
      return sync.recordAdaptiveDecision(decision, lease.fencingToken);
    },
    async setAdaptivePolicy(policy) {
      await sync?.setAdaptivePolicy(policy);
    },
    sharedAdaptivePolicy: () => (sync ? sync.adaptivePolicy : undefined),
    async revokeInvitation(userId) {
      if (!ports.saleControl) {
        throw new ConfigurationError('revoking invitations needs the `saleControl` port (the store bundle)');
      }
      await ports.saleControl.revokeInvitation({ saleId: sale.id, userId });
    },
    async close() {
      const outcome = await command({ type: 'CLOSE' });
      await admission.stop();
      if (outcome.ok) {
        // the source of truth remembers it, so a restarted process does not serve it again
        await ports.repository.recordSaleClosed(sale.id, clock.now()).catch((error: unknown) =>
          ports.alerts
            .alert({
              severity: 'warning',
              code: 'SALE_CLOSE_NOT_RECORDED',
              message: 'the sale is closed here, but the source of truth could not record it',
              context: { saleId: sale.id, error: describeError(error) },
            })
            .catch(() => undefined),
        );
      }
      return outcome;
    },
    async stop() {
      await Promise.all([admission.stop(), sweeper.stop(), reconcileLoop.stop(), relay.stop(), sync?.stop()]);
      if (consumerStarted) await ports.consumer.stop();
      consumerStarted = false;
      running = false;
    },
    rebuildIfCold: () => coldSale?.trigger(sale.id) ?? Promise.resolve(null),
    async health() {
      const [report, broadcast] = await Promise.all([warmUp.health(sale.id), waitingRoom.broadcast()]);
      return {
        saleId: sale.id,
        running,
        warmUp: report,
        consumerLag: consumerStarted ? await ports.consumer.lag() : null,
        queue: {
          servedUpTo: broadcast.servedUpTo,
          waiting: broadcast.waiting,
          active: broadcast.active,
          admittedPerSecond: broadcast.admittedPerSecond,
        },
      };
    },
    reservation(reservationId) {
      return ports.repository.get(reservationId);
    },
    async drain(timeoutMs = 10_000) {
      if (!consumerStarted)
        throw new ConfigurationError('drain needs the processor running (start it first)');
      // a real timer, not the Clock: it bounds a real wait even while a test holds the clock still
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
      }, timeoutMs);
      try {
        await relay.flush();
        while ((await relay.backlog(1)).holds > 0 || (await ports.consumer.lag()) > 0) {
          if (timedOut) throw new InfrastructureError(`the consumer did not drain within ${timeoutMs} ms`);
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
      } finally {
        clearTimeout(timer);
      }
    },
  };
  return seatRush;
}

/** The in-memory adapters behind {@link createInMemorySeatRush}, for tests and admin views. */
export interface InMemoryPorts {
  waitingRoom: MemoryWaitingRoomStore;
  inventory: MemoryInventoryStore;
  bus: MemoryEventBus;
  repository: MemoryReservationRepository;
  payments: PaymentGateway;
  alerts: MemoryAlertSink;
  lock: MemoryDistributedLock;
}

/** Options of {@link createInMemorySeatRush}: those of {@link createSeatRush} without the ports. */
export interface InMemorySeatRushOptions extends Omit<SeatRushOptions, 'ports' | 'admissionSecret'> {
  /** A random secret by default (tokens then die with the process, which is fine in memory). */
  admissionSecret?: string | Uint8Array;
  /** The approving fake gateway by default. */
  payments?: PaymentGateway;
  /**
   * The draw behind the `random` method and the pre-queue shuffle; the operating system's CSPRNG
   * by default. Tests inject a scripted one to know the order in advance.
   */
  random?: RandomBelow;
}

/**
 * A whole sale in one process, on the in-memory adapters: the embedded default of the demo and
 * the quickest way to try SeatRush. Same services, same pipeline as with Redis, Kafka and
 * PostgreSQL.
 */
export function createInMemorySeatRush(
  options: InMemorySeatRushOptions,
): SeatRush & { memory: InMemoryPorts } {
  const clock = options.clock ?? systemClock;
  const waitingRoom = new MemoryWaitingRoomStore(options.random ? { random: options.random } : {});
  const inventory = new MemoryInventoryStore({ waitingRoom });
  const memory: InMemoryPorts = {
    waitingRoom,
    inventory,
    bus: new MemoryEventBus(),
    repository: new MemoryReservationRepository(),
    payments: options.payments ?? new FakePaymentGateway(),
    alerts: new MemoryAlertSink(),
    lock: new MemoryDistributedLock({ clock }),
  };
  const { payments: _, random: __, admissionSecret, ...rest } = options;
  const seatRush = createSeatRush({
    ...rest,
    clock,
    admissionSecret: admissionSecret ?? randomBytes(32),
    ports: {
      waitingRoom,
      inventory,
      publisher: memory.bus,
      consumer: memory.bus.consumer('seatrush-processor'),
      repository: memory.repository,
      payments: memory.payments,
      alerts: memory.alerts,
      lock: memory.lock,
      steps: inventory.steps(),
    },
  });
  return Object.assign(seatRush, { memory });
}

import {
  createSeatRushRuntime,
  FakePaymentGateway,
  InfrastructureError,
  type InventoryStore,
  memoryPorts,
  PaymentUnavailableError,
  PublishError,
  type ReservationRepository,
  type RuntimePorts,
  type RuntimeSale,
  type SaleDefinitionInput,
  type SeatRushRuntime,
} from '@seatrush/core';
import { MemoryAlertSink } from '@seatrush/core/memory';

import { type BuyerEnd, runBuyer, type ServingInstance } from './buyers';
import { SimulatedEventLog } from './event-log';
import { drawFaultRates, FAULT_KINDS, FaultInjector, type FaultKind, simulatedPort } from './faults';
import { InvariantChecker, InvariantViolation } from './invariants';
import { Random } from './random';
import { type Component, Scheduler } from './scheduler';

/** What a run is: everything else is drawn from the seed. */
export interface SimulationConfig {
  seed: number;
  /** Buyers in the sale (5-30, from the seed, by default). */
  buyers?: number;
  /**
   * Which buyers take part, by index (all of `0 … buyers − 1` by default): shrinking removes
   * single buyers, and each keeps the choices its own stream gives it.
   */
  buyerIds?: readonly number[];
  /** The run stops after this many steps (checking only the instant invariants); default 60,000. */
  maxSteps?: number;
  /** The fault kinds injected; all by default. */
  faults?: readonly FaultKind[];
  /** API instances sharing the stores (1-3, from the seed, by default). */
  instances?: number;
  /**
   * Replaces the shared inventory store as every instance sees it: how a test proves the checker
   * catches a broken adapter. Not part of a replay command.
   */
  inventory?: (store: InventoryStore, world: { steps: NonNullable<RuntimePorts['steps']> }) => InventoryStore;
  /** Replaces the shared source of truth as every instance sees it (see `inventory`). */
  repository?: (repository: ReservationRepository) => ReservationRepository;
}

/** A config with every choice made. */
export type ResolvedConfig = Required<Omit<SimulationConfig, 'inventory' | 'repository'>>;

/** How a run ended. */
export interface SimulationResult {
  ok: boolean;
  config: ResolvedConfig;
  /** Whether the sale ran to its end and settled (false: stopped by `maxSteps`). */
  completed: boolean;
  steps: number;
  /** Virtual time the sale took. */
  virtualMs: number;
  /** Hash of the steps run: the same config gives the same fingerprint. */
  fingerprint: string;
  failure?: { invariant: string; message: string; step: number; recent: string[] };
  stats: {
    acknowledged: number;
    confirmed: number;
    buyers: Partial<Record<BuyerEnd, number>>;
    faults: Record<FaultKind, number>;
    crashes: number;
    deadLetters: number;
    /** The ten most frequent kinds of step. */
    busiest: Array<[string, number]>;
  };
}

const SECRET = 'simulation-admission-secret-of-32-bytes!';
const SALE_ID = 'sim-sale';
const START = 1_767_225_600_000;
/** After the buyers are done, the faults stop and the sale has this long (virtual) to settle. */
const SETTLE_MS = 15 * 60_000;

/** Fills in what the config leaves to the seed. */
export function resolveConfig(config: SimulationConfig): ResolvedConfig {
  const random = new Random(config.seed, 1);
  const buyers = random.between(5, 30);
  const instances = random.between(1, 3);
  return {
    seed: config.seed,
    buyers: config.buyers ?? buyers,
    buyerIds: config.buyerIds ?? Array.from({ length: config.buyers ?? buyers }, (_, i) => i),
    instances: config.instances ?? instances,
    maxSteps: config.maxSteps ?? 60_000,
    faults: config.faults ?? FAULT_KINDS,
  };
}

/** The sale a seed runs: general admission or a seat map, a small stock, short holds. */
function saleOf(random: Random): SaleDefinitionInput {
  const seated = random.chance(0.5);
  const tier = { id: 'std', name: 'Standard', priceCents: 5_000 };
  const inventory = seated
    ? {
        kind: 'assigned' as const,
        sections: [
          {
            id: 'A',
            name: 'Stalls',
            rows: Array.from({ length: random.between(1, 3) }, (_, r) => ({
              id: `R${r + 1}`,
              seats: Array.from({ length: random.between(2, 6) }, (_, s) => ({
                id: `A-${r + 1}-${s + 1}`,
                label: `${r + 1}-${s + 1}`,
                tier: 'std',
              })),
            })),
          },
        ],
      }
    : { kind: 'general' as const, capacity: random.between(2, 20), tier: 'std' };
  return {
    id: SALE_ID,
    name: 'Simulated sale',
    inventory,
    tiers: [tier],
    opensAt: START + 1_000,
    holdMs: random.pick([2_000, 5_000, 15_000]),
    admission: {
      usersPerInterval: random.between(1, 5),
      intervalMs: random.pick([250, 500, 1_000]),
      maxActive: random.between(2, 10),
      sessionMs: 20_000,
      heartbeatTimeoutMs: 30_000,
    },
    limits: { ticketsPerUser: random.between(1, 4) },
  };
}

interface Instance {
  index: number;
  component: Component;
  runtime: SeatRushRuntime;
  ports: RuntimePorts;
  sale: RuntimeSale | null;
}

/**
 * Runs one whole sale under the seed: API instances over shared in-memory stores (the "servers"),
 * the worker, sweeper, reconciler, relay and waiting list in them, buyers, and faults; checks the
 * invariants after every step and once more after the sale settled. Never throws for a violation:
 * the result says what failed, at which step.
 */
export async function runSimulation(input: SimulationConfig): Promise<SimulationResult> {
  const config = resolveConfig(input);
  const scheduler = new Scheduler({
    random: new Random(config.seed, 2),
    start: START,
    advanceChance: new Random(config.seed, 3).pick([0.01, 0.05, 0.2]),
  });
  const faultRandom = new Random(config.seed, 4);
  const faults = new FaultInjector(drawFaultRates(faultRandom), config.faults, faultRandom);
  const crashRandom = new Random(config.seed, 5);
  const sale = saleOf(new Random(config.seed, 7));
  const broker = scheduler.component('broker');
  const restoreTimers = scheduler.installVirtualTimers(broker);
  // an unhandled rejection ends a Node process: in a run it is a failure like any invariant
  let unhandled: unknown = null;
  const onUnhandled = (reason: unknown) => {
    unhandled ??= reason;
  };
  process.on('unhandledRejection', onUnhandled);
  try {
    return await simulate();
  } finally {
    restoreTimers();
    process.off('unhandledRejection', onUnhandled);
  }

  async function simulate(): Promise<SimulationResult> {
    const log = new SimulatedEventLog({
      scheduler,
      faults,
      random: new Random(config.seed, 8),
      broker,
      sessionTimeoutMs: 3_000,
    });
    const shared = memoryPorts({ clock: scheduler.clock });
    const payments = new FakePaymentGateway();
    const alerts = new MemoryAlertSink();
    const capacity =
      sale.inventory.kind === 'general'
        ? sale.inventory.capacity
        : sale.inventory.sections.reduce((n, s) => n + s.rows.reduce((m, r) => m + r.seats.length, 0), 0);
    const checker = new InvariantChecker({
      saleId: SALE_ID,
      capacity,
      inventory: shared.inventory,
      repository: shared.repository,
      payments,
    });
    let violation: InvariantViolation | null = null;
    log.observe((event) => {
      try {
        checker.observe(event);
      } catch (error) {
        violation ??= asViolation(error);
      }
    });
    // the admissions as the store makes them, in its own order (a script's order in Redis)
    const waitingRoomServer = new Proxy(shared.waitingRoom, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        if (property !== 'admitNext' && property !== 'admit' && property !== 'enter')
          return value.bind(target);
        return async (...args: unknown[]) => {
          const result = await value.apply(target, args);
          const admitted =
            'admitted' in result
              ? result.admitted
              : result.entry?.state === 'ADMITTED' && !result.alreadyJoined
                ? [result.entry]
                : [];
          try {
            checker.admittedInStore(admitted);
          } catch (error) {
            violation ??= asViolation(error);
          }
          return result;
        };
      },
    });
    const inventory = input.inventory
      ? input.inventory(shared.inventory, { steps: shared.steps! })
      : shared.inventory;

    const repository = input.repository ? input.repository(shared.repository) : shared.repository;
    const instances: Instance[] = [];
    let generation = 0;
    let crashes = 0;
    const infra = (message: string) => new InfrastructureError(message);

    const launch = (index: number, define: boolean): Promise<void> => {
      const component = scheduler.component(`api${index}.${generation++}`);
      return scheduler.run(component, () => boot(component, index, define));
    };

    const boot = async (component: Component, index: number, define: boolean): Promise<void> => {
      const port = <T extends object>(inner: T, name: string, kind: 'store' | 'repository') =>
        simulatedPort(inner, { name, component, scheduler, faults, kind, error: infra });
      const ports: RuntimePorts = {
        waitingRoom: port(waitingRoomServer, 'waitingRoom', 'store'),
        inventory: port(inventory, 'inventory', 'store'),
        waitingList: port(shared.waitingList!, 'waitingList', 'store'),
        publisher: simulatedPort(log, {
          name: 'publisher',
          component,
          scheduler,
          faults,
          kind: 'publish',
          error: (m) => new PublishError(m),
          methods: ['publish'],
          rates: { before: faults.rates.publishDrop, after: faults.rates.publishAmbiguous },
        }),
        consumer: (group) => log.consumer(component, group),
        repository: port(repository, 'repository', 'repository'),
      };
      const runtime = createSeatRushRuntime({
        ports,
        payments: simulatedPort(payments, {
          name: 'payments',
          component,
          scheduler,
          faults,
          kind: 'payments',
          error: (m) => new PaymentUnavailableError(m),
        }),
        admissionSecret: SECRET,
        alerts,
        clock: scheduler.clock,
        timer: scheduler.timer(component),
        // one admission loop and one reconciler (no leases yet); sweeper, relay and a standby worker everywhere
        loops: index === 0 ? {} : { admission: false, reconciler: false },
      });
      const instance: Instance = { index, component, runtime, ports, sale: null };
      instances[index] = instance;
      // a start that fails (a store failing during warm-up) is retried, as a supervisor restarts a process
      for (;;) {
        try {
          if (define) await runtime.define(sale);
          await runtime.start();
          instance.sale = runtime.sale(SALE_ID) ?? null;
          if (instance.sale) return;
        } catch {
          // retried below
        }
        await scheduler.sleep(component, 1_000, 'restart after a failed start');
      }
    };

    const world = {
      scheduler,
      checker,
      payments,
      seated: sale.inventory.kind === 'assigned',
      ticketsPerUser: sale.limits?.ticketsPerUser ?? 4,
      anyInstance(random: Random): ServingInstance | null {
        const up = instances.filter((i) => i.component.alive && i.sale);
        if (up.length === 0) return null;
        const chosen = random.pick(up);
        return { sale: chosen.sale!, ports: chosen.ports };
      },
    };

    // the boot: the first instance defines the sale, the others serve it from the source of truth
    const booting = (async () => {
      await launch(0, true);
      for (let i = 1; i < config.instances; i++) await launch(i, false);
    })();
    const ends: Partial<Record<BuyerEnd, number>> = {};
    let buyersLeft = config.buyers;
    void booting.then(() => {
      for (let i = 0; i < config.buyers; i++) {
        const me = scheduler.component(`buyer${i}`);
        void scheduler
          .run(me, () => runBuyer(world, me, i, new Random(config.seed, 1_000 + i)))
          .then((end) => {
            ends[end] = (ends[end] ?? 0) + 1;
          })
          .catch((error: unknown) => {
            violation ??= asViolation(error);
          })
          .finally(() => {
            buyersLeft -= 1;
          });
      }
    });

    const crash = (instance: Instance) => {
      crashes += 1;
      scheduler.crash(instance.component);
      log.crashed(instance.component);
      instance.sale = null;
      const downMs = crashRandom.between(500, 10_000);
      void scheduler
        .sleep(broker, downMs, `restart api${instance.index}`)
        .then(() => launch(instance.index, false));
    };

    let completed = false;
    let settleBy: number | null = null;
    while (!violation && scheduler.steps < config.maxSteps) {
      if (!(await scheduler.step())) {
        // nothing scheduled yet: let the async work started outside a step reach its first point
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (!(await scheduler.step())) break;
      }
      try {
        await checker.afterStep(scheduler.lastLabel);
      } catch (error) {
        violation = asViolation(error);
        break;
      }
      if (unhandled !== null) {
        violation = new InvariantViolation('unhandled-rejection', describe(unhandled));
        break;
      }
      const up = instances.filter((i) => i.component.alive && i.sale);
      if (up.length > 0 && faults.roll('crash', faults.rates.crash)) crash(crashRandom.pick(up));
      if (buyersLeft === 0 && settleBy === null) {
        faults.healed = true; // the storm is over: the sale must now converge
        settleBy = scheduler.clock.now() + SETTLE_MS;
      }
      if (settleBy !== null && scheduler.steps % 16 === 0) {
        if (await isSettled()) {
          completed = true;
          break;
        }
        if (scheduler.clock.now() > settleBy) {
          violation = new InvariantViolation(
            'settles',
            `the sale did not settle within ${SETTLE_MS} ms after the last buyer`,
          );
          break;
        }
      }
    }
    if (!violation && completed) {
      try {
        await checker.afterSettling();
      } catch (error) {
        violation = asViolation(error);
      }
    }

    async function isSettled(): Promise<boolean> {
      if (instances.some((i) => !i.component.alive || !i.sale)) return false;
      if (
        (await shared.inventory.unrelayed({ saleId: SALE_ID, enqueuedUpTo: scheduler.clock.now(), limit: 1 }))
          .length > 0
      )
        return false;
      if (log.lag('seatrush-reservation-worker') > 0) return false;
      return checker.settled();
    }

    const rows = shared.repository.rowsOf(SALE_ID);
    return {
      ok: violation === null,
      config,
      completed,
      steps: scheduler.steps,
      virtualMs: scheduler.clock.now() - START,
      fingerprint: scheduler.fingerprint,
      ...(violation
        ? {
            failure: {
              invariant: (violation as InvariantViolation).invariant,
              message: (violation as InvariantViolation).message,
              step: scheduler.steps,
              recent: [...scheduler.recent],
            },
          }
        : {}),
      stats: {
        acknowledged: checker.acknowledged.size,
        confirmed: rows.filter((r) => r.status === 'CONFIRMED').length,
        buyers: ends,
        faults: { ...faults.injected },
        crashes,
        deadLetters: log.deadLetters.length,
        busiest: [...scheduler.stepsByLabel].sort((a, b) => b[1] - a[1]).slice(0, 10),
      },
    };
  }
}

function asViolation(error: unknown): InvariantViolation {
  if (error instanceof InvariantViolation) return error;
  return new InvariantViolation('crash', describe(error));
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

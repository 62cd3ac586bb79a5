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
  SimulatedPaymentProvider,
} from '@seatrush/core';
import {
  MemoryAlertSink,
  MemoryCheckoutStore,
  MemoryInventoryStore,
  MemoryNotificationOutbox,
} from '@seatrush/core/memory';
import type { LeaseStore, SaleControlStore } from '@seatrush/core/ports';

import { type BuyerEnd, runBuyer, type ServingInstance } from './buyers';
import { countWrites, MONEY_READS, type ServerChanges, STORE_READS, TRUTH_READS } from './changes';
import { SimulatedEventLog } from './event-log';
import { drawFaultRates, FAULT_KINDS, FaultInjector, type FaultKind, simulatedPort } from './faults';
import { InvariantChecker, InvariantViolation, type MoneyView } from './invariants';
import { Random } from './random';
import { type Component, Scheduler, settled, TIMED_OUT } from './scheduler';
import { WebhookChannel } from './webhooks';

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
  /** API instances sharing the stores (1-3, from the seed, by default; 3 most often). */
  instances?: number;
  /**
   * How buyers pay: `auto` (the worker charges at once) or `buyer` (the buyer-driven checkout:
   * begin, the card at the provider, its webhooks); from the seed by default.
   */
  checkout?: CheckoutMode;
  /**
   * Replaces the shared inventory store as every instance sees it: how a test proves the checker
   * catches a broken adapter. Not part of a replay command.
   */
  inventory?: (store: InventoryStore, world: { steps: NonNullable<RuntimePorts['steps']> }) => InventoryStore;
  /** Replaces the shared source of truth as every instance sees it (see `inventory`). */
  repository?: (repository: ReservationRepository) => ReservationRepository;
  /** Replaces the shared lease store as every instance sees it (see `inventory`). */
  leases?: (leases: LeaseStore) => LeaseStore;
  /** Replaces the shared store of the sale's controls as every instance sees it (see `inventory`). */
  saleControl?: (store: SaleControlStore) => SaleControlStore;
  /**
   * Proves the checker's change counting sound (slow; for tests): after every step, the state the
   * invariants read is compared with the writes counted, and a change nobody counted fails the
   * run (`unnoticed-write`). Not part of a replay command.
   */
  verifyChanges?: boolean;
}

/** How the buyers of a run pay. */
export type CheckoutMode = 'auto' | 'buyer';

/** A config with every choice made. */
export type ResolvedConfig = Required<
  Omit<SimulationConfig, 'inventory' | 'repository' | 'leases' | 'saleControl' | 'verifyChanges'>
>;

/** How a run ended. */
export interface SimulationResult {
  ok: boolean;
  config: ResolvedConfig;
  /** Whether the sale ran to its end and settled (false: stopped by `maxSteps`). */
  completed: boolean;
  /** What a run stopped by `maxSteps` after the last buyer still waited for. */
  unsettled?: string;
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
    /** Loop leases taken over from another instance (a crashed or slow owner's). */
    takeovers: number;
    /** Operator pauses that reached every instance. */
    pauses: number;
    /** Store wipes, each followed by the rebuild. */
    wipes: number;
    /** Buyer-driven checkout: webhooks attempted, dropped, duplicated, late, never delivered. */
    webhooks: WebhookChannel['stats'] | null;
    /** Operator alerts raised, by code. */
    alerts: Record<string, number>;
    /** The ten most frequent kinds of step. */
    busiest: Array<[string, number]>;
  };
}

const SECRET = 'simulation-admission-secret-of-32-bytes!';
const SALE_ID = 'sim-sale';
const START = 1_767_225_600_000;
/** After the buyers are done, the faults stop and the sale has this long (virtual) to settle. */
const SETTLE_MS = 15 * 60_000;
/**
 * The admission loop and the reconciler run under leases this long (the runtime's default is 2 s;
 * longer here, so the keepers' renewals do not crowd the steps of a run).
 */
const LEASE_MS = 6_000;
/**
 * A change of the sale's shared state (a pause, a resume, the opening) reaches every instance
 * within this much virtual time: each follows the store every admission interval (at most 1 s);
 * the rest is the slack of a busy scheduler.
 */
const FOLLOW_BOUND_MS = 5_000;

/** Fills in what the config leaves to the seed. */
export function resolveConfig(config: SimulationConfig): ResolvedConfig {
  const random = new Random(config.seed, 1);
  const buyers = random.between(5, 30);
  const instances = random.pick([1, 2, 3, 3]);
  const checkout = random.pick(['auto', 'buyer'] as const);
  return {
    seed: config.seed,
    buyers: config.buyers ?? buyers,
    buyerIds: config.buyerIds ?? Array.from({ length: config.buyers ?? buyers }, (_, i) => i),
    instances: config.instances ?? instances,
    checkout: config.checkout ?? checkout,
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
  /** When it began serving the sale (virtual ms). */
  servingSince: number;
}

/** The loops that run under a lease, each in one instance at a time. */
const LEASED_LOOPS = ['admission', 'reconciler'] as const;

/**
 * The store's server, as a flushed Redis: `wipe()` swaps in an empty store (holds, stock, outbox
 * and waiting lists gone; the waiting room, a store of its own here, stays). Every instance and
 * the checker go through it, its writes counted in `changes.store`; the stores wiped are kept to
 * tell what was lost with them.
 */
function wipeableInventory(
  first: MemoryInventoryStore,
  make: () => MemoryInventoryStore,
  changes: ServerChanges,
) {
  let current = first;
  let waitingList = first.waitingList();
  const wiped: MemoryInventoryStore[] = [];
  return {
    inventory: countWrites(() => current, 'store', changes, STORE_READS),
    waitingList: countWrites(() => waitingList, 'store', changes, STORE_READS),
    wiped,
    /** A hold as the current store keeps it, uncopied (a read: not counted). */
    peekHold: (saleId: string, reservationId: string) => current.peekHold(saleId, reservationId),
    wipe(): void {
      wiped.push(current);
      current = make();
      waitingList = current.waitingList();
      changes.store += 1;
    },
  };
}

/**
 * `server` with its methods bound once (a port decorator reaches them on every call), and the
 * calls of those named in `observed` passed to `around`.
 */
function observedServer<T extends object>(
  server: T,
  observed: ReadonlySet<PropertyKey>,
  around: (method: (...args: unknown[]) => Promise<unknown>, args: unknown[]) => Promise<unknown>,
): T {
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(server, {
    get(target, property, receiver) {
      const known = bound.get(property);
      if (known !== undefined) return known;
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const method = (value as (...args: unknown[]) => Promise<unknown>).bind(target);
      const wrapped = observed.has(property) ? (...args: unknown[]) => around(method, args) : method;
      bound.set(property, wrapped);
      return wrapped;
    },
  });
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
    const shared = memoryPorts({ clock: scheduler.clock, leaseClock: scheduler.clock });
    // the writes to the servers the invariants read, counted: the checker re-checks what changed
    const changes: ServerChanges = { store: 0, truth: 0, money: 0 };
    const store = wipeableInventory(
      shared.inventory,
      () => new MemoryInventoryStore({ waitingRoom: shared.waitingRoom }),
      changes,
    );
    const steps = shared.steps!;
    const storeSteps = countWrites(() => steps, 'store', changes, STORE_READS);
    const truth = countWrites(() => shared.repository, 'truth', changes, TRUTH_READS);
    const buyerDriven = config.checkout === 'buyer';
    const gatewayServer = buyerDriven ? null : new FakePaymentGateway();
    const gateway = gatewayServer && countWrites(() => gatewayServer, 'money', changes, MONEY_READS);
    const webhooks = buyerDriven
      ? new WebhookChannel({
          scheduler,
          faults,
          random: new Random(config.seed, 9),
          broker,
          endpoint: (random) => {
            const up = instances.filter((i) => i.component.alive && i.sale && i.runtime.checkout);
            if (up.length === 0) return null;
            const chosen = random.pick(up);
            return {
              component: chosen.component,
              handle: (delivery) => chosen.runtime.checkout!.handleWebhook(delivery),
            };
          },
        })
      : null;
    const providerServer = webhooks
      ? new SimulatedPaymentProvider({
          clock: scheduler.clock,
          webhookSecret: 'whsec_simulation',
          deliver: webhooks.deliver,
        })
      : null;
    const provider = providerServer && countWrites(() => providerServer, 'money', changes, MONEY_READS);
    const money: MoneyView = provider
      ? {
          charges: () =>
            provider
              .payments()
              .filter((p) => p.status === 'SUCCEEDED')
              .map((p) => ({ reservationId: p.reservationId ?? '', paymentId: p.paymentId })),
          refunds: () => provider.refunds(),
          payments: () => provider.payments(),
        }
      : gateway!;
    const alerts = new MemoryAlertSink();
    const capacity =
      sale.inventory.kind === 'general'
        ? sale.inventory.capacity
        : sale.inventory.sections.reduce((n, s) => n + s.rows.reduce((m, r) => m + r.seats.length, 0), 0);
    const checker = new InvariantChecker({
      saleId: SALE_ID,
      capacity,
      inventory: store.inventory,
      peekHold: store.peekHold,
      repository: shared.repository,
      payments: money,
      lostInWipe: async (reservationId) => {
        for (const old of store.wiped) if (await old.getHold(SALE_ID, reservationId)) return true;
        return false;
      },
      changes,
      verifyChanges: input.verifyChanges ?? false,
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
    const waitingRoomServer = observedServer(
      shared.waitingRoom,
      new Set(['admitNext', 'admit', 'enter']),
      async (method, args) => {
        // biome-ignore lint/suspicious/noExplicitAny: the three answers differ; read as the store gives them
        const result: any = await method(...args);
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
      },
    );
    // the sale's shared state as the store has it, and since when (every instance must follow it)
    const control = { state: '', since: 0 };
    const controlServer = observedServer(
      shared.saleControl!,
      new Set(['initialize', 'transition']),
      async (method, args) => {
        const result = await method(...args);
        const state = (result as { control: { state: string } }).control.state;
        if (state !== control.state) {
          control.state = state;
          control.since = scheduler.clock.now();
        }
        return result;
      },
    );
    const inventory = input.inventory
      ? input.inventory(store.inventory, { steps: storeSteps })
      : store.inventory;

    const repository = input.repository ? input.repository(truth) : truth;
    // the checkout's records and the notification outbox live beside the source of truth
    const notifications = new MemoryNotificationOutbox();
    const checkoutStore = new MemoryCheckoutStore(repository, notifications);
    const instances: Instance[] = [];
    let generation = 0;
    let crashes = 0;
    let takeovers = 0;
    let pauses = 0;
    let wipes = 0;
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
        waitingList: port(store.waitingList, 'waitingList', 'store'),
        // the shared controls never slow: how fast a pause reaches every instance is an invariant
        saleControl: simulatedPort(input.saleControl ? input.saleControl(controlServer) : controlServer, {
          name: 'saleControl',
          component,
          scheduler,
          faults,
          calm: true,
        }),
        leases: port(input.leases ? input.leases(shared.leases!) : shared.leases!, 'leases', 'store'),
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
      const paymentsPort = <T extends object>(inner: T, methods?: readonly string[]) =>
        simulatedPort(inner, {
          name: 'payments',
          component,
          scheduler,
          faults,
          kind: 'payments',
          error: (m) => new PaymentUnavailableError(m),
          ...(methods ? { methods } : {}),
        });
      const runtime = createSeatRushRuntime({
        ports,
        ...(provider
          ? {
              checkout: {
                provider: paymentsPort(provider, [
                  'createPayment',
                  'getPayment',
                  'cancelPayment',
                  'refundPayment',
                ]),
                store: port(checkoutStore, 'checkoutStore', 'repository'),
                outbox: port(notifications, 'notifications', 'repository'),
                paymentWindowMs: 10_000,
                maxHoldMs: 30_000,
                relay: { intervalMs: 2_000 },
              },
            }
          : { payments: paymentsPort(gateway!) }),
        admissionSecret: SECRET,
        alerts,
        clock: scheduler.clock,
        timer: scheduler.timer(component),
        // every instance runs every loop; the admission loop and the reconciler under leases
        loopLeaseMs: LEASE_MS,
        leaseClock: scheduler.clock,
        reconcileIntervalMs: 10_000,
        discoverIntervalMs: 5_000,
        // a lapsed offer's units come back while the buyers still wait (they wait 5-20 s)
        waitingListClaimMs: 15_000,
        loops: { adaptive: false },
        // no circuit breakers: they keep wall-clock time (cockatiel's Date.now), which would make a
        // seed's run depend on the host's speed; the simulation's faults test the ports bare
        breakers: false,
      });
      const instance: Instance = { index, component, runtime, ports, sale: null, servingSince: 0 };
      instances[index] = instance;
      // a start that fails (a store failing during warm-up) is retried, as a supervisor restarts a process
      for (;;) {
        try {
          if (define) await runtime.define(sale);
          await runtime.start();
          instance.sale = runtime.sale(SALE_ID) ?? null;
          if (instance.sale) {
            instance.servingSince = scheduler.clock.now();
            return;
          }
        } catch {
          // retried below
        }
        await scheduler.sleep(component, 1_000, 'restart after a failed start');
      }
    };

    const serving = () => instances.filter((i) => i.component.alive && i.sale);
    /** {@link serving} into one array reused from step to step (read before the next step only). */
    const servingAfterStep: Instance[] = [];
    const servingNow = (): Instance[] => {
      servingAfterStep.length = 0;
      for (const instance of instances) {
        if (instance?.component.alive && instance.sale) servingAfterStep.push(instance);
      }
      return servingAfterStep;
    };
    const world = {
      scheduler,
      checker,
      payments: gateway,
      provider,
      seated: sale.inventory.kind === 'assigned',
      ticketsPerUser: sale.limits?.ticketsPerUser ?? 4,
      anyInstance(random: Random): ServingInstance | null {
        const up = serving();
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

    // the operator: pauses the sale on one instance, resumes it on another a few seconds later
    const operator = scheduler.component('operator');
    const operatorRandom = new Random(config.seed, 10);
    let operating = false;
    const command = async (what: 'pause' | 'resume'): Promise<boolean> => {
      const up = serving();
      if (up.length === 0) return false;
      const on = operatorRandom.pick(up);
      const answer = await scheduler
        .within(
          operator,
          scheduler.run(on.component, () => on.sale!.command(what)),
          3_000,
        )
        .catch(() => null);
      return answer !== null && answer !== TIMED_OUT && answer.ok;
    };
    const pauseAndResume = async () => {
      operating = true;
      if (await command('pause')) {
        pauses += 1;
        await scheduler.sleep(operator, operatorRandom.between(FOLLOW_BOUND_MS, 12_000), 'paused');
        // the operator insists until the sale is open again
        while (control.state === 'PAUSED' && !(await command('resume')))
          await scheduler.sleep(operator, 1_000, 'resume again');
      }
      operating = false;
    };

    // loop leases: at most one believing owner of each loop at any instant, each fencing token
    // granted to one process only, and every new grant's token above all before it
    const tokens = new Map<string, { holder: string; token: number }>();
    const checkLeases = (up: readonly Instance[]) => {
      const now = scheduler.clock.now();
      for (const loop of LEASED_LOOPS) {
        let owner: Instance | null = null;
        for (const instance of up) {
          const lease = instance.sale!.loopLease(loop);
          // a grant past its validUntil is not believed any more (the loop drops it at its next tick)
          if (!lease || now >= lease.validUntil) continue;
          const seen = tokens.get(loop);
          if (!seen || seen.token !== lease.fencingToken) {
            if (seen && lease.fencingToken < seen.token) {
              fail(
                'lease',
                `${instance.component.name} holds ${loop} with token ${lease.fencingToken} after ${seen.token}`,
              );
            }
            if (seen && seen.holder !== instance.component.name) takeovers += 1;
            tokens.set(loop, { holder: instance.component.name, token: lease.fencingToken });
          } else if (seen.holder !== instance.component.name) {
            fail(
              'lease',
              `${loop} token ${lease.fencingToken} held by ${seen.holder} and ${instance.component.name}`,
            );
          }
          if (owner)
            fail('lease', `${loop} runs on ${owner.component.name} and ${instance.component.name} at once`);
          owner = instance;
        }
      }
    };
    // the sale's shared state reaches every instance within the bound.
    // One divergence is the design, not a lag: the opening is made by an instance's own admission
    // loop (on time, or late when a failed store call cost it the lease) and written to the store at that
    // instance's next follow. While the store is still READY, an OPEN instance leads it, so that
    // bound counts from when the instance opened, not from when the store became READY: an opening
    // never written to the store within the bound still fails, as does every other divergence.
    const openedAt = new Map<Instance, number>();
    const checkFollowing = (up: readonly Instance[]) => {
      if (control.state === '') return;
      const now = scheduler.clock.now();
      for (const instance of up) {
        const here = instance.sale!.state;
        if (here !== 'OPEN') openedAt.delete(instance);
        else if (!openedAt.has(instance)) openedAt.set(instance, now);
        const leadsOpening = here === 'OPEN' && control.state === 'READY';
        const since = Math.max(
          control.since,
          instance.servingSince,
          leadsOpening ? openedAt.get(instance)! : 0,
        );
        if (now < since + FOLLOW_BOUND_MS) continue;
        if (instance.sale!.state !== control.state) {
          fail(
            'follows',
            `${instance.component.name} is ${instance.sale!.state}, the sale is ${control.state} since ${now - control.since} ms`,
          );
        }
      }
    };

    // the store wipe: once, at a step drawn from the seed, while buyers come
    const wipeAt = faults.roll('wipe', faults.rates.wipe) ? faultRandom.between(300, 4_000) : -1;

    let completed = false;
    let settleBy: number | null = null;
    while (!violation && scheduler.steps < config.maxSteps) {
      if (!scheduler.runNext()) {
        // nothing scheduled yet: let the async work started outside a step reach its first point
        await settled();
        if (!scheduler.runNext()) break;
      }
      // the step's continuation runs to its next scheduling point before anything else is chosen
      await settled();
      let up: Instance[];
      try {
        const checking = checker.check(scheduler.lastLabel);
        if (checking) await checking;
        up = servingNow();
        checkLeases(up);
        checkFollowing(up);
      } catch (error) {
        violation = asViolation(error);
        break;
      }
      if (unhandled !== null) {
        violation = new InvariantViolation('unhandled-rejection', describe(unhandled));
        break;
      }
      if (up.length > 0 && faults.roll('crash', faults.rates.crash)) crash(crashRandom.pick(up));
      if (scheduler.steps === wipeAt && settleBy === null) {
        wipes += 1;
        store.wipe();
      }
      if (
        !operating &&
        control.state === 'OPEN' &&
        settleBy === null &&
        faults.roll('operator', faults.rates.pause)
      )
        void scheduler.run(operator, pauseAndResume);
      if (buyersLeft === 0 && settleBy === null) {
        faults.healed = true; // the storm is over: the sale must now converge
        settleBy = scheduler.clock.now() + SETTLE_MS;
      }
      if (settleBy !== null && scheduler.steps % 16 === 0) {
        const unsettled = await whyUnsettled();
        if (unsettled === null) {
          completed = true;
          break;
        }
        if (scheduler.clock.now() > settleBy) {
          violation = new InvariantViolation(
            'settles',
            `the sale did not settle within ${SETTLE_MS} ms after the last buyer (${unsettled})`,
          );
          break;
        }
      }
    }
    const unsettled = !completed && settleBy !== null ? await whyUnsettled() : null;
    if (!violation && completed) {
      try {
        await checker.afterSettling();
      } catch (error) {
        violation = asViolation(error);
      }
    }

    /** Null once the sale has settled, else what it still waits for. */
    async function whyUnsettled(): Promise<string | null> {
      const down = instances.find((i) => !i.component.alive || !i.sale);
      if (down) return `${down.component.name} is not serving`;
      if (operating) return 'the operator is pausing';
      if ((webhooks?.pending ?? 0) > 0) return `${webhooks!.pending} webhooks on their way`;
      if (!(await store.inventory.isWarm(SALE_ID))) return 'the store is cold';
      if (
        (await store.inventory.unrelayed({ saleId: SALE_ID, enqueuedUpTo: scheduler.clock.now(), limit: 1 }))
          .length > 0
      )
        return 'holds not relayed';
      const lag = log.lag('seatrush-reservation-worker');
      if (lag > 0) return `worker lag ${lag}`;
      return checker.unsettled();
    }

    const rows = shared.repository.rowsOf(SALE_ID);
    return {
      ok: violation === null,
      config,
      completed,
      steps: scheduler.steps,
      virtualMs: scheduler.clock.now() - START,
      fingerprint: scheduler.fingerprint,
      ...(unsettled ? { unsettled } : {}),
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
        takeovers,
        pauses,
        wipes,
        webhooks: webhooks ? { ...webhooks.stats } : null,
        alerts: Object.fromEntries([
          ...alerts.alerts.reduce(
            (m, a) => m.set(a.code, (m.get(a.code) ?? 0) + 1),
            new Map<string, number>(),
          ),
        ]),
        busiest: [...scheduler.stepsByLabel].sort((a, b) => b[1] - a[1]).slice(0, 10),
      },
    };
  }
}

function fail(invariant: string, detail: string): never {
  throw new InvariantViolation(invariant, detail);
}

function asViolation(error: unknown): InvariantViolation {
  if (error instanceof InvariantViolation) return error;
  return new InvariantViolation('crash', describe(error));
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

import type { Random } from './random';
import type { Component, Scheduler } from './scheduler';

/**
 * The kinds of fault a run may inject; a run's config lists those it enables, and shrinking drops
 * them one by one. A new kind is a name here and a decorator over its port (or an actor, as the
 * operator's pause): the scheduler does not change.
 */
export const FAULT_KINDS = [
  /** store calls (Redis) fail before running, or run and lose their answer */
  'store',
  /** source-of-truth calls (PostgreSQL) fail before running, or run and lose their answer */
  'repository',
  /** publishes are dropped (refused, nothing appended) or appended with the acknowledgement lost */
  'publish',
  /** deliveries are duplicated (processed, not committed) or delayed */
  'delivery',
  /** the payment provider is unreachable, before or after charging */
  'payments',
  /** calls are slow: a step waits virtual time before it runs */
  'slow',
  /** API instances crash (every step they wait for is lost) and restart; their loop leases lapse */
  'crash',
  /** the provider's webhooks are dropped (retried later, rarely never), duplicated, reordered, late */
  'webhook',
  /** the store loses the sale mid-sale (a flushed Redis): rebuilt from the source of truth */
  'wipe',
  /** an operator pauses the sale on one instance and resumes it a few seconds later */
  'operator',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Per-call chances of the faults, drawn once per run from its seed. */
export interface FaultRates {
  failBefore: number;
  failAfter: number;
  slow: number;
  slowMaxMs: number;
  publishDrop: number;
  publishAmbiguous: number;
  deliveryDuplicate: number;
  deliveryDelay: number;
  /** Per step: the chance that an instance crashes. */
  crash: number;
  /** Per webhook delivery attempt: lost (the provider retries it later). */
  webhookDrop: number;
  /** Per webhook: never delivered at all (the provider gave up). */
  webhookLost: number;
  /** Per webhook: delivered twice. */
  webhookDuplicate: number;
  /** Per webhook: held back a little (reordered with the next ones). */
  webhookDelay: number;
  /** Per webhook: delivered late, after the hold may have ended. */
  webhookLate: number;
  /** Per run: the chance that the store is wiped once, mid-sale. */
  wipe: number;
  /** Per step: the chance that an operator pauses the sale (while it is open and not paused). */
  pause: number;
}

/** Draws a run's fault rates: from calm to stormy, so seeds cover both. */
export function drawFaultRates(random: Random): FaultRates {
  const storm = random.pick([0.2, 0.5, 1, 2]);
  return {
    failBefore: 0.01 * storm,
    failAfter: 0.005 * storm,
    slow: 0.03 * storm,
    slowMaxMs: random.pick([200, 1_000, 3_000]),
    publishDrop: 0.02 * storm,
    publishAmbiguous: 0.01 * storm,
    deliveryDuplicate: 0.05 * storm,
    deliveryDelay: 0.05 * storm,
    crash: 0.0002 * storm,
    webhookDrop: 0.05 * storm,
    webhookLost: 0.01 * storm,
    webhookDuplicate: 0.1 * storm,
    webhookDelay: 0.2 * storm,
    webhookLate: 0.05 * storm,
    wipe: 0.5,
    pause: 0.0001 * storm,
  };
}

/**
 * Decides, call by call, which fault happens. It draws from its own stream, and only for enabled
 * kinds, so disabling a kind (shrinking) leaves the other streams of the run as they were.
 * `healed` switches every fault off: the run's last phase lets the system settle.
 */
export class FaultInjector {
  healed = false;
  /** How many faults were injected, by kind (reported, and shrunk). */
  readonly injected: Record<FaultKind, number> = Object.fromEntries(
    FAULT_KINDS.map((kind) => [kind, 0]),
  ) as Record<FaultKind, number>;
  readonly #enabled: ReadonlySet<FaultKind>;

  constructor(
    readonly rates: FaultRates,
    enabled: readonly FaultKind[],
    private readonly random: Random,
  ) {
    this.#enabled = new Set(enabled);
  }

  /** Whether a fault of `kind` happens now, with probability `p`. */
  roll(kind: FaultKind, p: number): boolean {
    if (this.healed || !this.#enabled.has(kind)) return false;
    if (!this.random.chance(p)) return false;
    this.injected[kind] += 1;
    return true;
  }

  /** A delay for a slow call, or 0. */
  slowness(): number {
    return this.roll('slow', this.rates.slow) ? 1 + this.random.below(this.rates.slowMaxMs) : 0;
  }
}

/** Options of {@link simulatedPort}. */
export interface SimulatedPortOptions {
  /** The port's name in traces, e.g. `inventory`. */
  name: string;
  /** The process that calls through this decorator. */
  component: Component;
  scheduler: Scheduler;
  faults: FaultInjector;
  /** Which fault kind a failure of this port counts as; none: the port only gets scheduling points. */
  kind?: 'store' | 'repository' | 'publish' | 'payments';
  /** The error a failed call throws, as the real adapter would throw it. */
  error?: (message: string) => Error;
  /** Chances of failing before running and after (the run's store rates by default). */
  rates?: { before: number; after: number };
  /** Only these methods are decorated (all functions by default). */
  methods?: readonly string[];
  /** Never slow (a port whose timing an invariant bounds); still a scheduling point. */
  calm?: boolean;
}

/**
 * Decorates a port (every method async): each call is a scheduling point of its component, may be
 * slow (virtual time), may fail before it runs, or may run and lose its answer — the ambiguous
 * failure of a connection cut after the command left. The inner port is shared by every
 * component: it is the server.
 */
export function simulatedPort<T extends object>(inner: T, options: SimulatedPortOptions): T {
  const { scheduler, component, faults, kind, name } = options;
  const fail = (message: string) => (options.error ?? ((m: string) => new Error(m)))(message);
  const before = options.rates?.before ?? faults.rates.failBefore;
  const after = options.rates?.after ?? faults.rates.failAfter;
  const wrapped = new Map<PropertyKey, unknown>();
  /** The methods left bare, bound once for each function the server answers. */
  const bare = new Map<PropertyKey, { value: unknown; bound: unknown }>();
  return new Proxy(inner, {
    get(target, property, receiver) {
      const known = wrapped.get(property);
      if (known) return known;
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (options.methods && !options.methods.includes(String(property))) {
        const seen = bare.get(property);
        if (seen?.value === value) return seen.bound;
        const bound = value.bind(target);
        bare.set(property, { value, bound });
        return bound;
      }
      const label = `${name}.${String(property)}`;
      const decorated = async (...args: unknown[]) => {
        await scheduler.gate(component, label);
        const delay = options.calm ? 0 : faults.slowness();
        if (delay > 0) await scheduler.sleep(component, delay, `${label} (slow)`);
        if (kind && faults.roll(kind, before)) {
          throw fail(`simulated: ${label} failed before running`);
        }
        // the method as the server has it now (a wiped store is another object behind the port)
        const method = Reflect.get(target, property) as (...a: unknown[]) => Promise<unknown>;
        const result = await method.apply(target, args);
        if (kind && faults.roll(kind, after)) {
          throw fail(`simulated: ${label} ran, its answer was lost`);
        }
        return result;
      };
      wrapped.set(property, decorated);
      return decorated;
    },
  });
}

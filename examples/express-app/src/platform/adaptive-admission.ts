import type { AdaptiveDecision, AdmissionControl } from '@seatrush/core';
import { validate, z } from '@seatrush/core/ports';
import { AdaptiveAdmission, AdaptivePolicy, HealthMeter } from '@seatrush/core/services';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Platform, SaleRuntime } from './types';

/**
 * The operator's change to a sale's adaptive admission: on/off and any of the policy's bounds and
 * targets. Omitted fields keep their value; the merged policy is validated as a whole, so a bad
 * change (min above max, a target above its pause threshold) is refused and changes nothing.
 */
export const AdaptiveChange = z
  .object({
    enabled: z.boolean().optional(),
    minUsersPerInterval: z.number().int().positive().max(100_000).optional(),
    maxUsersPerInterval: z.number().int().positive().max(100_000).optional(),
    targetConsumerLag: z.number().nonnegative().max(10_000_000).optional(),
    pauseConsumerLag: z.number().positive().max(10_000_000).optional(),
    minHoldSuccessRate: z.number().min(0).max(1).optional(),
    targetApiP99Ms: z.number().positive().max(600_000).optional(),
    pauseApiP99Ms: z.number().positive().max(600_000).optional(),
    increaseStep: z.number().int().positive().max(100_000).optional(),
    decreaseFactor: z.number().gt(0).lt(1).optional(),
  })
  .strict();
export type AdaptiveChange = z.infer<typeof AdaptiveChange>;

/** What the dashboard shows of a sale's adaptive admission. */
export interface AdaptiveView {
  enabled: boolean;
  /** The bounds in force (kept while off, so turning it on again keeps them). */
  policy: AdaptivePolicy;
  /** The admission rate in force now, whoever set it. */
  rate: { usersPerInterval: number; paused: boolean };
  /** The last decision and when it was made (null before the first). */
  lastDecision: (AdaptiveDecision & { at: number }) | null;
  /** Decisions made since the sale was created. */
  decisions: number;
}

/** One sale's controller: its health meter, its policy, and the SDK's AdaptiveAdmission while on. */
interface SaleAdaptive {
  runtime: SaleRuntime;
  meter: HealthMeter;
  policy: AdaptivePolicy;
  controller: AdaptiveAdmission | null;
  /** Whether the current pause is the controller's (an operator's pause is never lifted by it). */
  pausedByUs: boolean;
  lastDecision: (AdaptiveDecision & { at: number }) | null;
  decisions: number;
}

/**
 * Adaptive admission for the app's sales: the SDK's `AdaptiveAdmission` steers a sale's admission
 * rate (additive increase, multiplicative decrease, a pause when the pipeline is critical) from a
 * `HealthMeter` fed with every reserve answer (held or not, and its latency) and from the worker's
 * consumer lag, within the bounds the operator set. Off by default; the operator turns it on per
 * sale. `adjust` runs every `intervalMs` for the sales where it is on, and on demand.
 */
export class AdaptiveAdmissions {
  readonly #sales = new Map<string, SaleAdaptive>();
  readonly #rate: Gauge<'sale'>;
  readonly #paused: Gauge<'sale'>;
  readonly #decisions: Counter<'sale' | 'health'>;
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly options: {
      platform: Platform;
      /** How often the sales with adaptive admission on are adjusted. */
      intervalMs: number;
      /** Where the rate gauge and the decision counter are registered (the app's /metrics). */
      registry: Registry;
      log: Logger;
    },
  ) {
    const registers = [options.registry];
    this.#rate = new Gauge({
      name: 'seatrush_adaptive_users_per_interval',
      help: 'Admission rate (users per interval) of sales under adaptive admission',
      labelNames: ['sale'] as const,
      registers,
    });
    this.#paused = new Gauge({
      name: 'seatrush_adaptive_paused',
      help: '1 while adaptive admission holds a sale paused (critical downstream health)',
      labelNames: ['sale'] as const,
      registers,
    });
    this.#decisions = new Counter({
      name: 'seatrush_adaptive_decisions_total',
      help: 'Adaptive admission decisions by health (healthy, degraded, critical, recovering)',
      labelNames: ['sale', 'health'] as const,
      registers,
    });
  }

  /** Records one reserve answer of a sale: whether it ended in a hold, and how long it took. */
  record(saleId: string, observation: { held: boolean; latencyMs: number }): void {
    const runtime = this.options.platform.sale(saleId);
    if (!runtime) return;
    this.#of(runtime).meter.record({ at: this.options.platform.now(), ...observation });
  }

  /** The sale's adaptive admission as the dashboard shows it. */
  view(runtime: SaleRuntime): AdaptiveView {
    const sale = this.#of(runtime);
    const { usersPerInterval, paused } = runtime.waitingRoom.admissionRate;
    return {
      enabled: sale.controller !== null,
      policy: { ...sale.policy },
      rate: { usersPerInterval, paused },
      lastDecision: sale.lastDecision,
      decisions: sale.decisions,
    };
  }

  /**
   * Turns adaptive admission on or off and changes its bounds. Validated before anything changes.
   * Turning it off leaves the rate where it is and lifts a pause the controller made.
   */
  configure(runtime: SaleRuntime, change: AdaptiveChange): AdaptiveView {
    const { enabled, ...bounds } = validate('adaptive admission', AdaptiveChange, change);
    const sale = this.#of(runtime);
    const policy = validate('adaptive policy', AdaptivePolicy, { ...sale.policy, ...bounds });
    sale.policy = policy;
    const on = enabled ?? sale.controller !== null;
    if (on && sale.controller) sale.controller.setPolicy(policy);
    if (on && !sale.controller) {
      sale.controller = new AdaptiveAdmission({
        room: this.#control(sale),
        probe: sale.meter.probe({
          now: () => this.options.platform.now(),
          consumer: { lag: () => this.options.platform.consumerLag() },
        }),
        policy,
      });
    }
    if (!on && sale.controller) {
      sale.controller = null;
      if (sale.pausedByUs) this.#control(sale).resume();
      this.#paused.set({ sale: runtime.sale.id }, 0);
    }
    this.options.log.info({ saleId: runtime.sale.id, adaptive: on, policy }, 'adaptive admission changed');
    return this.view(runtime);
  }

  /** One adjustment now; null when adaptive admission is off for the sale. */
  async adjust(runtime: SaleRuntime): Promise<AdaptiveDecision | null> {
    const sale = this.#of(runtime);
    if (!sale.controller) return null;
    const decision = await sale.controller.adjust();
    const saleId = runtime.sale.id;
    sale.lastDecision = { ...decision, at: this.options.platform.now() };
    sale.decisions += 1;
    this.#decisions.inc({ sale: saleId, health: decision.health });
    this.#rate.set({ sale: saleId }, decision.usersPerInterval);
    this.#paused.set({ sale: saleId }, sale.pausedByUs ? 1 : 0);
    if (decision.health !== 'healthy') {
      this.options.log.info({ saleId, decision }, 'adaptive admission decision');
    }
    return decision;
  }

  /** Adjusts every sale with adaptive admission on, every `intervalMs`. */
  start(): void {
    if (this.#timer) return;
    let running = false;
    this.#timer = setInterval(() => {
      if (running) return;
      running = true;
      void this.#adjustAll().finally(() => {
        running = false;
      });
    }, this.options.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  async #adjustAll(): Promise<void> {
    for (const runtime of this.options.platform.sales()) {
      if (runtime.state() !== 'OPEN' && runtime.state() !== 'PAUSED') continue;
      await this.adjust(runtime).catch((error: unknown) =>
        this.options.log.warn({ err: error, saleId: runtime.sale.id }, 'adaptive adjustment failed'),
      );
    }
  }

  /** The sale's controller state; a sale redefined under the same id starts afresh. */
  #of(runtime: SaleRuntime): SaleAdaptive {
    const known = this.#sales.get(runtime.sale.id);
    if (known?.runtime === runtime) return known;
    const { usersPerInterval } = runtime.sale.admission;
    const sale: SaleAdaptive = {
      runtime,
      meter: new HealthMeter(),
      // until the operator sets bounds: from one user per interval up to twice the sale's rate
      policy: validate('adaptive policy', AdaptivePolicy, {
        minUsersPerInterval: 1,
        maxUsersPerInterval: Math.max(1, usersPerInterval * 2),
      }),
      controller: null,
      pausedByUs: false,
      lastDecision: null,
      decisions: 0,
    };
    this.#sales.set(runtime.sale.id, sale);
    return sale;
  }

  /**
   * What the controller steers: the sale's admission tick and its queueing room (passthrough and
   * bypass joins admit under the same rate and pause). A resume never overrides the lifecycle: a
   * sale the operator paused stays paused.
   */
  #control(sale: SaleAdaptive): AdmissionControl {
    const { runtime } = sale;
    return {
      get admissionRate() {
        return runtime.waitingRoom.admissionRate;
      },
      setAdmissionRate(rate) {
        runtime.waitingRoom.setAdmissionRate(rate);
        runtime.queueing.room.setAdmissionRate(rate);
      },
      pause() {
        sale.pausedByUs = true;
        runtime.waitingRoom.pause();
        runtime.queueing.room.pause();
      },
      resume() {
        sale.pausedByUs = false;
        if (runtime.state() !== 'OPEN') return;
        runtime.waitingRoom.resume();
        runtime.queueing.room.resume();
      },
    };
  }
}

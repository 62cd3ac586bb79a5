import { z } from 'zod';
import { validate } from '../common/validate';
import type { SaleState } from '../lifecycle/sale';
import type { Clock } from '../ports/clock';
import {
  AdaptiveAdmission,
  type AdaptiveDecision,
  AdaptivePolicy,
  type AdmissionControl,
} from './adaptive-admission';
import { HealthMeter } from './health-meter';
import type { WaitingRoom } from './waiting-room';

/**
 * An operator's change to a sale's adaptive admission: on/off and any of the policy's bounds and
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

/** What an operator sees of a sale's adaptive admission. */
export interface AdaptiveView {
  enabled: boolean;
  /** The bounds in force (kept while off, so turning it on again keeps them). */
  policy: AdaptivePolicy;
  /** The admission rate in force now, whoever set it. */
  rate: { usersPerInterval: number; paused: boolean };
  /** Whether the current pause is the controller's own (it never lifts an operator's). */
  pausedByController: boolean;
  /** The last decision and when it was made (null before the first). */
  lastDecision: (AdaptiveDecision & { at: number }) | null;
  /** Decisions made so far. */
  decisions: number;
  /** The same, by the health each found. */
  decisionsByHealth: Record<AdaptiveDecision['health'], number>;
}

/** Options of {@link SaleAdaptiveAdmission}. */
export interface SaleAdaptiveAdmissionOptions {
  /** The sale's room: the controller steers its admission rate and pause. */
  room: WaitingRoom;
  /** The sale's lifecycle state: a resume never reopens a sale the operator paused or closed. */
  state: () => SaleState;
  /** The sale's admission rate as defined: the default bounds go from 1 to twice this. */
  usersPerInterval: number;
  /** The worker's backlog, one of the controller's signals. */
  consumerLag: () => Promise<number>;
  /** The circuit breakers open now, another signal: admission pauses while any is open. */
  openBreakers?: () => readonly string[];
  clock: Clock;
  /**
   * Shares each decision with the other instances serving the sale (the runtime records it in
   * the shared store); false when this instance may not decide (another one owns the admission loop).
   */
  share?: (decision: AdaptiveDecision) => Promise<boolean>;
  /**
   * Shares the operator's policy (null: off) with the other instances, so the one that owns the
   * admission loop adjusts with it wherever the operator turned it on.
   */
  sharePolicy?: (policy: AdaptivePolicy | null) => Promise<void>;
}

/**
 * One sale's adaptive admission as an operator runs it: off until turned on, bounds the operator
 * may change at any time, a {@link HealthMeter} fed with every reserve answer, and the arbitration
 * an operator expects — the controller may pause a sale when the pipeline is critical and lift
 * its own pause when it recovers, but it never lifts a pause the operator made (a paused
 * lifecycle stays paused) and turning it off lifts only its own pause.
 */
export class SaleAdaptiveAdmission {
  readonly meter = new HealthMeter();
  #policy: AdaptivePolicy;
  #controller: AdaptiveAdmission | null = null;
  #pausedByController = false;
  #lastDecision: (AdaptiveDecision & { at: number }) | null = null;
  readonly #decisions: AdaptiveView['decisionsByHealth'] = {
    healthy: 0,
    degraded: 0,
    critical: 0,
    recovering: 0,
  };

  constructor(private readonly options: SaleAdaptiveAdmissionOptions) {
    this.#policy = validate('adaptive policy', AdaptivePolicy, {
      minUsersPerInterval: 1,
      maxUsersPerInterval: Math.max(1, options.usersPerInterval * 2),
    });
  }

  get enabled(): boolean {
    return this.#controller !== null;
  }

  /** Records one reserve answer: whether it ended in a hold, and how long it took. */
  record(observation: { held: boolean; latencyMs: number }): void {
    this.meter.record({ at: this.options.clock.now(), ...observation });
  }

  view(): AdaptiveView {
    const { usersPerInterval, paused } = this.options.room.admissionRate;
    return {
      enabled: this.enabled,
      policy: { ...this.#policy },
      rate: { usersPerInterval, paused },
      pausedByController: this.#pausedByController,
      lastDecision: this.#lastDecision,
      decisions: Object.values(this.#decisions).reduce((sum, n) => sum + n, 0),
      decisionsByHealth: { ...this.#decisions },
    };
  }

  /**
   * Turns adaptive admission on or off and changes its bounds; validated before anything changes.
   * Turning it off leaves the rate where it is and lifts a pause the controller made (on every
   * instance: the lifted pause is shared like a decision).
   */
  async configure(change: AdaptiveChange): Promise<AdaptiveView> {
    const { enabled, ...bounds } = validate('adaptive admission', AdaptiveChange, change);
    const policy = validate('adaptive policy', AdaptivePolicy, { ...this.#policy, ...bounds });
    const on = enabled ?? this.enabled;
    const liftedPause = this.#apply(on ? policy : null, policy);
    await this.options.sharePolicy?.(on ? policy : null);
    if (liftedPause) {
      const { usersPerInterval } = this.options.room.admissionRate;
      const reasons = ['adaptive admission turned off: its pause lifted'];
      await this.options.share?.({ usersPerInterval, paused: false, health: 'healthy', reasons });
    }
    return this.view();
  }

  /**
   * Follows a policy an operator set on another instance (null: off), without sharing it again;
   * the runtime calls it with the shared record's policy.
   */
  follow(policy: AdaptivePolicy | null): void {
    const same =
      policy === null
        ? !this.enabled
        : this.enabled && JSON.stringify(policy) === JSON.stringify(this.#policy);
    if (!same) this.#apply(policy, policy ?? this.#policy);
  }

  /** Turns the controller on with `active` or off (null); true when that lifted the controller's pause. */
  #apply(active: AdaptivePolicy | null, policy: AdaptivePolicy): boolean {
    this.#policy = policy;
    if (active && this.#controller) this.#controller.setPolicy(active);
    if (active && !this.#controller) {
      const probe = this.meter.probe({
        now: () => this.options.clock.now(),
        consumer: { lag: () => this.options.consumerLag() },
      });
      this.#controller = new AdaptiveAdmission({
        room: this.#control(),
        probe: async () => {
          const health = await probe();
          const openBreakers = this.options.openBreakers?.() ?? [];
          return openBreakers.length > 0 ? { ...health, openBreakers } : health;
        },
        policy: active,
      });
    }
    if (!active && this.#controller) {
      this.#controller = null;
      if (this.#pausedByController) {
        this.#control().resume();
        return true;
      }
    }
    return false;
  }

  /** One adjustment now, shared with the other instances; null while off. */
  async adjust(): Promise<AdaptiveDecision | null> {
    if (!this.#controller) return null;
    const decision = await this.#controller.adjust();
    await this.options.share?.(decision);
    this.#lastDecision = { ...decision, at: this.options.clock.now() };
    this.#decisions[decision.health] += 1;
    return decision;
  }

  /** What the controller steers: the room's rate and pause, never past the lifecycle. */
  #control(): AdmissionControl {
    const { room, state } = this.options;
    return {
      get admissionRate() {
        return room.admissionRate;
      },
      setAdmissionRate: (rate) => room.setAdmissionRate(rate),
      pause: () => {
        this.#pausedByController = true;
        room.pause();
      },
      resume: () => {
        this.#pausedByController = false;
        if (state() === 'OPEN') room.resume();
      },
    };
  }
}

import { z } from 'zod';
import { validate } from '../common/validate';

/**
 * What the pipeline behind the waiting room reports. Every signal is optional: a missing one is
 * simply not considered (a host without an API latency metric still adapts on lag).
 */
export interface DownstreamHealth {
  /** Events published but not yet handled (`EventConsumer.lag()`). */
  consumerLag?: number;
  /** Share of reserve attempts that ended in a hold, 0..1, over the host's recent window. */
  holdSuccessRate?: number;
  /** The API's 99th-percentile latency in milliseconds. */
  apiP99Ms?: number;
  /** The circuit breakers open now (`payments`, `repository`, `publisher`): each is critical. */
  openBreakers?: readonly string[];
}

/** The operator's bounds and targets for {@link AdaptiveAdmission}. */
export const AdaptivePolicy = z
  .object({
    /** The rate never goes below this while admitting (it may pause, see the pause thresholds). */
    minUsersPerInterval: z.number().int().positive(),
    /** The rate never goes above this. */
    maxUsersPerInterval: z.number().int().positive(),
    /** Healthy means lag at most this… */
    targetConsumerLag: z.number().nonnegative().default(1_000),
    /** …and paused outright at or beyond this. */
    pauseConsumerLag: z.number().positive().default(10_000),
    /** Degraded below this hold success rate (many failures mean the stock path struggles). */
    minHoldSuccessRate: z.number().min(0).max(1).default(0.5),
    targetApiP99Ms: z.number().positive().default(500),
    pauseApiP99Ms: z.number().positive().default(3_000),
    /** Additive increase per healthy step, in users per interval. */
    increaseStep: z.number().int().positive().default(10),
    /** Multiplicative decrease per degraded step (0.5 halves the rate). */
    decreaseFactor: z.number().gt(0).lt(1).default(0.5),
  })
  .refine((p) => p.minUsersPerInterval <= p.maxUsersPerInterval, {
    message: 'minUsersPerInterval must not exceed maxUsersPerInterval',
    path: ['minUsersPerInterval'],
  })
  .refine((p) => p.targetConsumerLag < p.pauseConsumerLag, {
    message: 'targetConsumerLag must be below pauseConsumerLag',
    path: ['targetConsumerLag'],
  })
  .refine((p) => p.targetApiP99Ms < p.pauseApiP99Ms, {
    message: 'targetApiP99Ms must be below pauseApiP99Ms',
    path: ['targetApiP99Ms'],
  });
export type AdaptivePolicyInput = z.input<typeof AdaptivePolicy>;
export type AdaptivePolicy = z.output<typeof AdaptivePolicy>;

/** The admission state the controller steers. */
export interface AdmissionSetting {
  usersPerInterval: number;
  paused: boolean;
}

/** One decision of the controller, and why. */
export interface AdaptiveDecision extends AdmissionSetting {
  /** `healthy`: grow; `degraded`: shrink; `critical`: pause; `recovering`: held paused until healthy. */
  health: 'healthy' | 'degraded' | 'critical' | 'recovering';
  /** The signals that were out of bounds (empty when healthy). */
  reasons: string[];
}

/**
 * The next admission setting from downstream health — additive increase, multiplicative decrease
 * (AIMD, as TCP does for the same problem: find the highest rate the pipeline takes without
 * queueing behind it). Critical signals pause admission; a paused room resumes only once every
 * signal is back within its target (hysteresis, so it does not flap on the pause threshold), and
 * resumes at the minimum rate. Pure: same inputs, same answer.
 */
export function nextAdmission(
  current: AdmissionSetting,
  health: DownstreamHealth,
  policy: AdaptivePolicy,
): AdaptiveDecision {
  const critical: string[] = [];
  const degraded: string[] = [];
  if (health.consumerLag !== undefined) {
    if (health.consumerLag >= policy.pauseConsumerLag) critical.push(`consumer lag ${health.consumerLag}`);
    else if (health.consumerLag > policy.targetConsumerLag)
      degraded.push(`consumer lag ${health.consumerLag}`);
  }
  if (health.apiP99Ms !== undefined) {
    if (health.apiP99Ms >= policy.pauseApiP99Ms) critical.push(`API p99 ${health.apiP99Ms} ms`);
    else if (health.apiP99Ms > policy.targetApiP99Ms) degraded.push(`API p99 ${health.apiP99Ms} ms`);
  }
  for (const breaker of health.openBreakers ?? []) critical.push(`${breaker} circuit breaker open`);
  if (health.holdSuccessRate !== undefined && health.holdSuccessRate < policy.minHoldSuccessRate) {
    degraded.push(`hold success rate ${health.holdSuccessRate}`);
  }
  const clamp = (rate: number) =>
    Math.min(policy.maxUsersPerInterval, Math.max(policy.minUsersPerInterval, Math.round(rate)));
  if (critical.length > 0) {
    return {
      usersPerInterval: policy.minUsersPerInterval,
      paused: true,
      health: 'critical',
      reasons: [...critical, ...degraded],
    };
  }
  if (degraded.length > 0) {
    if (current.paused) {
      return {
        usersPerInterval: clamp(current.usersPerInterval),
        paused: true,
        health: 'recovering',
        reasons: degraded,
      };
    }
    return {
      usersPerInterval: clamp(current.usersPerInterval * policy.decreaseFactor),
      paused: false,
      health: 'degraded',
      reasons: degraded,
    };
  }
  if (current.paused) {
    return { usersPerInterval: policy.minUsersPerInterval, paused: false, health: 'healthy', reasons: [] };
  }
  return {
    usersPerInterval: clamp(current.usersPerInterval + policy.increaseStep),
    paused: false,
    health: 'healthy',
    reasons: [],
  };
}

/** What {@link AdaptiveAdmission} steers: a `WaitingRoom` or a `QueueingRoom`. */
export interface AdmissionControl {
  readonly admissionRate: { usersPerInterval: number; paused: boolean };
  setAdmissionRate(rate: { usersPerInterval?: number }): void;
  pause(): void;
  resume(): void;
}

/**
 * Steers a room's admission rate from downstream health, within the operator's bounds. Call
 * {@link adjust} every few seconds (e.g. beside the admission tick). It only resumes a pause it
 * made itself: an operator's manual pause stands until the operator resumes.
 */
export class AdaptiveAdmission {
  private policy: AdaptivePolicy;
  private pausedByUs = false;
  private last: AdaptiveDecision | undefined;

  constructor(
    private readonly options: {
      room: AdmissionControl;
      /** Reads the pipeline's health now (consumer lag, hold success rate, API p99). */
      probe: () => Promise<DownstreamHealth>;
      policy: AdaptivePolicyInput;
    },
  ) {
    this.policy = validate('adaptive policy', AdaptivePolicy, options.policy);
  }

  /** The bounds in force. */
  get bounds(): AdaptivePolicy {
    return { ...this.policy };
  }

  /** The last decision, if any. */
  get lastDecision(): AdaptiveDecision | undefined {
    return this.last;
  }

  /** Changes the operator's bounds while the sale runs (validated; a bad policy changes nothing). */
  setPolicy(policy: Partial<AdaptivePolicyInput>): AdaptivePolicy {
    this.policy = validate('adaptive policy', AdaptivePolicy, { ...this.policy, ...policy });
    return this.bounds;
  }

  /** Reads the health, decides, and applies the decision to the room. */
  async adjust(): Promise<AdaptiveDecision> {
    const health = await this.options.probe();
    const room = this.options.room;
    const { usersPerInterval, paused } = room.admissionRate;
    // a pause the operator made is theirs: keep it, but still track the rate within bounds
    if (paused && !this.pausedByUs) {
      const decision: AdaptiveDecision = {
        usersPerInterval,
        paused: true,
        health: 'recovering',
        reasons: ['paused by the operator'],
      };
      this.last = decision;
      return decision;
    }
    const decision = nextAdmission({ usersPerInterval, paused }, health, this.policy);
    room.setAdmissionRate({ usersPerInterval: decision.usersPerInterval });
    if (decision.paused && !paused) {
      room.pause();
      this.pausedByUs = true;
    } else if (!decision.paused && paused) {
      room.resume();
      this.pausedByUs = false;
    }
    this.last = decision;
    return decision;
  }
}

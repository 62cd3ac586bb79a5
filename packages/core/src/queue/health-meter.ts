import type { EventConsumer } from '../ports/event-consumer';
import type { DownstreamHealth } from './adaptive-admission';

/** One observed request of the hot path: did it end in a hold, and how long did it take. */
interface Observation {
  at: number;
  held: boolean;
  latencyMs: number;
}

/**
 * Measures the hot path for {@link AdaptiveAdmission}: the share of reserve attempts that ended
 * in a hold, and the 99th-percentile latency, over a moving window. The host records every
 * reserve (a middleware or the reserve handler); `health` adds the consumer's lag.
 */
export class HealthMeter {
  private observations: Observation[] = [];

  /**
   * @param windowMs how far back the figures look (default 30 s: long enough to be steady, short
   *   enough that a recovery shows within a few adjustments).
   * @param maxObservations the newest this many are kept, so memory stays bounded under load.
   */
  constructor(
    private readonly windowMs = 30_000,
    private readonly maxObservations = 10_000,
  ) {}

  /** Records one reserve attempt at `at`: `held` when it ended in a hold. */
  record(observation: { at: number; held: boolean; latencyMs: number }): void {
    this.observations.push({ ...observation });
    if (this.observations.length > this.maxObservations) {
      this.observations = this.observations.slice(-this.maxObservations);
    }
  }

  /** Hold success rate and API p99 over the window ending at `now`; absent while nothing was recorded. */
  snapshot(now: number): Pick<DownstreamHealth, 'holdSuccessRate' | 'apiP99Ms'> {
    const since = now - this.windowMs;
    this.observations = this.observations.filter((o) => o.at > since);
    if (this.observations.length === 0) return {};
    const held = this.observations.filter((o) => o.held).length;
    const latencies = this.observations.map((o) => o.latencyMs).sort((a, b) => a - b);
    const p99 = latencies[Math.min(latencies.length - 1, Math.ceil(latencies.length * 0.99) - 1)]!;
    return { holdSuccessRate: held / this.observations.length, apiP99Ms: p99 };
  }

  /**
   * A probe for {@link AdaptiveAdmission}: this meter's figures plus the consumer's lag (the
   * reservation processor's, whose backlog is what "the pipeline falls behind" means).
   */
  probe(options: {
    now: () => number;
    consumer?: Pick<EventConsumer, 'lag'>;
  }): () => Promise<DownstreamHealth> {
    return async () => {
      const health: DownstreamHealth = this.snapshot(options.now());
      if (options.consumer) health.consumerLag = await options.consumer.lag();
      return health;
    };
  }
}

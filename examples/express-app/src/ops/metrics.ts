import type { BreakerView, RuntimeSale } from '@seatrush/core';
import type { ReadSide } from '@seatrush/pg-adapter';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The app's Prometheus metrics, on a registry of its own (two apps in one process — as in the
 * tests — never share counters). Default metrics add the event-loop lag, heap and GC figures.
 */
export class AppMetrics {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'seatrush_http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly reserveOutcomes = new Counter({
    name: 'seatrush_reserve_outcomes_total',
    help: 'Reserve answers by outcome code (HELD, SOLD_OUT, SEAT_TAKEN, NOT_ADMITTED, …)',
    labelNames: ['sale', 'code'] as const,
    registers: [this.registry],
  });
  readonly reservationResults = new Counter({
    name: 'seatrush_reservation_results_total',
    help: 'Final reservation results seen by this process (CONFIRMED, FAILED)',
    labelNames: ['sale', 'result'] as const,
    registers: [this.registry],
  });
  readonly queueWaiting = new Gauge({
    name: 'seatrush_queue_waiting',
    help: 'Users waiting in the queue',
    labelNames: ['sale'] as const,
    registers: [this.registry],
  });
  readonly queueActive = new Gauge({
    name: 'seatrush_queue_active',
    help: 'Users admitted and active',
    labelNames: ['sale'] as const,
    registers: [this.registry],
  });
  readonly admissionRate = new Gauge({
    name: 'seatrush_admission_rate_per_second',
    help: 'Measured admissions per second (the serving counter speed)',
    labelNames: ['sale'] as const,
    registers: [this.registry],
  });
  readonly stock = new Gauge({
    name: 'seatrush_stock_units',
    help: 'Units by state in the store: available, held, confirmed',
    labelNames: ['sale', 'state'] as const,
    registers: [this.registry],
  });
  readonly consumerLag = new Gauge({
    name: 'seatrush_consumer_lag',
    help: 'Reservation events published but not yet processed (Kafka consumer lag)',
    registers: [this.registry],
  });
  readonly poolUsage = new Gauge({
    name: 'seatrush_pool_connections',
    help: 'Connection pool usage by pool and state (total, idle, waiting)',
    labelNames: ['pool', 'state'] as const,
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: 'seatrush_rate_limited_total',
    help: 'Requests refused by a rate limit, by scope (ip, user, global)',
    labelNames: ['scope'] as const,
    registers: [this.registry],
  });
  readonly blocked = new Counter({
    name: 'seatrush_blocked_total',
    help: 'Requests refused because their subject is on the blocklist',
    registers: [this.registry],
  });
  readonly sseConnections = new Gauge({
    name: 'seatrush_sse_connections',
    help: 'Open Server-Sent Events streams',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
  }

  /**
   * Adaptive admission's figures of every sale where an operator turned it on, read from the
   * SDK at each scrape: the rate in force, whether the controller holds admission paused, and
   * its decisions by health.
   */
  watchAdaptive(sales: () => RuntimeSale[]): void {
    const registers = [this.registry];
    const adaptive = () =>
      sales().filter((sale) => sale.adaptive.enabled || sale.adaptive.view().decisions > 0);
    new Gauge({
      name: 'seatrush_adaptive_users_per_interval',
      help: 'Admission rate (users per interval) of sales under adaptive admission',
      labelNames: ['sale'] as const,
      registers,
      collect() {
        for (const sale of adaptive())
          this.set({ sale: sale.sale.id }, sale.adaptive.view().rate.usersPerInterval);
      },
    });
    new Gauge({
      name: 'seatrush_adaptive_paused',
      help: '1 while adaptive admission holds a sale paused (critical downstream health)',
      labelNames: ['sale'] as const,
      registers,
      collect() {
        for (const sale of adaptive())
          this.set({ sale: sale.sale.id }, sale.adaptive.view().pausedByController ? 1 : 0);
      },
    });
    new Counter({
      name: 'seatrush_adaptive_decisions_total',
      help: 'Adaptive admission decisions by health (healthy, degraded, critical, recovering)',
      labelNames: ['sale', 'health'] as const,
      registers,
      collect() {
        this.reset();
        for (const sale of adaptive()) {
          for (const [health, count] of Object.entries(sale.adaptive.view().decisionsByHealth)) {
            if (count > 0) this.inc({ sale: sale.sale.id, health }, count);
          }
        }
      },
    });
  }

  /**
   * The SDK's circuit breakers (issue 20), read at each scrape: 0 closed, 1 half-open (the next
   * call is a trial), 2 open (calls refused, adaptive admission pauses).
   */
  watchBreakers(breakers: () => Partial<Record<string, BreakerView>>): void {
    const level = { closed: 0, 'half-open': 1, open: 2 } as const;
    new Gauge({
      name: 'seatrush_breaker_state',
      help: 'Circuit breaker state by dependency (payments, repository, publisher): 0 closed, 1 half-open, 2 open',
      labelNames: ['dependency'] as const,
      registers: [this.registry],
      collect() {
        for (const [dependency, view] of Object.entries(breakers()))
          if (view) this.set({ dependency }, level[view.state]);
      },
    });
  }

  /**
   * The read side's projector (issue 21), read at each scrape: its consumer lag in events (-1
   * while unknown), how stale the views may be, events applied, and reads that fell back to the
   * hot store because the views were staler than the bound, by read (seat map, operator stats).
   */
  watchReadSide(readSide: ReadSide): void {
    const registers = [this.registry];
    new Gauge({
      name: 'seatrush_projector_lag',
      help: 'Events published but not yet applied by the read-side projector (its consumer lag; -1 unknown)',
      registers,
      collect() {
        this.set(readSide.lag());
      },
    });
    new Gauge({
      name: 'seatrush_read_side_staleness_seconds',
      help: 'How far the read-side views may be behind the event topics (since the projector last had no lag)',
      registers,
      collect() {
        const ms = readSide.stalenessMs();
        this.set(Number.isFinite(ms) ? ms / 1_000 : -1);
      },
    });
    new Counter({
      name: 'seatrush_projector_events_total',
      help: 'Events the read-side projector applied (first time) and skipped (already applied)',
      labelNames: ['outcome'] as const,
      registers,
      collect() {
        this.reset();
        const { applied, duplicates } = readSide.progress();
        this.inc({ outcome: 'applied' }, applied);
        this.inc({ outcome: 'duplicate' }, duplicates);
      },
    });
    new Counter({
      name: 'seatrush_read_side_fallbacks_total',
      help: 'Reads (seat map, operator stats) served from the hot store because the read side was staler than its bound',
      labelNames: ['read'] as const,
      registers,
      collect() {
        this.reset();
        for (const read of ['seat-map', 'stats'] as const) this.inc({ read }, readSide.fallbacks(read));
      },
    });
  }
}

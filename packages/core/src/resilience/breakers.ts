import {
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  isBrokenCircuitError,
  isTaskCancelledError,
  TimeoutStrategy,
  timeout,
} from 'cockatiel';
import { ConfigurationError, InfrastructureError, PublishError, SeatRushError } from '../common/errors';
import type { CheckoutStore } from '../ports/checkout-store';
import type { EventPublisher } from '../ports/event-publisher';
import type { NotificationOutbox } from '../ports/notification-outbox';
import type { PaymentGateway, PaymentProvider } from '../ports/payment-gateway';
import type { ReservationRepository } from '../ports/reservation-repository';

/**
 * The dependencies the runtime guards, by the port they are reached through:
 * - `payments`: the payment provider of the buyer-driven checkout, or the one-step gateway of
 *   `checkout: 'auto'` (Stripe in production);
 * - `repository`: the source of truth (PostgreSQL in production), reads and writes: the
 *   reservation repository, and the checkout's records and notification outbox kept beside it (one
 *   server, so one breaker: when PostgreSQL is down, all three fail together);
 * - `publisher`: durable events (Kafka in production).
 */
export type BreakerName = 'payments' | 'repository' | 'publisher';

/** Every guarded dependency, in a stable order (for health pages and metrics). */
export const BREAKER_NAMES: readonly BreakerName[] = ['payments', 'repository', 'publisher'];

/**
 * A breaker's state:
 * - `closed`: calls go through; failures are counted;
 * - `open`: calls are refused at once with {@link CircuitOpenError} until `halfOpenAfterMs` passed;
 * - `half-open`: that time has passed: the next call goes through as a trial (while it runs, other
 *   calls wait for its verdict); a success closes the breaker, a failure opens it again.
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** One dependency's breaker and timeout. */
export interface BreakerSettings {
  /** Consecutive failed calls (errors or timeouts) that open the breaker; 5. */
  failures?: number;
  /** How long an open breaker refuses every call before it lets a trial through; 2 s. */
  halfOpenAfterMs?: number;
  /**
   * Each call's bound: a call that has not answered by then rejects with `InfrastructureError`
   * and counts as a failure (the call itself may still land: every guarded port is idempotent or
   * retried with its idempotency key); 10 s.
   */
  timeoutMs?: number;
}

/** A breaker's change of state, for a host's logs or metrics. */
export interface BreakerStateChange {
  breaker: BreakerName;
  from: BreakerState;
  to: BreakerState;
  /** When it changed (epoch ms, wall clock). */
  at: number;
  /** What the last failure was, when the breaker opened. */
  reason?: string;
}

/**
 * The runtime's circuit breakers (`createSeatRushRuntime({ breakers })`). Every dependency has a
 * breaker and a per-call timeout by default; `false` turns one off (its calls go straight to the
 * port, unbounded), and `breakers: false` turns them all off.
 */
export interface BreakerOptions {
  payments?: BreakerSettings | false;
  repository?: BreakerSettings | false;
  publisher?: BreakerSettings | false;
  /** Called with each change of state (after the runtime's own alert). Must not throw. */
  onStateChange?: (change: BreakerStateChange) => void;
}

/** What a health page shows of one breaker. */
export interface BreakerView {
  state: BreakerState;
  /** Since when it is in that state (epoch ms, wall clock); for `half-open`, since it opened. */
  since: number;
  /** Failed calls since the last success (what opens a closed breaker at `failures`). */
  failures: number;
  /** How many times it opened since the process started. */
  opened: number;
  /** The last failure, when there was one. */
  lastFailure: string | null;
}

/**
 * A call refused by an open breaker: nothing was sent to the dependency, so nothing changed there.
 * An `InfrastructureError` (code `INFRASTRUCTURE`, HTTP 503) that says when to try again.
 */
export class CircuitOpenError extends InfrastructureError {
  /** When a retry may get through: the time left before the breaker lets a trial call through. */
  readonly retryAfterMs: number;

  constructor(
    /** The breaker that refused the call. */
    readonly breaker: BreakerName,
    retryAfterMs: number,
  ) {
    super(`the ${breaker} circuit breaker is open: the call was not made (retry in ${retryAfterMs} ms)`);
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * The defaults. A trial every 2 s: a hold lasts minutes and the outbox's gate refuses new holds
 * after 5 s of a stalled pipeline, so a breaker must not keep a recovered server away for longer.
 * Timeouts of 10 s: a bound for a call that hangs, far above a healthy call even on a loaded host.
 */
const DEFAULTS: Record<BreakerName, Required<BreakerSettings>> = {
  payments: { failures: 5, halfOpenAfterMs: 2_000, timeoutMs: 10_000 },
  repository: { failures: 5, halfOpenAfterMs: 2_000, timeoutMs: 10_000 },
  publisher: { failures: 5, halfOpenAfterMs: 2_000, timeoutMs: 10_000 },
};

/**
 * Whether an error says the dependency failed (counted) rather than that the call was wrong or was
 * answered (passed on, not counted):
 * - the SDK's errors count when they are `InfrastructureError`, `PublishError` or
 *   `PAYMENT_UNAVAILABLE`; the others (bad input, an unknown sale or payment, a forged webhook, a
 *   refund of an unpaid payment, a misconfigured runtime) are answers about the call;
 * - an error with an HTTP status (a provider SDK's) counts unless it is a 4xx other than 408/429;
 * - anything else (a refused connection, a driver's error, a timeout) counts.
 */
function isDependencyFailure(error: unknown): boolean {
  if (error instanceof SeatRushError) {
    return (
      error instanceof InfrastructureError ||
      error instanceof PublishError ||
      error.code === 'PAYMENT_UNAVAILABLE'
    );
  }
  const status = (error as { statusCode?: unknown; status?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return status === 408 || status === 429;
  return true;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

const STATES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
};

/**
 * One dependency's circuit breaker and per-call timeout (cockatiel's `ConsecutiveBreaker` and an
 * aggressive `timeout`): {@link execute} runs a call through both.
 */
export class DependencyBreaker {
  readonly settings: Required<BreakerSettings>;
  readonly #policy: CircuitBreakerPolicy;
  readonly #timeout: ReturnType<typeof timeout>;
  #state: BreakerState = 'closed';
  #since = Date.now();
  #openedAt = 0;
  #failures = 0;
  #opened = 0;
  #lastFailure: string | null = null;

  constructor(
    readonly name: BreakerName,
    settings: BreakerSettings = {},
    onChange: (change: BreakerStateChange) => void = () => {},
  ) {
    this.settings = { ...DEFAULTS[name], ...settings };
    const { failures, halfOpenAfterMs, timeoutMs } = this.settings;
    for (const [key, value] of Object.entries(this.settings)) {
      if (!Number.isInteger(value) || value < 1) {
        throw new ConfigurationError(`breakers.${name}.${key}: expected a positive integer, got ${value}`);
      }
    }
    this.#policy = circuitBreaker(handleWhen(isDependencyFailure), {
      halfOpenAfter: halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(failures),
    });
    this.#timeout = timeout(timeoutMs, TimeoutStrategy.Aggressive);
    this.#policy.onFailure(({ handled, reason }) => {
      if (!handled) return;
      this.#failures += 1;
      this.#lastFailure = 'error' in reason ? describe(reason.error) : 'failed';
    });
    this.#policy.onSuccess(() => {
      this.#failures = 0;
    });
    this.#policy.onStateChange((next) => {
      const from = this.#state;
      const to = STATES[next];
      const at = Date.now();
      if (to === 'open') {
        this.#openedAt = at;
        this.#opened += 1;
      }
      this.#state = to;
      this.#since = at;
      onChange({
        breaker: name,
        from,
        to,
        at,
        ...(to === 'open' && this.#lastFailure ? { reason: this.#lastFailure } : {}),
      });
    });
  }

  /**
   * The state now. An open breaker whose `halfOpenAfterMs` has passed is `half-open`: it lets the
   * next call through (cockatiel moves on that call; this reports it before, so a caller holding
   * traffic back for an open breaker lets some through).
   */
  get state(): BreakerState {
    if (this.#state === 'open' && Date.now() - this.#openedAt >= this.settings.halfOpenAfterMs) {
      return 'half-open';
    }
    return this.#state;
  }

  view(): BreakerView {
    return {
      state: this.state,
      since: this.#since,
      failures: this.#failures,
      opened: this.#opened,
      lastFailure: this.#lastFailure,
    };
  }

  /**
   * Runs `call` through the breaker and its timeout.
   * @throws CircuitOpenError when the breaker is open (`call` is not made);
   *   InfrastructureError when `call` did not answer within `timeoutMs`; else what `call` threw.
   */
  async execute<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await this.#policy.execute(() => this.#timeout.execute(() => call()));
    } catch (error) {
      if (isBrokenCircuitError(error)) {
        const left = this.#openedAt + this.settings.halfOpenAfterMs - Date.now();
        throw new CircuitOpenError(this.name, Math.max(1, left));
      }
      if (isTaskCancelledError(error)) {
        throw new InfrastructureError(
          `the ${this.name} did not answer within ${this.settings.timeoutMs} ms (its breaker counted a failure)`,
          { cause: error },
        );
      }
      throw error;
    }
  }
}

/**
 * Wraps the named methods of `port` in `breaker`; the others, and every property, pass through,
 * called on the port itself so classes with private fields keep working. Each call looks the
 * method up on the port then, so a method the host replaces later (a test's gate) is the one called.
 */
function guardMethods<T extends object>(port: T, methods: readonly string[], breaker: DependencyBreaker): T {
  const guarded = new Set(methods);
  const wrappers = new Map<PropertyKey, (...args: unknown[]) => Promise<unknown>>();
  const call = (target: T, property: PropertyKey, args: unknown[]) =>
    (Reflect.get(target, property, target) as (...a: unknown[]) => unknown).apply(target, args);
  return new Proxy(port, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      if (!guarded.has(String(property))) return (value as (...a: unknown[]) => unknown).bind(target);
      let wrapper = wrappers.get(property);
      if (!wrapper) {
        wrapper = (...args: unknown[]) => breaker.execute(async () => call(target, property, args));
        wrappers.set(property, wrapper);
      }
      return wrapper;
    },
  });
}

const REPOSITORY_METHODS: readonly (keyof ReservationRepository)[] = [
  'saveSale',
  'getSale',
  'listOpenSales',
  'recordSaleClosed',
  'loadSnapshot',
  'insertMany',
  'transition',
  'get',
  'listInFlight',
  'recordRelease',
  'listReleased',
  'totals',
  'recordReconciliation',
  'lastReconciliation',
];
const CHECKOUT_STORE_METHODS: readonly (keyof CheckoutStore)[] = [
  'recordPayment',
  'payment',
  'updatePayment',
  'settle',
  'hasReceipt',
  'recordReceipt',
];
const OUTBOX_METHODS: readonly (keyof NotificationOutbox)[] = [
  'enqueue',
  'claim',
  'markSent',
  'markFailed',
  'notification',
];
const PROVIDER_METHODS: readonly (keyof PaymentProvider)[] = [
  'createPayment',
  'getPayment',
  'cancelPayment',
  'refundPayment',
];
const GATEWAY_METHODS: readonly (keyof PaymentGateway)[] = ['charge', 'refund'];

/**
 * The runtime's breakers, one per guarded dependency that is on, and the decorators that put a
 * port behind its breaker. `createSeatRushRuntime` builds one from its `breakers` option; a host
 * composing its own services may build one too.
 */
export class RuntimeBreakers {
  readonly #breakers = new Map<BreakerName, DependencyBreaker>();

  constructor(options: BreakerOptions = {}) {
    for (const name of BREAKER_NAMES) {
      const settings = options[name];
      if (settings === false) continue;
      this.#breakers.set(
        name,
        new DependencyBreaker(name, settings ?? {}, (change) => options.onStateChange?.(change)),
      );
    }
  }

  /** The breaker of `name`; undefined when it is off. */
  get(name: BreakerName): DependencyBreaker | undefined {
    return this.#breakers.get(name);
  }

  /** Every breaker that is on, by name, as a health page shows it. */
  views(): Partial<Record<BreakerName, BreakerView>> {
    return Object.fromEntries([...this.#breakers].map(([name, breaker]) => [name, breaker.view()]));
  }

  /** The breakers open now (not yet due for a trial call): what adaptive admission pauses for. */
  open(): BreakerName[] {
    return [...this.#breakers.values()].filter((b) => b.state === 'open').map((b) => b.name);
  }

  /** `target` with `methods` behind the breaker of `name`; `target` itself when it is off. */
  #guard<T extends object>(name: BreakerName, target: T, methods: readonly (keyof T & string)[]): T {
    const breaker = this.get(name);
    return breaker ? guardMethods(target, methods, breaker) : target;
  }

  /** The repository behind the `repository` breaker (every method of the port, reads too). */
  repository<T extends ReservationRepository>(repository: T): T {
    return this.#guard('repository', repository, REPOSITORY_METHODS);
  }

  /**
   * The checkout's records behind the `repository` breaker: they live beside the reservations (in
   * PostgreSQL), so the source of truth's breaker guards them.
   */
  checkoutStore<T extends CheckoutStore>(store: T): T {
    return this.#guard('repository', store, CHECKOUT_STORE_METHODS);
  }

  /** The notification outbox behind the `repository` breaker (it lives beside the checkout's records). */
  notificationOutbox<T extends NotificationOutbox>(outbox: T): T {
    return this.#guard('repository', outbox, OUTBOX_METHODS);
  }

  /** The publisher behind the `publisher` breaker (`publish`; `close` is not guarded). */
  publisher<T extends EventPublisher>(publisher: T): T {
    return this.#guard('publisher', publisher, ['publish']);
  }

  /** The checkout's provider behind the `payments` breaker (`verifyWebhook` is local: not guarded). */
  provider<T extends PaymentProvider>(provider: T): T {
    return this.#guard('payments', provider, PROVIDER_METHODS);
  }

  /** The one-step gateway behind the `payments` breaker. */
  gateway<T extends PaymentGateway>(gateway: T): T {
    return this.#guard('payments', gateway, GATEWAY_METHODS);
  }
}

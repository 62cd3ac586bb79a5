import { PeriodicTask, type Timer } from '../hold/periodic';
import type { SaleEvent, SaleRefusal, SaleState } from '../lifecycle/sale';
import type { Clock } from '../ports/clock';
import type { SaleControl, SaleControlStore } from '../ports/sale-control-store';
import type { AdaptiveDecision, AdaptivePolicy } from '../queue/adaptive-admission';
import type { WaitingRoom } from '../queue/waiting-room';
import type { SaleDefinition } from '../sale/definition';
import { SaleControlCache } from './sale-control-cache';
import { SharedSaleLifecycle } from './sale-lifecycle';

/** The answer of a lifecycle command decided in the shared store. */
export type SharedCommandOutcome =
  | { ok: true; state: SaleState }
  | { ok: false; code: SaleRefusal; state: SaleState };

/** What the sync drives in this instance: the sale's own lifecycle and its waiting room. */
export interface LocalSale {
  state(): SaleState;
  /** Applies a lifecycle event here, with its effects on the waiting room. */
  apply(event: SaleEvent): { ok: boolean };
  room: WaitingRoom;
}

/** Options of {@link SaleControlSync}. */
export interface SaleControlSyncOptions {
  sale: SaleDefinition;
  store: SaleControlStore;
  local: LocalSale;
  clock: Clock;
  timer: Timer;
  onError: (error: unknown) => void;
}

const LIVE_STATES: readonly SaleState[] = ['OPEN', 'PAUSED', 'CLOSED'];

/**
 * Makes one sale behave the same on every instance: its lifecycle (OPEN / PAUSED / CLOSED), its
 * admission rate and adaptive admission's pause live in the shared store, and every instance
 * follows them.
 *
 * - An operator's command is decided in the store (compare-and-set: of two instances racing,
 *   one wins), then applied here; the others follow within one admission interval (at most 1 s):
 *   that is the bounded age of each instance's copy.
 * - A scheduled opening made by any instance's admission loop is written to the store, so an
 *   operator's pause is never undone by another instance's clock.
 * - A store that cannot be read leaves this instance's copy as it was: the hot path goes to the
 *   same store, so an instance cut off from it refuses buyers (503) rather than selling from a
 *   local copy.
 */
export class SaleControlSync {
  readonly #cache: SaleControlCache;
  readonly #lifecycle: SharedSaleLifecycle;
  readonly #follow: PeriodicTask;
  readonly #intervalMs: number;
  #joined = false;
  #latest: SaleControl | null = null;

  constructor(private readonly options: SaleControlSyncOptions) {
    this.#intervalMs = Math.min(1_000, options.sale.admission.intervalMs);
    this.#cache = new SaleControlCache({
      store: options.store,
      clock: options.clock,
      maxAgeMs: this.#intervalMs,
    });
    this.#lifecycle = new SharedSaleLifecycle({
      store: options.store,
      cache: this.#cache,
      clock: options.clock,
    });
    this.#follow = new PeriodicTask({
      intervalMs: this.#intervalMs,
      timer: options.timer,
      work: () => this.follow(),
      onError: options.onError,
    });
  }

  /** The oldest this instance's copy of the sale's controls may be, in ms. */
  get maxAgeMs(): number {
    return this.#intervalMs;
  }

  /**
   * Registers the sale in the store (the first instance's settings win) and follows what is there
   * already: a sale another instance paused starts paused here.
   */
  async join(): Promise<void> {
    const { sale, store, local, clock } = this.options;
    const { admission } = sale;
    const { control } = await store.initialize({
      saleId: sale.id,
      state: local.state(),
      admission: {
        usersPerInterval: admission.usersPerInterval,
        intervalMs: Math.max(100, admission.intervalMs),
        maxActive: admission.maxActive,
      },
      now: clock.now(),
    });
    this.#remember(control);
    this.#joined = true;
    await this.follow();
  }

  /** Whether {@link join} has registered the sale: its lifecycle is decided in the store from then on. */
  get joined(): boolean {
    return this.#joined;
  }

  start(): void {
    this.#follow.start();
  }

  stop(): Promise<void> {
    return this.#follow.stop();
  }

  /** An operator's lifecycle command: decided in the store, then applied here. */
  async command(event: SaleEvent): Promise<SharedCommandOutcome> {
    const decided = await this.#lifecycle.apply(this.options.sale.id, event);
    if (!decided.ok) {
      await this.follow();
      return { ok: false, code: decided.code, state: decided.from };
    }
    this.#converge(decided.state);
    return { ok: true, state: decided.state };
  }

  /** Changes the admission rate on every instance (this one at once). */
  async setAdmissionRate(rate: { usersPerInterval?: number; maxActive?: number }): Promise<void> {
    const { sale, store, clock, local } = this.options;
    const write = await store.configure({ saleId: sale.id, admission: rate, now: clock.now() });
    this.#remember(write.control);
    local.room.setAdmissionRate(rate);
  }

  /** The adaptive policy in the shared record as this instance last read it (null: off). */
  get adaptivePolicy(): AdaptivePolicy | null {
    return this.#latest?.adaptivePolicy ?? null;
  }

  /** Shares the operator's adaptive policy (null: off) with every instance. */
  async setAdaptivePolicy(policy: AdaptivePolicy | null): Promise<void> {
    const { sale, store, clock } = this.options;
    const write = await store.configure({ saleId: sale.id, adaptivePolicy: policy, now: clock.now() });
    this.#remember(write.control);
  }

  /** Records adaptive admission's decision for every instance; refused for a replaced loop owner. */
  async recordAdaptiveDecision(decision: AdaptiveDecision, fencingToken: number): Promise<boolean> {
    const { sale, store, clock } = this.options;
    const write = await store.recordAdaptiveDecision({
      saleId: sale.id,
      decision: {
        usersPerInterval: decision.usersPerInterval,
        paused: decision.paused,
        health: decision.health,
        reasons: decision.reasons.map((reason) => reason.slice(0, 200)).slice(0, 20),
      },
      fencingToken,
      now: clock.now(),
    });
    this.#remember(write.control);
    return write.applied;
  }

  #remember(control: SaleControl): void {
    this.#cache.remember(control);
    this.#latest = control;
  }

  /** Brings this instance in line with the store: lifecycle, rate, adaptive pause. */
  async follow(): Promise<void> {
    const { sale, store, local, clock } = this.options;
    let control = await this.#cache.get(sale.id);
    this.#latest = control;
    const here = local.state();
    if (here === 'OPEN' && !LIVE_STATES.includes(control.state)) {
      // this instance's admission loop opened the sale on time: every instance opens with it
      const write = await store.transition({
        saleId: sale.id,
        from: control.state,
        to: 'OPEN',
        now: clock.now(),
      });
      this.#remember(write.control);
      control = write.control;
    }
    if (LIVE_STATES.includes(control.state)) this.#converge(control.state);
    const rate = local.room.admissionRate;
    const { usersPerInterval, maxActive } = control.admission;
    if (rate.usersPerInterval !== usersPerInterval || rate.maxActive !== maxActive) {
      local.room.setAdmissionRate({ usersPerInterval, maxActive });
    }
    if (local.state() === 'OPEN' && local.room.admissionRate.paused !== control.admission.paused) {
      if (control.admission.paused) local.room.pause();
      else local.room.resume();
    }
  }

  /** Applies the lifecycle events that take this instance from its state to `target`. */
  #converge(target: SaleState): void {
    const { local, sale, clock } = this.options;
    const here = local.state();
    if (here === target || here === 'DRAFT' || here === 'WARMING' || here === 'CLOSED') return;
    const now = clock.now();
    const steps: Partial<Record<SaleState, Partial<Record<SaleState, SaleEvent>>>> = {
      READY: {
        OPEN: { type: 'OPEN', at: Math.max(now, sale.opensAt), opensAt: sale.opensAt, warm: true },
        CLOSED: { type: 'CLOSE' },
      },
      OPEN: { PAUSED: { type: 'PAUSE' }, CLOSED: { type: 'CLOSE' } },
      PAUSED: { OPEN: { type: 'RESUME', warm: true }, CLOSED: { type: 'CLOSE' } },
    };
    if (here === 'READY' && target === 'PAUSED') {
      // opened and paused elsewhere between two follows (the opening made by another instance's
      // admission loop): opened here, then paused, as the store's sale went
      this.#converge('OPEN');
      if (local.state() === 'OPEN') this.#converge('PAUSED');
      return;
    }
    const event = steps[here]?.[target];
    if (event && !local.apply(event).ok) {
      this.options.onError(new Error(`sale ${sale.id}: could not follow ${here} → ${target} here`));
    }
  }
}

import { describeError } from '../reservation/describe-error';

/** What every reservation hook says about its reservation. */
export interface ReservationHookRef {
  saleId: string;
  reservationId: string;
  userId: string;
  quantity: number;
  /** Empty for general admission. */
  seatIds: string[];
  /** When it happened (the event's `occurredAt`, from the sale's clock). */
  at: number;
}

/**
 * The payload of every host hook, by hook name. Each one fires after the fact is durable (its
 * domain event was acknowledged by the publisher), so a host never notifies a buyer of something
 * the sale may still undo.
 */
export interface SaleHookPayloads {
  /** A waiting user was let in and may reserve until `until`. */
  admitted: { saleId: string; userId: string; ticket: number; until: number; at: number };
  /** Units are held for the buyer, who has until `expiresAt` to pay. */
  held: ReservationHookRef & { amountCents: number; expiresAt: number };
  /** Paid: the units are the buyer's. */
  confirmed: ReservationHookRef & { paymentId: string; amountCents: number };
  /** An accepted reservation ended without a sale (declined payment, expiry, …). */
  failed: ReservationHookRef & { reason: string; compensated: boolean };
  /** A hold ran out before it was paid; its units are back on sale. */
  expired: ReservationHookRef;
  /** The buyer gave a hold back; its units are back on sale. */
  released: ReservationHookRef;
  /** No unit is left to sell (held or sold). Fires again after a `restocked`. */
  'sold-out': { saleId: string; at: number };
  /** Units came back (expiry, release, refund) after a sell-out. */
  restocked: { saleId: string; available: number; at: number };
  /** Freed units are held for a waiting-list party, who must claim them before `deadline`. */
  offered: {
    saleId: string;
    userId: string;
    offerId: string;
    quantity: number;
    seatIds: string[];
    adjacent: boolean;
    deadline: number;
    at: number;
  };
}

/** The name of a host hook. */
export type SaleHookName = keyof SaleHookPayloads;

/** Every hook name, in the order of a sale's life. */
export const SALE_HOOK_NAMES: readonly SaleHookName[] = [
  'admitted',
  'held',
  'confirmed',
  'failed',
  'expired',
  'released',
  'sold-out',
  'restocked',
  'offered',
];

/** One hook as `onAny` handlers see it: its name and its payload. */
export type SaleHookEvent = { [N in SaleHookName]: { type: N } & SaleHookPayloads[N] }[SaleHookName];

/** A hook handler; it may be async. What it throws or rejects with never reaches the sale. */
export type SaleHookHandler<N extends SaleHookName> = (payload: SaleHookPayloads[N]) => unknown;

/** Told when a handler threw or rejected (createSeatRush sends it to the AlertSink). */
export type HookErrorHandler = (error: unknown, hook: SaleHookName) => void;

/** Options of {@link SaleHooks}. */
export interface SaleHooksOptions {
  /** Told of every handler failure; by default failures are swallowed silently. */
  onError?: HookErrorHandler;
}

/**
 * Typed host hooks: a host subscribes to `admitted`, `held`, `confirmed`, `failed`, `expired`,
 * `released`, `sold-out`, `restocked` and `offered` (waiting list) to notify buyers or feed analytics without polling.
 *
 * The services emit; handlers run after the emitting call has returned (on a microtask), so a slow
 * or failing handler never delays or breaks a sale: a throw or a rejection goes to `onError` and
 * nowhere else. Hooks are per process: with several API instances, each instance emits what it
 * did itself (an admission tick's admissions, its own holds, its processor's confirmations).
 */
export class SaleHooks {
  readonly #handlers = new Map<SaleHookName, Set<(payload: never) => unknown>>();
  readonly #any = new Set<(event: SaleHookEvent) => unknown>();
  readonly #pending = new Set<Promise<void>>();
  readonly #onError: HookErrorHandler | undefined;

  constructor(options: SaleHooksOptions = {}) {
    this.#onError = options.onError;
  }

  /** Subscribes to one hook; answers the unsubscribe function. */
  on<N extends SaleHookName>(name: N, handler: SaleHookHandler<N>): () => void {
    if (!SALE_HOOK_NAMES.includes(name)) throw new TypeError(`unknown hook ${String(name)}`);
    let set = this.#handlers.get(name);
    if (!set) {
      set = new Set();
      this.#handlers.set(name, set);
    }
    const entry = handler as (payload: never) => unknown;
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  /** Subscribes to every hook (analytics); answers the unsubscribe function. */
  onAny(handler: (event: SaleHookEvent) => unknown): () => void {
    this.#any.add(handler);
    return () => {
      this.#any.delete(handler);
    };
  }

  /** Whether anything listens to `name` (lets emitters skip work nobody wants). */
  wants(name: SaleHookName): boolean {
    return this.#any.size > 0 || (this.#handlers.get(name)?.size ?? 0) > 0;
  }

  /**
   * Calls every handler of `name` with `payload`, later, each isolated from the others. Never
   * throws, never waits for a handler.
   */
  emit<N extends SaleHookName>(name: N, payload: SaleHookPayloads[N]): void {
    const handlers = [...(this.#handlers.get(name) ?? [])] as Array<SaleHookHandler<N>>;
    const any = [...this.#any];
    if (handlers.length === 0 && any.length === 0) return;
    const event = { type: name, ...payload } as SaleHookEvent;
    for (const handler of handlers) this.#run(name, () => handler(payload));
    for (const handler of any) this.#run(name, () => handler(event));
  }

  /**
   * Tracks background work of an emitter (e.g. the sell-out watch), so {@link idle} waits for
   * it too. A rejection goes to `onError` under `hook`.
   */
  track(hook: SaleHookName, work: Promise<unknown>): void {
    const done: Promise<void> = work.then(
      () => undefined,
      (error: unknown) => this.#report(error, hook),
    );
    this.#pending.add(done);
    void done.finally(() => this.#pending.delete(done));
  }

  /** Resolves once every handler called so far (and every tracked work) has settled. */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  #run(name: SaleHookName, call: () => unknown): void {
    // a microtask: the emitter's own call completes before any host code runs
    this.track(
      name,
      Promise.resolve().then(() => call()),
    );
  }

  #report(error: unknown, hook: SaleHookName): void {
    try {
      this.#onError?.(error, hook);
    } catch {
      // the error handler itself failed: nothing is left to tell, and the sale goes on
    }
  }
}

/** A plain description of a hook failure, for an alert's context. */
export function describeHookError(error: unknown, hook: SaleHookName): Record<string, unknown> {
  return { hook, error: describeError(error) };
}

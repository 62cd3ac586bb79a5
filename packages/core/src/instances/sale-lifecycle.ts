import { UnknownSaleError } from '../common/errors';
import { SaleId } from '../common/ids';
import { validate } from '../common/validate';
import {
  type SaleEffect,
  type SaleEvent,
  type SaleRefusal,
  type SaleState,
  transitionSale,
} from '../lifecycle/sale';
import { type Clock, systemClock } from '../ports/clock';
import type { SaleControl, SaleControlStore } from '../ports/sale-control-store';
import type { SaleControlCache } from './sale-control-cache';

/** The answer of {@link SharedSaleLifecycle.apply}. */
export type SharedSaleTransition =
  | { ok: true; from: SaleState; state: SaleState; effects: readonly SaleEffect[]; control: SaleControl }
  | { ok: false; code: SaleRefusal; from: SaleState; control: SaleControl };

/** How often a transition that lost a race is decided again on the fresh state. */
const MAX_ATTEMPTS = 5;

/**
 * A sale's lifecycle in the shared store: `apply` decides an event with `transitionSale` on the
 * state the store holds now and writes it with compare-and-set, so when instances race (two
 * operators pause at once, a scheduler opens while an operator closes) exactly one applies each
 * change and only that one gets the effects to perform. A loser decides again on the new state:
 * a second PAUSE is then refused as illegal from PAUSED.
 */
export class SharedSaleLifecycle {
  readonly #store: SaleControlStore;
  readonly #cache: SaleControlCache | undefined;
  readonly #clock: Clock;

  /** @param options.cache told of every applied change, so this instance sees it at once. */
  constructor(options: { store: SaleControlStore; cache?: SaleControlCache; clock?: Clock }) {
    this.#store = options.store;
    this.#cache = options.cache;
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * Applies `event` to the sale.
   * @throws UnknownSaleError when the sale has no controls in the store.
   * @throws InfrastructureError when the store fails (nothing was changed, or the change is unknown).
   */
  async apply(saleId: string, event: SaleEvent): Promise<SharedSaleTransition> {
    validate('sale id', SaleId, saleId);
    let control = await this.#read(saleId);
    for (let attempt = 1; ; attempt += 1) {
      const decided = transitionSale(control.state, event);
      if (!decided.ok) return { ok: false, code: decided.code, from: control.state, control };
      const from = control.state;
      const write = await this.#store.transition({ saleId, from, to: decided.state, now: this.#clock.now() });
      if (write.applied) {
        this.#cache?.remember(write.control);
        return { ok: true, from, state: decided.state, effects: decided.effects, control: write.control };
      }
      control = write.control;
      this.#cache?.remember(control);
      if (attempt >= MAX_ATTEMPTS)
        return { ok: false, code: 'INVALID_TRANSITION', from: control.state, control };
    }
  }

  async #read(saleId: string): Promise<SaleControl> {
    const control = await this.#store.read(saleId);
    if (!control) throw new UnknownSaleError(saleId);
    return control;
  }
}

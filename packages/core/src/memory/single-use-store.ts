import { SingleUseInput, type SingleUseStore } from '../ports/single-use-store';
import { fastValidate } from './fast-validate';

/**
 * Used tokens in memory, for one process. Bounded: an entry is dropped once its token has
 * expired, and at `maxEntries` live entries a new token is refused (false) rather than an old one
 * forgotten, since forgetting would let that token be replayed.
 */
export class MemorySingleUseStore implements SingleUseStore {
  readonly #used = new Map<string, number>();
  readonly #maxEntries: number;

  /** @param options.maxEntries most live entries kept (default 100,000). */
  constructor(options: { maxEntries?: number } = {}) {
    this.#maxEntries = options.maxEntries ?? 100_000;
  }

  async use(input: SingleUseInput): Promise<boolean> {
    const { scope, id, expiresAt, now } = fastValidate('single-use token', SingleUseInput, input);
    if (expiresAt <= now) return false;
    const key = `${scope}:${id}`;
    const until = this.#used.get(key);
    if (until !== undefined && until > now) return false;
    if (this.#used.size >= this.#maxEntries) this.#prune(now);
    if (this.#used.size >= this.#maxEntries) return false;
    this.#used.set(key, expiresAt);
    return true;
  }

  /** Entries kept now (used tokens not yet expired, or not yet pruned). */
  get size(): number {
    return this.#used.size;
  }

  #prune(now: number): void {
    for (const [key, until] of this.#used) if (until <= now) this.#used.delete(key);
  }
}

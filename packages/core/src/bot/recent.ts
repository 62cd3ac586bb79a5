/**
 * Bounded, time-windowed memory for the bot guard's pattern rules. Nothing here grows without
 * limit: entries older than their window are pruned on every touch, each key keeps at most
 * `keep` entries (enough to tell "more than the threshold"), and the number of keys is capped,
 * the least recently touched key going first (a Map keeps insertion order; a touch re-inserts).
 */

/** Per key, the instants of its recent events. */
export class RecentEvents {
  readonly #events = new Map<string, number[]>();

  constructor(private readonly maxKeys: number) {}

  /**
   * Records an event of `key` at `now` and answers how many of its events fall within the last
   * `windowMs` (counting at most `keep`).
   */
  record(key: string, now: number, windowMs: number, keep: number): number {
    const recent = (this.#events.get(key) ?? []).filter((t) => t > now - windowMs);
    recent.push(now);
    if (recent.length > keep) recent.splice(0, recent.length - keep);
    touch(this.#events, key, recent, this.maxKeys);
    return recent.length;
  }

  /** Keys tracked now. */
  get size(): number {
    return this.#events.size;
  }
}

/** Per key, the distinct members seen recently with when each was last seen. */
export class RecentMembers {
  readonly #members = new Map<string, Map<string, number>>();

  constructor(private readonly maxKeys: number) {}

  /**
   * Records `member` under `key` at `now` and answers how many distinct members were seen within
   * the last `windowMs` (counting at most `keep`; the least recently seen are dropped first).
   */
  record(key: string, member: string, now: number, windowMs: number, keep: number): number {
    const members = this.#members.get(key) ?? new Map<string, number>();
    for (const [m, seen] of members) if (seen <= now - windowMs) members.delete(m);
    members.delete(member);
    members.set(member, now);
    while (members.size > keep) members.delete(members.keys().next().value as string);
    touch(this.#members, key, members, this.maxKeys);
    return members.size;
  }

  /** Keys tracked now. */
  get size(): number {
    return this.#members.size;
  }
}

/** Bounded key → expiry instants (e.g. who passed a challenge, and until when). */
export class Expiring {
  readonly #until = new Map<string, number>();

  constructor(private readonly maxKeys: number) {}

  /** Remembers `key` until `until` (exclusive), replacing an earlier expiry. */
  set(key: string, until: number): void {
    touch(this.#until, key, until, this.maxKeys);
  }

  /** Whether `key` is set and not yet expired at `now`; expired keys are dropped on the way. */
  has(key: string, now: number): boolean {
    const until = this.#until.get(key);
    if (until === undefined) return false;
    if (until > now) return true;
    this.#until.delete(key);
    return false;
  }

  /** Keys tracked now. */
  get size(): number {
    return this.#until.size;
  }
}

function touch<V>(map: Map<string, V>, key: string, value: V, maxKeys: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > maxKeys) map.delete(map.keys().next().value as string);
}

/**
 * The one place Redis key names are made. Every key of one sale carries the sale's hash tag
 * (`sr:{<saleId>}:…`), so all keys a script touches live in one Redis Cluster slot and every
 * script runs unchanged on a single node, behind Sentinel, or on a cluster.
 *
 * A `keyPrefix` (e.g. `app1:`) isolates several SeatRush installations — or test runs — sharing
 * one Redis. It goes before `sr:` and outside the hash tag, so it never changes a key's slot
 * grouping. ioredis' own `keyPrefix` option is refused (see `assertUsableClient`): scripts build
 * some keys from ARGV, which ioredis would not prefix.
 */
export class KeySpace {
  /** `keyPrefix` + `sr:` — the start of every key this adapter writes. */
  readonly root: string;

  constructor(keyPrefix = '') {
    this.root = `${keyPrefix}sr:`;
  }

  /** Keys of one sale; all share the hash tag `{saleId}`. */
  sale(saleId: string): SaleKeys {
    const base = `${this.root}{${saleId}}:`;
    return {
      base,
      meta: `${base}meta`,
      stock: `${base}stock`,
      seats: `${base}seats`,
      users: `${base}users`,
      idempotency: `${base}idem`,
      expiry: `${base}expiry`,
      outbox: `${base}outbox`,
      fence: `${base}fence`,
      admitted: `${base}admitted`,
      ticketSeq: `${base}wr:seq`,
      queue: `${base}wr:queue`,
      tickets: `${base}wr:tickets`,
      heartbeats: `${base}wr:hb`,
      served: `${base}wr:served`,
      queueConfig: `${base}wr:config`,
      queueRestored: `${base}wr:restored`,
      control: `${base}control`,
      revokedInvitations: `${base}revoked`,
      hold: (reservationId: string) => `${base}hold:${reservationId}`,
      holdTimer: (reservationId: string) => `${base}timer:${reservationId}`,
    };
  }

  /** A rate-limit bucket: one key per limited subject and algorithm. */
  rateLimit(kind: 'tb' | 'sw', key: string): string {
    return `${this.root}rl:{${key}}:${kind}`;
  }

  /** A blocklist entry. */
  blocked(subject: string): string {
    return `${this.root}blocked:{${subject}}`;
  }

  /** An idempotency record of the general-purpose store (reserve keeps its own, per sale). */
  idempotency(scope: string, key: string): string {
    return `${this.root}idem:{${scope}:${key}}`;
  }

  /**
   * A loop's lease and its fencing counter. A name carrying a hash tag (`sale:{s1}:admission`)
   * keeps it: the lease shares the sale's slot. Any other name becomes its own tag.
   */
  lease(name: string): { lease: string; fence: string } {
    const tagged = name.includes('{') ? name : `{${name}}`;
    return { lease: `${this.root}lease:${tagged}`, fence: `${this.root}lease:${tagged}:fence` };
  }

  /** A used single-use token (a proof-of-work challenge id). */
  singleUse(scope: string, id: string): string {
    return `${this.root}once:{${scope}:${id}}`;
  }

  /** The bot guard's recent activity or mark of one kind and key. */
  activity(kind: string, key: string): string {
    return `${this.root}bot:${kind}:{${key}}`;
  }

  /** A Redlock resource on one lock node, and its fencing counter. */
  lock(resource: string): { lock: string; fence: string } {
    return { lock: `${this.root}lock:{${resource}}`, fence: `${this.root}lock:{${resource}}:fence` };
  }

  /**
   * The sale id and reservation id of a hold timer key (keyspace notifications name the key
   * that expired), or null when `key` is no hold timer of this key space.
   */
  parseHoldTimer(key: string): { saleId: string; reservationId: string } | null {
    if (!key.startsWith(`${this.root}{`)) return null;
    // a stripe of a striped sale is tagged `{saleId~stripe}`: the sale is the part before `~`
    const match = /^\{([^}~]+)(?:~[^}]*)?\}:timer:(.+)$/.exec(key.slice(this.root.length));
    return match ? { saleId: match[1]!, reservationId: match[2]! } : null;
  }
}

/** The keys of one sale (see `KeySpace.sale`). */
export interface SaleKeys {
  /** `…sr:{saleId}:` — scripts append to it for keys named by data (holds). */
  base: string;
  /** Hash: initialStock, ticketsPerUser, kind, held, confirmed, warm. */
  meta: string;
  /** String: units free to sell. */
  stock: string;
  /** Hash: seatId → A (available) | H (held) | C (confirmed). */
  seats: string;
  /** Hash: userId → units held or confirmed (the tickets-per-user limit). */
  users: string;
  /** Hash: idempotency key → reservation id of the outcome stored under it. */
  idempotency: string;
  /** Sorted set: reservation id of each live hold, scored by its expiry. */
  expiry: string;
  /**
   * Sorted set: reservation id → when held, of every hold a buyer was told about and the
   * pipeline does not have yet (the transactional outbox, written by the script that holds).
   */
  outbox: string;
  /** String: the highest fencing token the lock strategy's writes have seen. */
  fence: string;
  /** Sorted set: admitted user → admission expiry (shared by waiting room and reserve). */
  admitted: string;
  /** String: INCR source of waiting-room tickets. */
  ticketSeq: string;
  /** Sorted set: waiting user → ticket. */
  queue: string;
  /** Hash: user → ticket, for waiting and admitted users. */
  tickets: string;
  /** Sorted set: waiting user → last heartbeat. */
  heartbeats: string;
  /** String: the highest ticket admitted so far (the serving counter). */
  served: string;
  /**
   * Hash: method (fifo|random|passthrough|reject), preQueue ('1' while collecting), arrivals;
   * bornAt (when the room's state began), servedBefore and freshFrom (see rejoin.lua).
   */
  queueConfig: string;
  /** Set: users put back at their ticket from a queue pass after the room lost its state (rejoin.lua). */
  queueRestored: string;
  /**
   * Hash: the sale's shared controls — revision, state, rate, interval, maxActive, paused,
   * method, policy (JSON or ''), decision (JSON or ''), fence, updatedAt.
   */
  control: string;
  /** Hash: userId → 1, whose invitations to the sale were revoked. */
  revokedInvitations: string;
  /** Hash: one hold record. */
  hold: (reservationId: string) => string;
  /** String with a real PX: its expiry event makes hold expiry prompt (optional). */
  holdTimer: (reservationId: string) => string;
}

/** A user's place in a sale's waiting room. */
export interface QueueEntry {
  userId: string;
  /** Strictly increasing ticket from INCR: the FCFS order, independent of any clock. */
  ticket: number;
  state: 'WAITING' | 'ADMITTED';
  /** For ADMITTED: when the admission lapses unless renewed. */
  admittedUntil?: number;
  /**
   * For WAITING outside the normal lane (see `QueueingStore`): `priority` (admitted before the
   * normal lane) or `pre-queue` (no ticket yet: `ticket` is 0 until the opening shuffle).
   */
  lane?: 'priority' | 'pre-queue';
}

/** A waiting user's position: `ticket − servedUpTo` is one broadcast value for everyone. */
export interface QueuePosition extends QueueEntry {
  /** The highest ticket admitted so far (the serving counter). */
  servedUpTo: number;
  /** Approximate users ahead: `ticket − servedUpTo − 1`, never below 0 (a left user leaves a gap). */
  ahead: number;
  /** Exact users ahead (ZRANK), only when asked for. */
  exactRank?: number;
}

/** Input of {@link WaitingRoomStore.position}: `exact` asks for the exact rank (ZRANK) too. */
export interface PositionQuery {
  saleId: string;
  userId: string;
  exact?: boolean;
  now: number;
}

export interface AdmitInput {
  saleId: string;
  /** Admit at most this many in this tick. */
  max: number;
  /** Never more than this many admitted at once (expired admissions are dropped first). */
  maxActive: number;
  /** Admission lifetime. */
  sessionMs: number;
  now: number;
}

export interface AdmitResult {
  admitted: QueueEntry[];
  servedUpTo: number;
  /** Admitted users after this tick. */
  active: number;
}

/** Input of {@link WaitingRoomStore.readmit}. */
export interface ReadmitInput {
  saleId: string;
  userId: string;
  /** The expiry the buyer's verified admission token carries. */
  until: number;
  /** The room's admission bound: nobody is re-admitted while this many admissions are live. */
  maxActive: number;
  now: number;
}

/**
 * The answer of {@link WaitingRoomStore.readmit}: `READMITTED` until then; `PRESENT` when the room
 * knows the user (waiting or admitted: nothing changed); `FULL` when `maxActive` admissions are live.
 */
export type ReadmitResult =
  | { outcome: 'READMITTED'; until: number }
  | { outcome: 'PRESENT' }
  | { outcome: 'FULL' };

/** Input of {@link WaitingRoomStore.rejoin}: what the buyer's verified queue pass says. */
export interface RejoinInput {
  saleId: string;
  userId: string;
  /** The buyer's ticket in the normal lane. */
  ticket: number;
  /** The serving counter when the pass was issued. */
  servedUpTo: number;
  /** The ticket counter when the pass was issued. */
  lastTicket: number;
  /** When the pass was issued: a pass issued by the room as it is now proves no loss. */
  issuedAt: number;
  now: number;
}

/**
 * The answer of {@link WaitingRoomStore.rejoin}: `REJOINED` (waiting again at the pass's ticket);
 * `PRESENT` (the room knows the user: nothing changed); `NOT_LOST` (the room issued the pass as it
 * is now, so it knows what became of the place: left, evicted or admitted); `SERVED` (the room has
 * served past the ticket: the place would be ahead of buyers already served).
 */
export type RejoinResult =
  | { outcome: 'REJOINED'; ticket: number }
  | { outcome: 'PRESENT' }
  | { outcome: 'NOT_LOST' }
  | { outcome: 'SERVED' };

export interface WaitingRoomStats {
  waiting: number;
  active: number;
  servedUpTo: number;
  /** The last ticket handed out: total joins so far. */
  lastTicket: number;
}

/**
 * The waiting room's state. Joining is idempotent (a refresh or a second tab keeps the same
 * place); admission moves the first waiting users into an admitted set scored by expiry, so an
 * admission never outlives its session.
 */
export interface WaitingRoomStore {
  join(input: {
    saleId: string;
    userId: string;
    now: number;
  }): Promise<{ entry: QueueEntry; alreadyJoined: boolean }>;
  position(input: PositionQuery): Promise<QueuePosition | null>;
  /** Marks a waiting user alive. False when the user is not in the room. */
  heartbeat(input: { saleId: string; userId: string; now: number }): Promise<boolean>;
  /** Leaves the queue or gives up an admission at once (frees capacity). False when absent. */
  leave(input: { saleId: string; userId: string }): Promise<boolean>;
  /** Removes waiting users whose last heartbeat is older than `silentSince`; returns them. */
  evictSilent(input: { saleId: string; silentSince: number; limit: number }): Promise<string[]>;
  admit(input: AdmitInput): Promise<AdmitResult>;
  /** Whether the user holds a live admission, and until when. */
  admission(input: {
    saleId: string;
    userId: string;
    now: number;
  }): Promise<{ admitted: boolean; until?: number }>;
  /** Renews a live admission to `now + sessionMs`. False when it had lapsed. */
  renew(input: { saleId: string; userId: string; sessionMs: number; now: number }): Promise<boolean>;
  /**
   * Puts back an admission the store lost (a wiped Redis, a failover that lost the last writes) for
   * a user whose signed admission token the caller has verified: admitted until `until`, unless
   * the room knows the user already or holds `maxActive` live admissions, atomically. Optional:
   * a store without it cannot re-admit (`WaitingRoom.readmit` says so).
   */
  readmit?(input: ReadmitInput): Promise<ReadmitResult>;
  /**
   * Puts back a waiting place the store lost, for a user whose signed queue pass the caller has
   * verified, in ONE atomic step (issue 20). The room's state carries the moment it began (its
   * first join or rejoin: `bornAt`); a pass issued before it was issued by a room since lost. Then
   * the counters are restored (ticket counter to at least the pass's ticket and counter, serving
   * counter to at least the pass's, never past the ticket before it) and the user waits at the
   * pass's ticket in the normal lane, unless the room has served past it. A user the room knows
   * is left as they are. Optional: a store without it cannot restore places.
   */
  rejoin?(input: RejoinInput): Promise<RejoinResult>;
  stats(input: { saleId: string; now: number }): Promise<WaitingRoomStats>;
}

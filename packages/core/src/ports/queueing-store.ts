import { z } from 'zod';
import { EpochMs, SaleId, UserId } from '../common/ids';
import type { QueueEntry, WaitingRoomStore } from './waiting-room-store';

/**
 * How a waiting room orders and lets people in:
 * - `fifo` (the default): admission in arrival order;
 * - `random`: each admission is drawn at random among the users waiting;
 * - `passthrough`: while the room is under `maxActive` and nobody waits, a joining user is
 *   admitted at once (no queue); otherwise they queue FIFO;
 * - `reject`: new arrivals get a polite refusal (sold out / closed) and are not queued; users
 *   already waiting keep their place and are still admitted FIFO.
 */
export const QueueingMethod = z.enum(['fifo', 'random', 'passthrough', 'reject']);
export type QueueingMethod = z.infer<typeof QueueingMethod>;

/**
 * The lane a user joins in. `priority` users are admitted before anyone in the normal lane (FIFO
 * among themselves); `bypass` users are admitted at once when there is capacity and otherwise
 * join the priority lane. Only a verified invitation may ask for a lane: the store trusts its
 * caller, the service checks the signature.
 */
export const QueueLane = z.enum(['normal', 'priority', 'bypass']);
export type QueueLane = z.infer<typeof QueueLane>;

/** Input of {@link QueueingStore.enter}. */
export const EnterInput = z.object({
  saleId: SaleId,
  userId: UserId,
  now: EpochMs,
  lane: QueueLane.optional(),
  /** The admission bound, for passthrough and bypass admissions at join time (see `admit`). */
  maxActive: z.number().int().positive(),
  /** The admission lifetime of a passthrough or bypass admission. */
  sessionMs: z.number().int().positive(),
  /**
   * Whether admission is running now, so a join may be admitted at once (default true). False
   * while the room is paused or before the sale opens: a passthrough arrival then queues FIFO and
   * a bypass invitation waits at the head of the line (the priority lane) — both are let in by the
   * first admission step once admission runs, never ahead of the opening or through a pause.
   */
  admit: z.boolean().optional(),
  /**
   * The highest ticket counter the caller has seen in this room (issue 20): the counter is raised
   * to it before a ticket is taken, so after the room lost its state (a wiped Redis) a new joiner
   * is not given a ticket that an earlier buyer, coming back with a queue pass, holds already.
   * Never lowers anything; omitted: 0.
   */
  ticketFloor: z.number().int().nonnegative().optional(),
  /** The highest serving counter the caller has seen: raised to it the same way (positions stay right). */
  servedFloor: z.number().int().nonnegative().optional(),
});
export type EnterInput = z.infer<typeof EnterInput>;

/** The answer of {@link QueueingStore.enter}. */
export type EnterResult =
  | { outcome: 'REJECTED' }
  | {
      outcome: 'JOINED';
      /** WAITING (maybe pre-queued or in the priority lane) or ADMITTED (passthrough, bypass). */
      entry: QueueEntry;
      alreadyJoined: boolean;
    };

/** Input of {@link QueueingStore.admitNext}. */
export const AdmitNextInput = z.object({
  saleId: SaleId,
  /** Admit at most this many in this call. */
  max: z.number().int().nonnegative(),
  /** Never more than this many admitted at once (lapsed admissions are dropped first). */
  maxActive: z.number().int().positive(),
  sessionMs: z.number().int().positive(),
  now: EpochMs,
  /**
   * The grace period's edge: a waiting user whose last heartbeat is older than this has
   * disappeared; when their turn comes they lose their place (removed, never admitted) and the
   * next user gets the admission, so an abandoned place never holds capacity.
   */
  silentSince: EpochMs.optional(),
});
export type AdmitNextInput = z.infer<typeof AdmitNextInput>;

/** The answer of {@link QueueingStore.admitNext}. */
export interface AdmitNextResult {
  admitted: QueueEntry[];
  /** Users who lost their place because they were silent past the grace period. */
  lapsed: string[];
  servedUpTo: number;
  active: number;
  /** True when nothing was admitted because the pre-queue has not been opened yet. */
  preQueueClosed: boolean;
}

/** Input of {@link QueueingStore.configure}: each field given is changed, the others kept. */
export const ConfigureQueueInput = z
  .object({
    saleId: SaleId,
    method: QueueingMethod.optional(),
    /**
     * true: arrivals from now on wait in the pre-queue (no ticket) until {@link QueueingStore.openPreQueue}
     * shuffles them. false while it collects: the same as opening it (the shuffle runs), so nobody
     * in it is ever stranded without a ticket. `QueueingRoom.start` turns it on only before `opensAt`.
     */
    preQueue: z.boolean().optional(),
    /**
     * true: set `method` only if no method was ever set for the room, so an instance that starts
     * (or restarts) later never undoes an operator's live switch.
     */
    keepExistingMethod: z.boolean().optional(),
  })
  .refine((input) => input.method !== undefined || input.preQueue !== undefined, {
    message: 'give method, preQueue or both',
  });
export type ConfigureQueueInput = z.infer<typeof ConfigureQueueInput>;

/** A room's queueing configuration. */
export interface QueueConfig {
  method: QueueingMethod;
  /** Whether arrivals currently go to the pre-queue. */
  preQueue: boolean;
  /** Users in the pre-queue. */
  preQueued: number;
}

/** What {@link QueueingStore.openPreQueue} did. */
export interface OpenPreQueueResult {
  /** False when the pre-queue was not collecting (already opened, or never enabled): nothing changed. */
  opened: boolean;
  /** How many pre-queued users received a ticket. */
  shuffled: number;
  /** The first and last ticket handed out to them (0 when none). */
  firstTicket: number;
  lastTicket: number;
}

/**
 * The waiting room with queueing methods, a pre-queue, lanes and session hand-over. It extends
 * {@link WaitingRoomStore} over the SAME state (the admitted set `reserve` checks): joins through
 * {@link enter} show up in `position`, `stats`, `leave`, `heartbeat` and `evictSilent`.
 *
 * The defaults keep the base behaviour: method `fifo`, no pre-queue, normal lane.
 */
export interface QueueingStore extends WaitingRoomStore {
  /**
   * Joins under the room's method, pre-queue state and the given lane, atomically. Idempotent
   * like `join`: a user already waiting or admitted keeps their place (even under `reject`).
   */
  enter(input: EnterInput): Promise<EnterResult>;
  /**
   * One admission step: the priority lane first, then the normal lane in FIFO or random order
   * (the room's method), skipping — and removing — users silent since before `silentSince`.
   * Admits nothing while the pre-queue is still collecting.
   */
  admitNext(input: AdmitNextInput): Promise<AdmitNextResult>;
  /** Changes the method and/or the pre-queue switch; takes effect for the next call. */
  configure(input: ConfigureQueueInput): Promise<QueueConfig>;
  /** The room's configuration (defaults for a room never configured). */
  queueConfig(input: { saleId: string }): Promise<QueueConfig>;
  /**
   * Ends the pre-queue atomically: every pre-queued user gets a ticket in a uniformly random
   * order (Fisher–Yates), ahead of anyone arriving later, and the room turns FIFO-by-arrival for
   * later arrivals. Running it twice is harmless (the second does nothing).
   */
  openPreQueue(input: { saleId: string; now: number }): Promise<OpenPreQueueResult>;
}

import { z } from 'zod';
import { EpochMs, SaleId, UserId } from '../common/ids';
import {
  AdmitNextInput,
  type AdmitNextResult,
  ConfigureQueueInput,
  EnterInput,
  type EnterResult,
  type OpenPreQueueResult,
  type QueueConfig,
  type QueueingMethod,
  type QueueingStore,
} from '../ports/queueing-store';
import type {
  AdmitInput,
  AdmitResult,
  PositionQuery,
  QueueEntry,
  QueuePosition,
  ReadmitInput,
  ReadmitResult,
  RejoinInput,
  RejoinResult,
  WaitingRoomStats,
} from '../ports/waiting-room-store';
import { cryptoRandomBelow, fairShuffle, type RandomBelow } from '../queue/fair-shuffle';
import { fastValidate } from './fast-validate';

const UserInSale = z.object({ saleId: SaleId, userId: UserId, now: EpochMs });
const PositionInput = UserInSale.extend({ exact: z.boolean().optional() });
const LeaveInput = z.object({ saleId: SaleId, userId: UserId });
const EvictInput = z.object({ saleId: SaleId, silentSince: EpochMs, limit: z.number().int().positive() });
const AdmitSchema = z.object({
  saleId: SaleId,
  max: z.number().int().nonnegative(),
  maxActive: z.number().int().positive(),
  sessionMs: z.number().int().positive(),
  now: EpochMs,
});
const RenewInput = UserInSale.extend({ sessionMs: z.number().int().positive() });
const ReadmitSchema = UserInSale.extend({ until: EpochMs, maxActive: z.number().int().positive() });
const Counter = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const RejoinSchema = UserInSale.extend({
  ticket: Counter.min(1),
  servedUpTo: Counter,
  lastTicket: Counter,
  issuedAt: EpochMs,
});
const StatsInput = z.object({ saleId: SaleId, now: EpochMs });
const SaleOnly = z.object({ saleId: SaleId });
const OpenInput = z.object({ saleId: SaleId, now: EpochMs });

interface Waiting {
  ticket: number;
  lastSeen: number;
}
interface Admitted {
  ticket: number;
  until: number;
}
interface Room {
  lastTicket: number;
  servedUpTo: number;
  /** Insertion order is ticket order (tickets only grow), like the waiting zset scored by ticket. */
  waiting: Map<string, Waiting>;
  /** The priority lane, admitted before `waiting`; insertion (ticket) order. */
  priority: Map<string, Waiting>;
  /** The pre-queue in arrival order: no ticket until the opening shuffle (`ticket` is 0). */
  preQueue: Map<string, Waiting>;
  admitted: Map<string, Admitted>;
  method: QueueingMethod;
  /** Whether a method was ever set (`keepExistingMethod` leaves it alone then). */
  methodSet: boolean;
  preQueueOn: boolean;
  /** When this room's state began (its first join or rejoin): see `WaitingRoomStore.rejoin`. */
  bornAt?: number;
  /** The lost room's serving counter, as the queue passes brought back tell it (see `rejoin`). */
  servedBefore?: number;
  /** Users put back at their ticket from a queue pass (see `rejoin`). */
  restored?: Set<string>;
  /** The ticket counter after the last move of new joiners behind restored tickets (see `rejoin`). */
  freshFrom?: number;
}

/**
 * The waiting room in memory: a ticket counter (Redis INCR), the waiting users in ticket order
 * (a zset scored by ticket) with their last heartbeat, and the admitted users with the instant
 * their admission lapses (a zset scored by expiry). Every method runs without an `await`, so each
 * one is atomic under concurrent async callers, as a Lua script is.
 */
export class MemoryWaitingRoomStore implements QueueingStore {
  readonly #rooms = new Map<string, Room>();
  readonly #random: RandomBelow;

  /**
   * @param options.random the draw behind random admission and the pre-queue shuffle; the
   *   operating system's CSPRNG by default (tests may inject a scripted one).
   */
  constructor(options: { random?: RandomBelow } = {}) {
    this.#random = options.random ?? cryptoRandomBelow;
  }

  async join(input: {
    saleId: string;
    userId: string;
    now: number;
  }): Promise<{ entry: QueueEntry; alreadyJoined: boolean }> {
    const { saleId, userId, now } = fastValidate('join input', UserInSale, input);
    const room = this.#room(saleId);
    const present = presentEntry(room, userId, now);
    if (present) return { entry: present, alreadyJoined: true };
    // A lapsed admission is gone: the user starts again at the back
    // (docs/design.md §Waiting-room ticket).
    room.admitted.delete(userId);
    // while the pre-queue collects, no join path may get a ticket ahead of the opening shuffle
    const lane = room.preQueueOn ? 'pre-queue' : 'normal';
    return { entry: enqueue(room, userId, now, lane), alreadyJoined: false };
  }

  async enter(input: EnterInput): Promise<EnterResult> {
    const {
      saleId,
      userId,
      now,
      lane = 'normal',
      maxActive,
      sessionMs,
      admit = true,
      ticketFloor = 0,
      servedFloor = 0,
    } = fastValidate('enter input', EnterInput, input);
    const room = this.#room(saleId);
    room.bornAt ??= now;
    // counters a room that lost its state forgot: raised to what the caller saw, never lowered
    room.lastTicket = Math.max(room.lastTicket, ticketFloor);
    room.servedUpTo = Math.max(room.servedUpTo, servedFloor);
    const present = presentEntry(room, userId, now);
    if (present) return { outcome: 'JOINED', entry: present, alreadyJoined: true };
    room.admitted.delete(userId);
    // paused or not open yet: nobody is admitted at join time, whatever the method or lane
    const hasRoom = admit && liveCount(room, now) < maxActive;
    if (lane === 'bypass' && hasRoom) {
      return { outcome: 'JOINED', entry: admitAtOnce(room, userId, now + sessionMs), alreadyJoined: false };
    }
    if (lane !== 'normal') {
      // a bypass without capacity waits at the head of the line: the priority lane
      return { outcome: 'JOINED', entry: enqueue(room, userId, now, 'priority'), alreadyJoined: false };
    }
    if (room.method === 'reject') return { outcome: 'REJECTED' };
    if (room.preQueueOn) {
      return { outcome: 'JOINED', entry: enqueue(room, userId, now, 'pre-queue'), alreadyJoined: false };
    }
    if (room.method === 'passthrough' && hasRoom && waitingCount(room) === 0) {
      const entry = admitAtOnce(room, userId, now + sessionMs);
      // nobody waits: the serving counter moves with it, so later arrivals' positions stay right
      room.servedUpTo = entry.ticket;
      return { outcome: 'JOINED', entry, alreadyJoined: false };
    }
    return { outcome: 'JOINED', entry: enqueue(room, userId, now, 'normal'), alreadyJoined: false };
  }

  async admitNext(input: AdmitNextInput): Promise<AdmitNextResult> {
    const { saleId, max, maxActive, sessionMs, now, silentSince } = fastValidate(
      'admitNext input',
      AdmitNextInput,
      input,
    );
    const room = this.#room(saleId);
    dropLapsed(room, now);
    if (room.preQueueOn) {
      return {
        admitted: [],
        lapsed: [],
        servedUpTo: room.servedUpTo,
        active: room.admitted.size,
        preQueueClosed: true,
      };
    }
    const slots = Math.max(0, Math.min(max, maxActive - room.admitted.size));
    const admitted: QueueEntry[] = [];
    const lapsed: string[] = [];
    // the random method draws among the normal lane; an array copy makes each draw O(1)
    let normal: string[] | undefined;
    while (admitted.length < slots && lapsed.length < MAX_LAPSED_PER_CALL) {
      let userId: string | undefined;
      let lane: Map<string, Waiting>;
      if (room.priority.size > 0) {
        lane = room.priority;
        userId = room.priority.keys().next().value;
      } else if (room.waiting.size > 0) {
        lane = room.waiting;
        if (room.method === 'random') {
          normal ??= [...room.waiting.keys()];
          const index = this.#random(normal.length);
          userId = normal[index]!;
          normal[index] = normal[normal.length - 1]!;
          normal.pop();
        } else {
          userId = room.waiting.keys().next().value;
        }
      } else {
        break;
      }
      const waiting = lane.get(userId!)!;
      lane.delete(userId!);
      if (silentSince !== undefined && waiting.lastSeen < silentSince) {
        lapsed.push(userId!);
        continue;
      }
      const admission = { ticket: waiting.ticket, until: now + sessionMs };
      room.admitted.set(userId!, admission);
      if (lane === room.waiting) {
        // random: the counter counts admissions, so it moves at the admission rate (ETAs stay right)
        // instead of jumping to the highest ticket drawn, which would tell everyone they are next
        room.servedUpTo =
          room.method === 'random' ? room.servedUpTo + 1 : Math.max(room.servedUpTo, waiting.ticket);
      }
      admitted.push(admittedEntry(userId!, admission));
    }
    return {
      admitted,
      lapsed,
      servedUpTo: room.servedUpTo,
      active: room.admitted.size,
      preQueueClosed: false,
    };
  }

  async configure(input: ConfigureQueueInput): Promise<QueueConfig> {
    const { saleId, method, preQueue, keepExistingMethod } = fastValidate(
      'configure input',
      ConfigureQueueInput,
      input,
    );
    const room = this.#room(saleId);
    if (method !== undefined && !(keepExistingMethod && room.methodSet)) {
      room.method = method;
      room.methodSet = true;
    }
    // turning the pre-queue off opens it: nobody already in it may be stranded without a ticket
    if (preQueue === false && room.preQueueOn) this.#open(room);
    if (preQueue !== undefined) room.preQueueOn = preQueue;
    return configOf(room);
  }

  async queueConfig(input: { saleId: string }): Promise<QueueConfig> {
    const { saleId } = fastValidate('queueConfig input', SaleOnly, input);
    const room = this.#rooms.get(saleId);
    return room ? configOf(room) : { method: 'fifo', preQueue: false, preQueued: 0 };
  }

  async openPreQueue(input: { saleId: string; now: number }): Promise<OpenPreQueueResult> {
    const { saleId } = fastValidate('openPreQueue input', OpenInput, input);
    const room = this.#rooms.get(saleId);
    if (!room?.preQueueOn) return { opened: false, shuffled: 0, firstTicket: 0, lastTicket: 0 };
    return this.#open(room);
  }

  /** The opening shuffle; synchronous, so nobody can join between the shuffle and the switch to FIFO. */
  #open(room: Room): OpenPreQueueResult {
    const order = fairShuffle([...room.preQueue.keys()], this.#random);
    const firstTicket = order.length > 0 ? room.lastTicket + 1 : 0;
    for (const userId of order) {
      room.lastTicket += 1;
      room.waiting.set(userId, { ticket: room.lastTicket, lastSeen: room.preQueue.get(userId)!.lastSeen });
    }
    room.preQueue.clear();
    room.preQueueOn = false;
    return {
      opened: true,
      shuffled: order.length,
      firstTicket,
      lastTicket: order.length > 0 ? room.lastTicket : 0,
    };
  }

  async position(input: PositionQuery): Promise<QueuePosition | null> {
    const { saleId, userId, exact, now } = fastValidate('position input', PositionInput, input);
    const room = this.#rooms.get(saleId);
    if (!room) return null;
    const waiting = room.waiting.get(userId);
    if (waiting) {
      const position: QueuePosition = {
        userId,
        ticket: waiting.ticket,
        state: 'WAITING',
        servedUpTo: room.servedUpTo,
        ahead: Math.max(0, waiting.ticket - room.servedUpTo - 1),
      };
      if (exact) position.exactRank = room.priority.size + rankOf(room.waiting, waiting.ticket);
      return position;
    }
    const priority = room.priority.get(userId);
    if (priority) {
      // the serving counter says nothing about the priority lane: its users see their exact rank
      const rank = rankOf(room.priority, priority.ticket);
      const position: QueuePosition = {
        userId,
        ticket: priority.ticket,
        state: 'WAITING',
        lane: 'priority',
        servedUpTo: room.servedUpTo,
        ahead: rank,
      };
      if (exact) position.exactRank = rank;
      return position;
    }
    if (room.preQueue.has(userId)) {
      return {
        userId,
        ticket: 0,
        state: 'WAITING',
        lane: 'pre-queue',
        servedUpTo: room.servedUpTo,
        ahead: 0,
      };
    }
    const admitted = room.admitted.get(userId);
    if (admitted && admitted.until > now) {
      const position: QueuePosition = {
        ...admittedEntry(userId, admitted),
        servedUpTo: room.servedUpTo,
        ahead: 0,
      };
      if (exact) position.exactRank = 0;
      return position;
    }
    return null;
  }

  async heartbeat(input: { saleId: string; userId: string; now: number }): Promise<boolean> {
    const { saleId, userId, now } = fastValidate('heartbeat input', UserInSale, input);
    const room = this.#rooms.get(saleId);
    if (!room) return false;
    const waiting = waitingOf(room, userId);
    if (waiting) {
      waiting.lastSeen = Math.max(waiting.lastSeen, now);
      return true;
    }
    const admitted = room.admitted.get(userId);
    return admitted !== undefined && admitted.until > now;
  }

  async leave(input: { saleId: string; userId: string }): Promise<boolean> {
    const { saleId, userId } = fastValidate('leave input', LeaveInput, input);
    const room = this.#rooms.get(saleId);
    if (!room) return false;
    const wasWaiting = room.waiting.delete(userId);
    const wasPriority = room.priority.delete(userId);
    const wasPreQueued = room.preQueue.delete(userId);
    const wasAdmitted = room.admitted.delete(userId);
    return wasWaiting || wasPriority || wasPreQueued || wasAdmitted;
  }

  async evictSilent(input: { saleId: string; silentSince: number; limit: number }): Promise<string[]> {
    const { saleId, silentSince, limit } = fastValidate('evict input', EvictInput, input);
    const room = this.#rooms.get(saleId);
    if (!room) return [];
    const evicted: string[] = [];
    for (const lane of [room.priority, room.waiting, room.preQueue]) {
      for (const [userId, waiting] of lane) {
        if (evicted.length >= limit) break;
        if (waiting.lastSeen < silentSince) evicted.push(userId);
      }
    }
    for (const userId of evicted) {
      room.priority.delete(userId);
      room.waiting.delete(userId);
      room.preQueue.delete(userId);
    }
    return evicted;
  }

  async admit(input: AdmitInput): Promise<AdmitResult> {
    const { saleId, max, maxActive, sessionMs, now } = fastValidate('admit input', AdmitSchema, input);
    const room = this.#room(saleId);
    dropLapsed(room, now);
    const slots = Math.max(0, Math.min(max, maxActive - room.admitted.size));
    const admitted: QueueEntry[] = [];
    for (const lane of [room.priority, room.waiting]) {
      for (const [userId, waiting] of lane) {
        if (admitted.length >= slots) break;
        const admission = { ticket: waiting.ticket, until: now + sessionMs };
        room.admitted.set(userId, admission);
        if (lane === room.waiting) room.servedUpTo = Math.max(room.servedUpTo, waiting.ticket);
        admitted.push(admittedEntry(userId, admission));
      }
      for (const entry of admitted) lane.delete(entry.userId);
    }
    return { admitted, servedUpTo: room.servedUpTo, active: room.admitted.size };
  }

  async admission(input: {
    saleId: string;
    userId: string;
    now: number;
  }): Promise<{ admitted: boolean; until?: number }> {
    const { saleId, userId, now } = fastValidate('admission input', UserInSale, input);
    const admitted = this.#rooms.get(saleId)?.admitted.get(userId);
    if (!admitted || admitted.until <= now) return { admitted: false };
    return { admitted: true, until: admitted.until };
  }

  async renew(input: { saleId: string; userId: string; sessionMs: number; now: number }): Promise<boolean> {
    const { saleId, userId, sessionMs, now } = fastValidate('renew input', RenewInput, input);
    const admitted = this.#rooms.get(saleId)?.admitted.get(userId);
    if (!admitted || admitted.until <= now) return false;
    admitted.until = Math.max(admitted.until, now + sessionMs);
    return true;
  }

  async readmit(input: ReadmitInput): Promise<ReadmitResult> {
    const { saleId, userId, until, maxActive, now } = fastValidate('readmit input', ReadmitSchema, input);
    const room = this.#room(saleId);
    const admitted = room.admitted.get(userId);
    if ((admitted && admitted.until > now) || waitingOf(room, userId)) return { outcome: 'PRESENT' };
    let active = 0;
    for (const other of room.admitted.values()) if (other.until > now) active += 1;
    if (active >= maxActive) return { outcome: 'FULL' };
    // the ticket is lost with the room: 0, as for a pre-queued place
    room.admitted.set(userId, { ticket: 0, until });
    return { outcome: 'READMITTED', until };
  }

  async rejoin(input: RejoinInput): Promise<RejoinResult> {
    const { saleId, userId, ticket, servedUpTo, lastTicket, issuedAt, now } = fastValidate(
      'rejoin input',
      RejoinSchema,
      input,
    );
    const room = this.#room(saleId);
    if (presentEntry(room, userId, now)) return { outcome: 'PRESENT' };
    // a pass this room issued as it is now: it knows what became of the place
    if (room.bornAt !== undefined && issuedAt >= room.bornAt) return { outcome: 'NOT_LOST' };
    room.bornAt ??= now;
    room.lastTicket = Math.max(room.lastTicket, ticket, lastTicket);
    // what the lost room had served, as the passes tell it: the room since reborn may have admitted
    // higher tickets of buyers who came back first, which says nothing of this one
    room.servedBefore = Math.max(room.servedBefore ?? 0, Math.min(servedUpTo, ticket - 1));
    room.servedUpTo = Math.max(room.servedUpTo, room.servedBefore);
    // random admission counts admissions in the serving counter, not tickets: nothing to compare
    if (room.method !== 'random' && ticket <= room.servedBefore) return { outcome: 'SERVED' };
    room.restored ??= new Set();
    if (ticket > (room.freshFrom ?? 0)) {
      // new joiners since the loss hold tickets of the forgotten counter: behind every restored one
      for (const [id, place] of room.waiting) {
        if (place.ticket > (room.freshFrom ?? 0) && !room.restored.has(id)) {
          room.lastTicket += 1;
          place.ticket = room.lastTicket;
        }
      }
      room.freshFrom = room.lastTicket;
    }
    room.restored.add(userId);
    room.admitted.delete(userId);
    room.waiting.set(userId, { ticket, lastSeen: now });
    // the waiting map's insertion order is ticket order (FIFO admission walks it)
    const ordered = [...room.waiting].sort((a, b) => a[1].ticket - b[1].ticket);
    room.waiting.clear();
    for (const [id, place] of ordered) room.waiting.set(id, place);
    return { outcome: 'REJOINED', ticket };
  }

  async stats(input: { saleId: string; now: number }): Promise<WaitingRoomStats> {
    const { saleId, now } = fastValidate('stats input', StatsInput, input);
    const room = this.#rooms.get(saleId);
    if (!room) return { waiting: 0, active: 0, servedUpTo: 0, lastTicket: 0 };
    let active = 0;
    for (const admitted of room.admitted.values()) if (admitted.until > now) active += 1;
    return { waiting: waitingCount(room), active, servedUpTo: room.servedUpTo, lastTicket: room.lastTicket };
  }

  #room(saleId: string): Room {
    let room = this.#rooms.get(saleId);
    if (!room) {
      room = {
        lastTicket: 0,
        servedUpTo: 0,
        waiting: new Map(),
        priority: new Map(),
        preQueue: new Map(),
        admitted: new Map(),
        method: 'fifo',
        methodSet: false,
        preQueueOn: false,
      };
      this.#rooms.set(saleId, room);
    }
    return room;
  }
}

function admittedEntry(userId: string, admitted: Admitted): QueueEntry {
  return { userId, ticket: admitted.ticket, state: 'ADMITTED', admittedUntil: admitted.until };
}

/** At most this many silent users are dropped by one `admitNext`, so one call stays short. */
const MAX_LAPSED_PER_CALL = 1_000;

/** ZRANK within one lane: users of the lane with a smaller ticket. */
function rankOf(lane: Map<string, Waiting>, ticket: number): number {
  let rank = 0;
  for (const waiting of lane.values()) if (waiting.ticket < ticket) rank += 1;
  return rank;
}

function waitingOf(room: Room, userId: string): Waiting | undefined {
  return room.waiting.get(userId) ?? room.priority.get(userId) ?? room.preQueue.get(userId);
}

function waitingCount(room: Room): number {
  return room.waiting.size + room.priority.size + room.preQueue.size;
}

function liveCount(room: Room, now: number): number {
  let live = 0;
  for (const admitted of room.admitted.values()) if (admitted.until > now) live += 1;
  return live;
}

/** The user's current place (a join counts as a heartbeat), or undefined when not in the room. */
function presentEntry(room: Room, userId: string, now: number): QueueEntry | undefined {
  const waiting = room.waiting.get(userId);
  const priority = room.priority.get(userId);
  const preQueued = room.preQueue.get(userId);
  const place = waiting ?? priority ?? preQueued;
  if (place) {
    place.lastSeen = Math.max(place.lastSeen, now);
    const entry: QueueEntry = { userId, ticket: place.ticket, state: 'WAITING' };
    if (priority) entry.lane = 'priority';
    if (preQueued) entry.lane = 'pre-queue';
    return entry;
  }
  const admitted = room.admitted.get(userId);
  return admitted && admitted.until > now ? admittedEntry(userId, admitted) : undefined;
}

function enqueue(
  room: Room,
  userId: string,
  now: number,
  lane: 'normal' | 'priority' | 'pre-queue',
): QueueEntry {
  if (lane === 'pre-queue') {
    room.preQueue.set(userId, { ticket: 0, lastSeen: now });
    return { userId, ticket: 0, state: 'WAITING', lane };
  }
  room.lastTicket += 1;
  const place = { ticket: room.lastTicket, lastSeen: now };
  if (lane === 'priority') {
    room.priority.set(userId, place);
    return { userId, ticket: place.ticket, state: 'WAITING', lane };
  }
  room.waiting.set(userId, place);
  return { userId, ticket: place.ticket, state: 'WAITING' };
}

/** A passthrough or bypass admission: a ticket for the record, straight into the admitted set. */
function admitAtOnce(room: Room, userId: string, until: number): QueueEntry {
  room.lastTicket += 1;
  const admission = { ticket: room.lastTicket, until };
  room.admitted.set(userId, admission);
  return admittedEntry(userId, admission);
}

function configOf(room: Room): QueueConfig {
  return { method: room.method, preQueue: room.preQueueOn, preQueued: room.preQueue.size };
}

function dropLapsed(room: Room, now: number): void {
  for (const [userId, admitted] of room.admitted) if (admitted.until <= now) room.admitted.delete(userId);
}

import { randomInt } from 'node:crypto';
import {
  type AdmitInput,
  type AdmitNextResult,
  type AdmitResult,
  type EnterResult,
  type OpenPreQueueResult,
  type PositionQuery,
  type QueueConfig,
  type QueueEntry,
  type QueueingStore,
  type QueuePosition,
  type ReadmitInput,
  type ReadmitResult,
  type RejoinInput,
  type RejoinResult,
  SaleId,
  UserId,
  type WaitingRoomStats,
} from '@seatrush/core';
import {
  AdmitNextInput,
  ConfigureQueueInput,
  EnterInput,
  EpochMs,
  QueueingMethod,
  validate,
} from '@seatrush/core/ports';
import type { SaleKeys } from './keys';
import { exec, RedisStore } from './options';
import { asList } from './replies';
import { Bool, Count, optional, PositiveInt, validateFields } from './validation';

const SALE_USER = { saleId: SaleId, userId: UserId };

/**
 * The waiting room on Redis. Tickets come from `INCR` and are the queue's sorted-set scores
 * (strict FCFS, no clock); `ZADD NX` makes joining idempotent; a serving counter gives every
 * waiting user their position as one subtraction; admission moves the first users into the
 * admitted set `sr:{sale}:admitted`, scored by expiry, which the reserve script reads.
 */
export class RedisWaitingRoomStore extends RedisStore implements QueueingStore {
  private keys(saleId: string): SaleKeys {
    return this.context.keys.sale(saleId);
  }

  /** Joins (or finds again) the user's place. */
  async join(input: { saleId: string; userId: string; now: number }): Promise<{
    entry: QueueEntry;
    alreadyJoined: boolean;
  }> {
    const i = validateFields('join', { ...SALE_USER, now: EpochMs }, input);
    const k = this.keys(i.saleId);
    const [state, ticket, until, already, lane] = await this.context.scripts.strings(
      'join-queue',
      [k.ticketSeq, k.queue, k.tickets, k.heartbeats, k.admitted, k.queueConfig],
      [i.userId, i.now],
    );
    const entry: QueueEntry =
      state === 'ADMITTED'
        ? { userId: i.userId, ticket: Number(ticket), state: 'ADMITTED', admittedUntil: Number(until) }
        : { userId: i.userId, ticket: Number(ticket), state: 'WAITING' };
    if (lane === 'priority' || lane === 'pre-queue') entry.lane = lane;
    return { entry, alreadyJoined: already === '1' };
  }

  /** The user's place: approximate from the serving counter, exact (ZRANK) when asked. */
  async position(input: PositionQuery): Promise<QueuePosition | null> {
    const i = validateFields('position', { ...SALE_USER, exact: optional(Bool), now: EpochMs }, input);
    const k = this.keys(i.saleId);
    const [waiting, admittedUntil, served, ticket, rank] = await exec(
      this.context.redis
        .multi()
        .zscore(k.queue, i.userId)
        .zscore(k.admitted, i.userId)
        .get(k.served)
        .hget(k.tickets, i.userId)
        .zrank(k.queue, i.userId),
      'position',
    );
    const servedUpTo = Number(served ?? 0);
    if (admittedUntil !== null && Number(admittedUntil) > i.now) {
      return {
        userId: i.userId,
        ticket: Number(ticket ?? 0),
        state: 'ADMITTED',
        admittedUntil: Number(admittedUntil),
        servedUpTo,
        ahead: 0,
        ...(i.exact ? { exactRank: 0 } : {}),
      };
    }
    if (waiting === null) return null;
    const score = Number(waiting);
    if (score >= LANE_BAND) {
      return { userId: i.userId, ticket: 0, state: 'WAITING', lane: 'pre-queue', servedUpTo, ahead: 0 };
    }
    if (score < 0) {
      // the priority lane sorts first, so ZRANK is the rank within the lane
      return {
        userId: i.userId,
        ticket: Number(ticket ?? 0),
        state: 'WAITING',
        lane: 'priority',
        servedUpTo,
        ahead: Number(rank),
        ...(i.exact ? { exactRank: Number(rank) } : {}),
      };
    }
    return {
      userId: i.userId,
      ticket: score,
      state: 'WAITING',
      servedUpTo,
      ahead: Math.max(0, score - servedUpTo - 1),
      ...(i.exact ? { exactRank: Number(rank) } : {}),
    };
  }

  /** Marks a waiting user alive; false when the user is not in the room. */
  async heartbeat(input: { saleId: string; userId: string; now: number }): Promise<boolean> {
    const i = validateFields('heartbeat', { ...SALE_USER, now: EpochMs }, input);
    const k = this.keys(i.saleId);
    return (
      (await this.context.scripts.run(
        'heartbeat',
        [k.queue, k.heartbeats, k.admitted],
        [i.userId, i.now],
      )) === 1
    );
  }

  /** Leaves the queue or gives the admission up at once. */
  async leave(input: { saleId: string; userId: string }): Promise<boolean> {
    const i = validateFields('leave', SALE_USER, input);
    const k = this.keys(i.saleId);
    return (
      (await this.context.scripts.run(
        'leave-queue',
        [k.queue, k.admitted, k.heartbeats, k.tickets],
        [i.userId],
      )) === 1
    );
  }

  /** Removes waiting users silent since before `silentSince`. */
  async evictSilent(input: { saleId: string; silentSince: number; limit: number }): Promise<string[]> {
    const i = validateFields(
      'evictSilent',
      { saleId: SaleId, silentSince: EpochMs, limit: PositiveInt },
      input,
    );
    const k = this.keys(i.saleId);
    return await this.context.scripts.strings(
      'evict-silent',
      [k.heartbeats, k.queue, k.tickets],
      [i.silentSince, i.limit],
    );
  }

  /** One admission tick (see `src/lua/admit.lua`). */
  async admit(input: AdmitInput): Promise<AdmitResult> {
    const i = validateFields(
      'admit',
      { saleId: SaleId, max: Count, maxActive: PositiveInt, sessionMs: PositiveInt, now: EpochMs },
      input,
    );
    const k = this.keys(i.saleId);
    const reply = await this.context.scripts.strings(
      'admit',
      [k.queue, k.tickets, k.heartbeats, k.admitted, k.served],
      [i.max, i.maxActive, i.sessionMs, i.now],
    );
    const admittedUntil = Number(reply[2]);
    const admitted: QueueEntry[] = [];
    for (let j = 3; j + 1 < reply.length; j += 2) {
      admitted.push({ userId: reply[j]!, ticket: Number(reply[j + 1]), state: 'ADMITTED', admittedUntil });
    }
    return { admitted, servedUpTo: Number(reply[0]), active: Number(reply[1]) };
  }

  /** Whether the user holds a live admission (by `now`), and until when. */
  async admission(input: {
    saleId: string;
    userId: string;
    now: number;
  }): Promise<{ admitted: boolean; until?: number }> {
    const i = validateFields('admission', { ...SALE_USER, now: EpochMs }, input);
    const until = await this.context.redis.zscore(this.keys(i.saleId).admitted, i.userId);
    return until !== null && Number(until) > i.now
      ? { admitted: true, until: Number(until) }
      : { admitted: false };
  }

  /** Renews a live admission to `now + sessionMs`. */
  async renew(input: { saleId: string; userId: string; sessionMs: number; now: number }): Promise<boolean> {
    const i = validateFields('renew', { ...SALE_USER, sessionMs: PositiveInt, now: EpochMs }, input);
    return (
      (await this.context.scripts.run(
        'renew-admission',
        [this.keys(i.saleId).admitted],
        [i.userId, i.sessionMs, i.now],
      )) === 1
    );
  }

  /**
   * Puts back a lost admission for a user whose admission token the caller verified, bounded by
   * `maxActive` (see `src/lua/readmit.lua`).
   */
  async readmit(input: ReadmitInput): Promise<ReadmitResult> {
    const i = validateFields(
      'readmit',
      { ...SALE_USER, until: EpochMs, maxActive: PositiveInt, now: EpochMs },
      input,
    );
    const k = this.keys(i.saleId);
    const [outcome, until] = await this.context.scripts.strings(
      'readmit',
      [k.queue, k.admitted],
      [i.userId, i.until, i.maxActive, i.now],
    );
    if (outcome === 'READMITTED') return { outcome, until: Number(until) };
    return outcome === 'FULL' ? { outcome: 'FULL' } : { outcome: 'PRESENT' };
  }

  /**
   * Puts back a waiting place the room lost, for a user whose queue pass the caller verified, in
   * one script (see `src/lua/rejoin.lua`).
   */
  async rejoin(input: RejoinInput): Promise<RejoinResult> {
    const i = validateFields(
      'rejoin',
      {
        ...SALE_USER,
        ticket: PositiveInt,
        servedUpTo: Count,
        lastTicket: Count,
        issuedAt: EpochMs,
        now: EpochMs,
      },
      input,
    );
    const k = this.keys(i.saleId);
    const [outcome, ticket] = await this.context.scripts.strings(
      'rejoin',
      [k.ticketSeq, k.queue, k.tickets, k.heartbeats, k.admitted, k.served, k.queueConfig, k.queueRestored],
      [i.userId, i.ticket, i.servedUpTo, i.lastTicket, i.issuedAt, i.now],
    );
    if (outcome === 'REJOINED') return { outcome, ticket: Number(ticket) };
    if (outcome === 'NOT_LOST' || outcome === 'SERVED') return { outcome };
    return { outcome: 'PRESENT' };
  }

  /** Joins under the room's method, pre-queue and lane (see `src/lua/enter.lua`). */
  async enter(input: EnterInput): Promise<EnterResult> {
    const i = validate('enter', EnterInput, input);
    const k = this.keys(i.saleId);
    const reply = await this.context.scripts.strings(
      'enter',
      [k.ticketSeq, k.queue, k.tickets, k.heartbeats, k.admitted, k.served, k.queueConfig],
      [
        i.userId,
        i.now,
        i.lane ?? 'normal',
        i.maxActive,
        i.sessionMs,
        i.admit === false ? '0' : '1',
        i.ticketFloor ?? 0,
        i.servedFloor ?? 0,
      ],
    );
    const [state, ticket, until, already, lane] = reply;
    if (state === 'REJECTED') return { outcome: 'REJECTED' };
    const entry: QueueEntry =
      state === 'ADMITTED'
        ? { userId: i.userId, ticket: Number(ticket), state: 'ADMITTED', admittedUntil: Number(until) }
        : { userId: i.userId, ticket: Number(ticket), state: 'WAITING' };
    if (lane === 'priority' || lane === 'pre-queue') entry.lane = lane;
    return { outcome: 'JOINED', entry, alreadyJoined: already === '1' };
  }

  /** One admission step under the room's method (see `src/lua/admit-next.lua`). */
  async admitNext(input: AdmitNextInput): Promise<AdmitNextResult> {
    const i = validate('admitNext', AdmitNextInput, input);
    const k = this.keys(i.saleId);
    const reply = await this.context.scripts.strings(
      'admit-next',
      [k.queue, k.tickets, k.heartbeats, k.admitted, k.served, k.queueConfig],
      [i.max, i.maxActive, i.sessionMs, i.now, i.silentSince ?? '', ...lcgSeeds()],
    );
    const admittedUntil = Number(reply[2]);
    const lapsedCount = Number(reply[4]);
    const lapsed = reply.slice(5, 5 + lapsedCount);
    const admitted: QueueEntry[] = [];
    for (let j = 5 + lapsedCount; j + 1 < reply.length; j += 2) {
      admitted.push({ userId: reply[j]!, ticket: Number(reply[j + 1]), state: 'ADMITTED', admittedUntil });
    }
    return {
      admitted,
      lapsed,
      servedUpTo: Number(reply[0]),
      active: Number(reply[1]),
      preQueueClosed: reply[3] === '1',
    };
  }

  /** Changes the method and/or the pre-queue switch atomically. */
  async configure(input: ConfigureQueueInput): Promise<QueueConfig> {
    const i = validate('configure', ConfigureQueueInput, input);
    const k = this.keys(i.saleId);
    const preQueue = i.preQueue === undefined ? '' : i.preQueue ? '1' : '0';
    // turning the pre-queue off opens it (one atomic shuffle): nobody in it is stranded without a ticket
    if (i.preQueue === false) await this.openPreQueue({ saleId: i.saleId, now: 0 });
    return configFrom(
      await this.context.scripts.run(
        'configure-queue',
        [k.queueConfig, k.queue],
        [i.method ?? '', preQueue, i.keepExistingMethod ? '1' : ''],
      ),
    );
  }

  /** The room's configuration (defaults when never configured). */
  async queueConfig(input: { saleId: string }): Promise<QueueConfig> {
    const i = validateFields('queueConfig', { saleId: SaleId }, input);
    const k = this.keys(i.saleId);
    return configFrom(
      await this.context.scripts.run('configure-queue', [k.queueConfig, k.queue], ['', '', '']),
    );
  }

  /** Shuffles the pre-queue into tickets in one script (see `src/lua/open-pre-queue.lua`). */
  async openPreQueue(input: { saleId: string; now: number }): Promise<OpenPreQueueResult> {
    const i = validateFields('openPreQueue', { saleId: SaleId, now: EpochMs }, input);
    const k = this.keys(i.saleId);
    const [opened, shuffled, first, last] = (
      await this.context.scripts.list(
        'open-pre-queue',
        [k.ticketSeq, k.queue, k.tickets, k.queueConfig],
        lcgSeeds(),
      )
    ).map(Number);
    return { opened: opened === 1, shuffled: shuffled!, firstTicket: first!, lastTicket: last! };
  }

  /** Waiting and active users, the serving counter and the last ticket. */
  async stats(input: { saleId: string; now: number }): Promise<WaitingRoomStats> {
    const i = validateFields('stats', { saleId: SaleId, now: EpochMs }, input);
    const k = this.keys(i.saleId);
    const [waiting, active, served, last] = await exec(
      this.context.redis
        .multi()
        .zcard(k.queue)
        .zcount(k.admitted, `(${i.now}`, '+inf')
        .get(k.served)
        .get(k.ticketSeq),
      'stats',
    );
    return {
      waiting: Number(waiting),
      active: Number(active),
      servedUpTo: Number(served ?? 0),
      lastTicket: Number(last ?? 0),
    };
  }
}

/** Queue scores at or above this are pre-queued users; below zero, the priority lane (see enter.lua). */
const LANE_BAND = 1e15;

/**
 * Two seeds for the scripts' combined LCG, from the CSPRNG: the scripts stay deterministic (safe
 * to replicate) and nobody can predict a shuffle or a random admission.
 */
function lcgSeeds(): [number, number] {
  return [randomInt(1, 2_147_483_563), randomInt(1, 2_147_483_399)];
}

function configFrom(reply: unknown): QueueConfig {
  const [method, preQueue, preQueued] = asList(reply, 'configure-queue').map(String);
  return {
    method: QueueingMethod.parse(method),
    preQueue: preQueue === '1',
    preQueued: Number(preQueued),
  };
}

import {
  type InventoryStore,
  SaleId,
  UserId,
  ValidationError,
  type WaitingListClaimOutcome,
  type WaitingListEntry,
  type WaitingListJoinOutcome,
  type WaitingListOffer,
  type WaitingListStore,
} from '@seatrush/core';
import {
  GroupFallback,
  validate,
  WaitingListClaim,
  WaitingListJoin,
  WaitingListOfferRequest,
  WaitingListState,
} from '@seatrush/core/ports';
import { contextOf, type InventoryContext } from './inventory-context';
import { holdFrom, pairs, publicHold } from './replies';
import { validateFields } from './validation';

/**
 * A sale's waiting list on Redis, over the same keys as its `RedisInventoryStore` (one hash
 * slot per sale): every operation is one Lua script, so an offer takes freed units and holds them
 * for a waiting party atomically, and exactly one of any number of racing claims wins.
 *
 * Keys: `sr:{sale}:wl:order` (zset userId → place of live entries), `sr:{sale}:wl:seq` and one
 * hash per entry, `sr:{sale}:wl:e:<userId>`.
 */
export class RedisWaitingListStore implements WaitingListStore {
  private readonly context: InventoryContext;

  /**
   * The waiting list over the state of `store`, a `RedisInventoryStore`; a ConfigurationError for
   * any other store.
   */
  constructor(store: InventoryStore) {
    this.context = contextOf(store);
  }

  private keys(saleId: string, userId?: string) {
    const k = this.context.keys.sale(saleId);
    return {
      ...k,
      order: `${k.base}wl:order`,
      seq: `${k.base}wl:seq`,
      entry: `${k.base}wl:e:${userId ?? ''}`,
    };
  }

  async join(input: WaitingListJoin): Promise<WaitingListJoinOutcome> {
    const j = validate('waiting list join', WaitingListJoin, input);
    const k = this.keys(j.saleId, j.userId);
    const reply = await this.context.scripts.list(
      'waiting-list-join',
      [k.meta, k.users, k.order, k.seq, k.entry],
      [j.userId, j.size, j.fallback, j.now],
    );
    if (reply[0] === 'REFUSED')
      return { ok: false, code: String(reply[1]) as 'SALE_NOT_WARM' | 'LIMIT_EXCEEDED' };
    return { ok: true, entry: entryFrom(pairs(reply, 1)), created: reply[0] === 'CREATED' };
  }

  async leave(input: { saleId: string; userId: string }): Promise<boolean> {
    const i = validateFields('waiting list leave', { saleId: SaleId, userId: UserId }, input);
    const k = this.keys(i.saleId, i.userId);
    return (await this.context.scripts.run('waiting-list-leave', [k.order, k.entry], [i.userId])) === 1;
  }

  async entry(saleId: string, userId: string): Promise<WaitingListEntry | null> {
    const i = validateFields('waiting list entry', { saleId: SaleId, userId: UserId }, { saleId, userId });
    const fields = await this.context.redis.hgetall(this.keys(i.saleId, i.userId).entry);
    return fields.userId ? entryFrom(fields) : null;
  }

  async entries(saleId: string): Promise<WaitingListEntry[]> {
    const { saleId: id } = validateFields('waiting list', { saleId: SaleId }, { saleId });
    const k = this.keys(id);
    const users = await this.context.redis.zrange(k.order, 0, -1);
    const entries = await Promise.all(users.map((userId) => this.entry(id, userId)));
    return entries.filter(
      (e): e is WaitingListEntry => e !== null && (e.state === 'WAITING' || e.state === 'OFFERED'),
    );
  }

  /** One ZCARD of the live entries' order (an entry garbage-collected away may still count). */
  async liveCount(saleId: string): Promise<number> {
    const { saleId: id } = validateFields('waiting list', { saleId: SaleId }, { saleId });
    return this.context.redis.zcard(this.keys(id).order);
  }

  async offer(request: WaitingListOfferRequest): Promise<WaitingListOffer[]> {
    const r = validate('waiting list offer', WaitingListOfferRequest, request);
    const k = this.keys(r.saleId);
    let reply: unknown[];
    try {
      reply = await this.context.scripts.list(
        'waiting-list-offer',
        [k.meta, k.stock, k.seats, k.users, k.idempotency, k.expiry, k.order],
        [
          k.base,
          r.saleId,
          r.now,
          r.claimMs,
          this.context.retentionMs,
          r.offerIds.length,
          ...r.offerIds,
          ...r.rows.map((row) => row.join(',')),
        ],
      );
    } catch (error) {
      if (/RESERVATION_EXISTS/.test(String((error as Error).message))) {
        throw new ValidationError('waiting list offer', [
          { path: 'offerIds', message: 'an offer id is a live hold already' },
        ]);
      }
      throw error;
    }
    return reply.map((raw) => {
      const [offerId, userId, quantity, seatIds, adjacent, deadline] = (raw as unknown[]).map(String) as [
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      return {
        offerId,
        userId,
        quantity: Number(quantity),
        seatIds: seatIds ? seatIds.split(',') : [],
        adjacent: adjacent === '1',
        deadline: Number(deadline),
      };
    });
  }

  async claim(input: WaitingListClaim): Promise<WaitingListClaimOutcome> {
    const c = validate('waiting list claim', WaitingListClaim, input);
    const k = this.keys(c.saleId, c.userId);
    const reply = await this.context.scripts.list(
      'waiting-list-claim',
      [k.order, k.expiry, k.entry, k.hold(c.offerId), k.outbox, k.meta],
      [c.userId, c.offerId, c.holdMs, c.now, this.context.retentionMs],
    );
    if (reply[0] === 'OK') return { ok: true, hold: publicHold(holdFrom(pairs(reply, 1))) };
    return {
      ok: false,
      code: String(reply[1]) as 'SALE_NOT_WARM' | 'NOT_OFFERED' | 'ALREADY_CLAIMED' | 'OFFER_EXPIRED',
    };
  }
}

/** An entry as the scripts store it. */
function entryFrom(fields: Record<string, string>): WaitingListEntry {
  const entry: WaitingListEntry = {
    userId: fields.userId ?? '',
    size: Number(fields.size),
    fallback: GroupFallback.parse(fields.fallback),
    seq: Number(fields.seq),
    joinedAt: Number(fields.joinedAt),
    state: WaitingListState.parse(fields.state),
  };
  if (fields.offerId) entry.offerId = fields.offerId;
  if (fields.deadline) entry.deadline = Number(fields.deadline);
  if (fields.offerId) entry.seatIds = fields.seatIds ? fields.seatIds.split(',') : [];
  return entry;
}

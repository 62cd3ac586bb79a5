import { z } from 'zod';
import { SaleId, UserId } from '../common/ids';
import { validate } from '../common/validate';
import { pickGroupSeats } from '../ports/group-reservation';
import type { HoldRecord } from '../ports/inventory-store';
import {
  WaitingListClaim,
  type WaitingListClaimOutcome,
  type WaitingListEntry,
  WaitingListJoin,
  type WaitingListJoinOutcome,
  type WaitingListOffer,
  WaitingListOfferRequest,
  type WaitingListStore,
} from '../ports/waiting-list-store';
import { fastValidate } from './fast-validate';
import { assertReservationIdFree, copyHold, type MemoryInventoryState, writeHold } from './inventory-state';

const UserRef = z.object({ saleId: SaleId, userId: UserId });

/**
 * The sale's waiting list over this same state: offers take freed units out of `available` and
 * hold them for waiting parties in one atomic step (no await between check and change).
 */
export function memoryWaitingListStore(state: MemoryInventoryState): WaitingListStore {
  const sales = state.sales;
  const lists = state.waitingLists;
  const enqueue = (saleId: string, reservationId: string, at: number) =>
    state.enqueue(saleId, reservationId, at);
  const listOf = (saleId: string) => {
    let list = lists.get(saleId);
    if (!list) {
      list = { seq: 0, live: 0, entries: new Map() };
      lists.set(saleId, list);
    }
    return list;
  };
  const live = (entry: WaitingListEntry | undefined) =>
    entry !== undefined && (entry.state === 'WAITING' || entry.state === 'OFFERED');
  const ordered = (saleId: string) =>
    [...(lists.get(saleId)?.entries.values() ?? [])].filter(live).sort((a, b) => a.seq - b.seq);
  return {
    async join(input): Promise<WaitingListJoinOutcome> {
      const j = validate('waiting list join', WaitingListJoin, input);
      const sale = sales.get(j.saleId);
      if (!sale) return { ok: false, code: 'SALE_NOT_WARM' };
      const list = listOf(j.saleId);
      const existing = list.entries.get(j.userId);
      if (existing && live(existing)) return { ok: true, entry: copyEntry(existing), created: false };
      if ((sale.unitsPerUser.get(j.userId) ?? 0) + j.size > sale.ticketsPerUser) {
        return { ok: false, code: 'LIMIT_EXCEEDED' };
      }
      list.seq += 1;
      const entry: WaitingListEntry = {
        userId: j.userId,
        size: j.size,
        fallback: j.fallback,
        seq: list.seq,
        joinedAt: j.now,
        state: 'WAITING',
      };
      list.entries.set(j.userId, entry);
      list.live += 1;
      return { ok: true, entry: copyEntry(entry), created: true };
    },
    async leave(input) {
      const { saleId, userId } = fastValidate('waiting list leave', UserRef, input);
      const list = lists.get(saleId);
      if (list?.entries.get(userId)?.state !== 'WAITING') return false;
      list.entries.delete(userId);
      list.live -= 1;
      return true;
    },
    async entry(saleId, userId) {
      fastValidate('waiting list entry', UserRef, { saleId, userId });
      const entry = lists.get(saleId)?.entries.get(userId);
      return entry ? copyEntry(entry) : null;
    },
    async entries(saleId) {
      fastValidate('sale id', SaleId, saleId);
      return ordered(saleId).map(copyEntry);
    },
    async liveCount(saleId) {
      // a list exists only for a sale id a join validated: only another one needs checking
      const list = lists.get(saleId);
      if (list) return list.live;
      fastValidate('sale id', SaleId, saleId);
      return 0;
    },
    async offer(request): Promise<WaitingListOffer[]> {
      const r = validate('waiting list offer', WaitingListOfferRequest, request);
      const sale = sales.get(r.saleId);
      if (!sale) return [];
      const offers: WaitingListOffer[] = [];
      const list = listOf(r.saleId);
      for (const entry of ordered(r.saleId)) {
        if (entry.state === 'OFFERED' && (entry.deadline ?? 0) <= r.now) {
          entry.state = 'LAPSED';
          list.live -= 1;
        }
      }
      const isFree = (id: string) => sale.seats.get(id)?.state === 'AVAILABLE';
      for (const entry of ordered(r.saleId)) {
        if (offers.length === r.offerIds.length || sale.available === 0) break;
        if (entry.state !== 'WAITING' || sale.available < entry.size) continue;
        if ((sale.unitsPerUser.get(entry.userId) ?? 0) + entry.size > sale.ticketsPerUser) continue;
        let seatIds: string[] = [];
        let adjacent = false;
        if (sale.seats.size > 0) {
          const picked = pickGroupSeats(r.rows, isFree, entry.size, entry.fallback);
          if (!picked) continue;
          ({ seatIds, adjacent } = picked);
        }
        const offerId = r.offerIds[offers.length]!;
        assertReservationIdFree(sale, offerId);
        const hold: HoldRecord = {
          reservationId: offerId,
          saleId: r.saleId,
          userId: entry.userId,
          idempotencyKey: `wl.${offerId}`,
          quantity: entry.size,
          seatIds,
          status: 'HELD',
          heldAt: r.now,
          expiresAt: r.now + r.claimMs,
        };
        sale.available -= entry.size;
        writeHold(sale, hold, 'waiting-list');
        Object.assign(entry, { state: 'OFFERED', offerId, deadline: hold.expiresAt, seatIds });
        offers.push({
          offerId,
          userId: entry.userId,
          quantity: entry.size,
          seatIds,
          adjacent,
          deadline: hold.expiresAt,
        });
      }
      return offers;
    },
    async claim(input): Promise<WaitingListClaimOutcome> {
      const c = fastValidate('waiting list claim', WaitingListClaim, input);
      if (!sales.has(c.saleId)) return { ok: false, code: 'SALE_NOT_WARM' };
      const entry = lists.get(c.saleId)?.entries.get(c.userId);
      const hold = sales.get(c.saleId)?.holds.get(c.offerId);
      if (!entry || entry.offerId !== c.offerId || !hold) return { ok: false, code: 'NOT_OFFERED' };
      if (entry.state === 'CLAIMED') return { ok: false, code: 'ALREADY_CLAIMED' };
      if (entry.state !== 'OFFERED' || hold.status !== 'HELD' || (entry.deadline ?? 0) <= c.now) {
        return { ok: false, code: 'OFFER_EXPIRED' };
      }
      entry.state = 'CLAIMED';
      listOf(c.saleId).live -= 1;
      hold.expiresAt = c.now + c.holdMs;
      enqueue(c.saleId, hold.reservationId, c.now);
      return { ok: true, hold: copyHold(hold) };
    },
  };
}

function copyEntry(entry: WaitingListEntry): WaitingListEntry {
  return entry.seatIds ? { ...entry, seatIds: [...entry.seatIds] } : { ...entry };
}

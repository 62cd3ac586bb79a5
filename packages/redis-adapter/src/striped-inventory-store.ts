import { randomBytes } from 'node:crypto';
import {
  type CompensateOutcome,
  ConfigurationError,
  type GroupReserveOutcome,
  type GroupReserveRequest,
  type HoldChangeOutcome,
  type HoldExtension,
  type HoldOwnerChange,
  type HoldRecord,
  InfrastructureError,
  type InventoryCounts,
  type InventoryStore,
  type InventoryTruth,
  ReservationId,
  type ReserveOutcome,
  type ReserveRefusal,
  SaleId,
  type SeatState,
  UnknownSaleError,
  type UnrelayedHold,
  ValidationError,
} from '@seatrush/core';
import {
  checkSnapshotRules,
  EpochMs,
  InventorySnapshot,
  ReserveRequest,
  repairedConfirmed,
  reserveFingerprint,
  validate,
} from '@seatrush/core/ports';
import { type HoldCall, holdArgs, newHold, replayedHold } from './hold-calls';
import { contextOf } from './inventory-context';
import { RedisInventoryStore, type RedisInventoryStoreOptions, validateTruth } from './inventory-store';
import { KeySpace, type SaleKeys } from './keys';
import { exec, type StoreContext, storeContext } from './options';
import { asList, holdFrom, publicHold } from './replies';
import type { RedisClient } from './scripts';
import { homeStripe, stripeTags } from './stripe-layout';
import { RedisStripedInventorySteps } from './striped-inventory-steps';
import { RedisStripedWaitingListStore } from './striped-waiting-list';
import { anything, optional, PositiveInt, validateFields } from './validation';

/** Options of {@link RedisStripedInventoryStore}. */
export interface RedisStripedInventoryStoreOptions extends RedisInventoryStoreOptions {
  /**
   * How many stripes (1 to 64) a general-admission sale loaded by this store spreads its stock
   * over, each in a hash slot of its own (on a Redis Cluster, on different masters). 1: the sale
   * is stored exactly as {@link RedisInventoryStore} stores it. Default 1.
   */
  stripes?: number;
}

/** Where a striped sale lives: each stripe's tag and keys, stripe 0 first (the sale's own keys). */
interface Layout {
  tags: string[];
  keys: SaleKeys[];
  initialStock: number;
}

/** How long a sale's layout is trusted before it is read again (a reload elsewhere may change it). */
const LAYOUT_TTL_MS = 1_000;
/** Reservation id → stripe of the holds this process made, so follow-ups go straight there. */
const REMEMBERED_HOLDS = 50_000;
/** A repair's freeze of transfers outlives a crashed repairer by at most this. */
const FREEZE_MS = 10_000;
/** How often a reserve counts the stripes again before it answers SOLD_OUT under contention. */
const MAX_RECOUNTS = 20;
/** How many times a reserve tries its home stripe at most (each try after units came in). */
const MAX_ROUNDS = 200;
/** stripe-take's answer while a repair freezes the giver. */
const FROZEN = -1;
/** How long a rebuild's claim lives at most (as RedisInventoryStore's). */
const RESTORE_CLAIM_MS = 30_000;

/**
 * A key space whose sale keys are one stripe's: `sale(saleId)` answers the keys tagged with the
 * stripe's tag. It lets a {@link RedisInventoryStore} run every per-hold script (extend, release,
 * confirm, compensate, expire, getHold) unchanged on one stripe.
 */
class StripeKeySpace extends KeySpace {
  constructor(
    keyPrefix: string,
    private readonly stripe: number,
    private readonly tagsOf: (saleId: string) => string[] | undefined,
  ) {
    super(keyPrefix);
  }

  override sale(saleId: string): SaleKeys {
    const tag = this.tagsOf(saleId)?.[this.stripe];
    if (tag === undefined) throw new InfrastructureError(`sale ${saleId} has no stripe ${this.stripe}`);
    return super.sale(tag);
  }
}

/**
 * Striped stock: a general-admission sale's units spread over K stripes, each in its own hash slot
 * and so, on a Redis Cluster, on its own master, with its own Lua-atomic stock. One hot sale then
 * sells at the speed of K masters instead of one.
 *
 * - **A user's home stripe** (a hash of the user id) holds their per-user count, their idempotency
 *   keys and their holds; a reserve is ONE reserve.lua call on it, so the tickets-per-user limit
 *   and replays stay exact. Idempotency keys are therefore scoped per user: a key already used by
 *   ANOTHER user is a new request here (an unstriped store refuses it IDEMPOTENCY_KEY_REUSED; the
 *   reservation repository's unique (sale, key) still refuses it downstream).
 * - **Borrowing.** A home stripe that answers SOLD_OUT takes units from the others, each transfer
 *   two atomic steps (stripe-take.lua: off the giver's stock into its `transit` record;
 *   stripe-credit.lua: onto the home stock, once per transfer id) and retries. A unit is always in
 *   one stock, one hold or in flight, so borrowing never oversells; a transfer cut short by a
 *   crash is finished by the next `counts` or `repair` (both settle every transfer in flight).
 * - **Warm-up, counts, expiry, the outbox and repair** work per stripe and sum; `repair` freezes
 *   transfers while it counts. `counts` is exact when no reserve runs; under load it reads the
 *   stripes one after the other.
 * - **Per stripe, not per sale:** the outbox gate (`relayLagLimitMs`) looks at the home stripe's
 *   outbox; admission is read from the sale's admitted set just before the script (one ZSCORE, on
 *   stripe 0's slot) for users whose home is another stripe.
 * - **Not striped:** sales with seats (and so group reservations) use stripe 0 only, as
 *   {@link RedisInventoryStore} does. The waiting list serves unstriped sales and refuses joins
 *   to a striped one (see {@link RedisStripedWaitingListStore}). The lock strategy's `steps()` hold on
 *   stripe 0 and borrow into it from the others.
 *
 * A sale loaded with one stripe (or any seated sale) is stored, and served, exactly as
 * {@link RedisInventoryStore} serves it.
 */
export class RedisStripedInventoryStore implements InventoryStore {
  /** Stripe 0, which is also how an unstriped sale is served. */
  readonly single: RedisInventoryStore;
  private readonly context: StoreContext;
  private readonly stripes: number;
  private readonly expiryTimers: boolean;
  private readonly perStripe: RedisInventoryStore[] = [];
  private readonly storeOptions: RedisInventoryStoreOptions;
  /** saleId → its stripes' tags (kept: the per-stripe stores read it synchronously). */
  private readonly tags = new Map<string, string[]>();
  private readonly layouts = new Map<string, { layout: Layout; readAt: number }>();
  private readonly holdStripes = new Map<string, number>();
  private readonly relayedBatches = new Map<string, { ids: string[]; sent?: Promise<unknown> }>();

  constructor(
    private readonly redis: RedisClient,
    options: RedisStripedInventoryStoreOptions = {},
  ) {
    const { stripes, ...rest } = validateFields(
      'Redis striped inventory store options',
      { stripes: optional(PositiveInt), expiryTimers: anything, keyPrefix: anything, retentionMs: anything },
      options,
    );
    if (stripes !== undefined && stripes > 64) {
      throw new ConfigurationError('stripes must be at most 64');
    }
    this.stripes = stripes ?? 1;
    this.storeOptions = rest as RedisInventoryStoreOptions;
    this.single = new RedisInventoryStore(redis, this.storeOptions);
    this.context = storeContext(redis, {
      ...(this.storeOptions.keyPrefix === undefined ? {} : { keyPrefix: this.storeOptions.keyPrefix }),
      ...(this.storeOptions.retentionMs === undefined ? {} : { retentionMs: this.storeOptions.retentionMs }),
    });
    this.expiryTimers = contextOf(this.single).expiryTimers;
  }

  /**
   * The lock strategy's building blocks: its holds on stripe 0, which borrows from the other
   * stripes when its stock runs short (see {@link RedisStripedInventorySteps}).
   */
  steps(): RedisStripedInventorySteps {
    return new RedisStripedInventorySteps(this.single.steps(), {
      borrowIntoStripeZero: (saleId, units) => this.borrowInto(saleId, 0, units),
      freeUnits: async (saleId) => {
        const layout = await this.layout(saleId);
        if (!layout) return 0;
        return (await this.readStripes(layout)).reduce((n, s) => n + s.available + s.inFlight, 0);
      },
    });
  }

  /**
   * Moves at least `units` (or what is left) from the other stripes into stripe `to`, giver after
   * giver; answers the units moved, 0 when the others had none (or the sale has one stripe).
   */
  private async borrowInto(saleId: string, to: number, units: number): Promise<number> {
    const layout = await this.layout(saleId);
    if (!layout || layout.keys.length === 1) return 0;
    let moved = 0;
    for (let giver = 0; giver < layout.keys.length && moved < units; giver++) {
      if (giver === to) continue;
      for (let waited = 0; waited < FREEZE_MS; waited += 10) {
        const taken = await this.transfer(layout, giver, to, units - moved, Date.now());
        if (taken !== FROZEN) {
          moved += taken;
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    return moved;
  }

  /** The waiting list of unstriped sales; a striped sale refuses joins (see the class). */
  waitingList(): RedisStripedWaitingListStore {
    return new RedisStripedWaitingListStore(this.single.waitingList(), async (saleId) => {
      const layout = SaleId.safeParse(saleId).success ? await this.layout(saleId) : null;
      return (layout?.keys.length ?? 1) > 1;
    });
  }

  /** A store whose sale keys are stripe `i`'s. */
  private stripe(i: number): RedisInventoryStore {
    let store = this.perStripe[i];
    if (!store) {
      store = new RedisInventoryStore(this.redis, this.storeOptions);
      // the stripe's scripts are the unstriped ones, over the stripe's keys
      contextOf(store).keys = new StripeKeySpace(this.storeOptions.keyPrefix ?? '', i, (saleId) =>
        this.tags.get(saleId),
      );
      this.perStripe[i] = store;
    }
    return store;
  }

  /** `…sr:{saleId}:stripes`: hash initialStock, tags (comma-separated) of a striped sale. */
  private layoutKey(saleId: string): string {
    return `${this.context.keys.sale(saleId).base}stripes`;
  }

  /**
   * The sale's layout: null while the sale is not warm, one stripe for an unstriped sale. Read
   * once a second at most (a reload by another instance may change it; a stripe that is not warm
   * makes the next call read it again).
   */
  private async layout(saleId: string): Promise<Layout | null> {
    const cached = this.layouts.get(saleId);
    if (cached && Date.now() - cached.readAt < LAYOUT_TTL_MS) return cached.layout;
    const [warm, record] = (await exec(
      this.context.redis
        .multi()
        .hget(this.context.keys.sale(saleId).meta, 'warm')
        .hmget(this.layoutKey(saleId), 'initialStock', 'tags'),
      'layout',
    )) as [string | null, Array<string | null>];
    if (warm !== '1') {
      this.layouts.delete(saleId);
      return null;
    }
    const tags = record[1] ? record[1].split(',') : [saleId];
    return this.remember(saleId, tags, Number(record[0] ?? 0));
  }

  private remember(saleId: string, tags: string[], initialStock: number): Layout {
    this.tags.set(saleId, tags);
    const layout = { tags, keys: tags.map((tag) => this.context.keys.sale(tag)), initialStock };
    this.layouts.set(saleId, { layout, readAt: Date.now() });
    return layout;
  }

  private rememberHold(reservationId: string, stripe: number): void {
    if (this.holdStripes.size >= REMEMBERED_HOLDS) {
      const oldest = this.holdStripes.keys().next().value;
      if (oldest !== undefined) this.holdStripes.delete(oldest);
    }
    this.holdStripes.set(reservationId, stripe);
  }

  /**
   * Writes the sale. A general-admission sale is split over the store's stripes: the free units
   * evenly, each user's units and holds in flight on their home stripe, the confirmed units on
   * stripe 0; the layout is written first and stripe 0 (which makes the sale warm) last. A sale
   * with seats, or a store of one stripe, is written as {@link RedisInventoryStore} writes it.
   * A reload keeps the stripes' tags when their number is unchanged, so their outboxes are kept.
   */
  async load(snapshot: InventorySnapshot): Promise<void> {
    const s = validate('inventory snapshot', InventorySnapshot, snapshot);
    checkSnapshotRules(s);
    const tags = await this.planTags(s);
    await this.writeStriped(s, tags);
  }

  /**
   * The rebuild's load: writes the sale only while it is not warm (some stripe lost, see
   * {@link isWarm}), once among racing callers (a claim, as {@link RedisInventoryStore.restore}'s).
   * The whole sale is written again from the snapshot, the stripes that survived too: the truth
   * cannot tell which of their holds it knows, so their records become another load's (not found;
   * the worker holds again from its event what the truth did not know). Stripe 0's `warm` goes
   * first, so no reserve starts on the sale meanwhile, and every stripe is marked rebuilt in the
   * transaction that loads it ({@link wasRebuilt}).
   */
  async restore(snapshot: InventorySnapshot): Promise<'RESTORED' | 'ALREADY_WARM'> {
    const s = validate('inventory snapshot', InventorySnapshot, snapshot);
    checkSnapshotRules(s);
    const primary = this.context.keys.sale(s.saleId);
    const { redis } = this.context;
    const claim = `${primary.base}rebuild`;
    const token = `${process.pid}:${randomBytes(6).toString('hex')}`;
    for (let attempt = 0; ; attempt++) {
      if (await this.isWarm(s.saleId)) return 'ALREADY_WARM';
      if ((await redis.set(claim, token, 'PX', RESTORE_CLAIM_MS, 'NX')) === 'OK') break;
      if (attempt >= RESTORE_CLAIM_MS / 50) {
        throw new InfrastructureError(`the rebuild of sale ${s.saleId} is claimed by another caller`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    try {
      if (await this.isWarm(s.saleId)) return 'ALREADY_WARM';
      // a stripe that survived keeps serving until its sale is cold: stripe 0 is the sale's switch
      if ((await redis.exists(primary.meta)) === 1) await redis.hset(primary.meta, 'warm', 0);
      this.layouts.delete(s.saleId);
      await this.writeStriped(s, await this.planTags(s), { rebuilt: true });
      return 'RESTORED';
    } finally {
      if ((await redis.get(claim)) === token) await redis.del(claim);
    }
  }

  /** Whether the sale was loaded by {@link restore} (stripe 0, loaded last, carries the mark). */
  async wasRebuilt(saleId: string): Promise<boolean> {
    return this.single.wasRebuilt(saleId);
  }

  /** The tags a (re)load uses: the stored ones when their number is unchanged. */
  private async planTags(s: InventorySnapshot): Promise<string[]> {
    const wanted = s.seatIds.length > 0 ? 1 : this.stripes;
    const stored = await this.context.redis.hget(this.layoutKey(s.saleId), 'tags');
    const old = stored ? stored.split(',') : [s.saleId];
    if (old.length === wanted) return old;
    return stripeTags(this.redis, s.saleId, wanted);
  }

  private async writeStriped(
    s: InventorySnapshot,
    tags: string[],
    mark: { rebuilt?: boolean } = {},
  ): Promise<void> {
    const { redis } = this.context;
    const layoutKey = this.layoutKey(s.saleId);
    const stored = await redis.hget(layoutKey, 'tags');
    // stripes of an earlier layout that this one drops go cold, with no transfer in flight
    const dropped = (stored ? stored.split(',') : []).filter((tag) => !tags.includes(tag));
    await Promise.all(
      [...dropped, ...tags].map((tag) => {
        const k = this.context.keys.sale(tag);
        return tag === s.saleId || !dropped.includes(tag)
          ? redis.del(`${k.base}transit`)
          : redis.del(k.meta, k.stock, k.users, k.idempotency, k.expiry, `${k.base}transit`);
      }),
    );
    if (tags.length === 1) {
      await redis.del(layoutKey);
      this.tags.set(s.saleId, tags);
      this.layouts.delete(s.saleId);
      await this.single.load(s, mark);
      return;
    }
    await redis.hset(layoutKey, { initialStock: s.initialStock, tags: tags.join(',') });
    this.tags.set(s.saleId, tags);
    this.layouts.delete(s.saleId);
    const parts = splitSnapshot(s, tags.length);
    // stripe 0 last: its `warm` makes the sale warm
    for (let i = tags.length - 1; i >= 0; i--) await this.stripe(i).load(parts[i]!, mark);
    this.remember(s.saleId, tags, s.initialStock);
    // reserves may already run on the warm sale: they move units between free and held, so the
    // check is of what they keep, every unit counted once
    const counts = await this.counts(s.saleId);
    if (
      counts.initialStock !== s.initialStock ||
      counts.available + counts.held + counts.confirmed !== s.initialStock
    ) {
      throw new InfrastructureError(`warm-up of sale ${s.saleId} did not verify: ${JSON.stringify(counts)}`);
    }
  }

  /**
   * Whether the sale is loaded: stripe 0 (written last) is warm, and so is every other stripe of
   * its layout. A stripe lost on its own (its Cluster master's keys gone, the others kept) makes
   * the sale cold, so the rebuild takes it up instead of leaving its users SALE_NOT_WARM for good.
   */
  async isWarm(saleId: string): Promise<boolean> {
    const { saleId: id } = validateFields('sale', { saleId: SaleId }, { saleId });
    const [warm, tags] = (await exec(
      this.context.redis
        .multi()
        .hget(this.context.keys.sale(id).meta, 'warm')
        .hget(this.layoutKey(id), 'tags'),
      'isWarm',
    )) as [string | null, string | null];
    if (warm !== '1') return false;
    if (!tags) return true;
    const others = tags.split(',').filter((tag) => tag !== id);
    const states = await Promise.all(
      others.map((tag) => this.context.redis.hget(this.context.keys.sale(tag).meta, 'warm')),
    );
    return states.every((state) => state === '1');
  }

  /**
   * The hot path: ONE reserve.lua call on the user's home stripe; when that stripe is sold out,
   * borrows from the others and tries again. A sale of one stripe is served by stripe 0 alone.
   */
  async reserve(request: ReserveRequest): Promise<ReserveOutcome> {
    const r = validate('reserve request', ReserveRequest, request);
    const layout = r.selection.kind === 'quantity' ? await this.layout(r.saleId) : null;
    if (!layout || layout.keys.length === 1) return this.single.reserve(r);
    const stripes = layout.keys.length;
    const home = homeStripe(r.userId, stripes);
    const call: HoldCall = {
      reservationId: r.reservationId,
      userId: r.userId,
      idempotencyKey: r.idempotencyKey,
      fingerprint: reserveFingerprint(r),
      mode: 'q',
      requireAdmission: r.requireAdmission,
      admission: await this.admission(r, home),
      withTimer: this.expiryTimers,
      units: r.selection.kind === 'quantity' ? r.selection.quantity : 0,
      holdMs: r.holdMs,
      now: r.now,
      retentionMs: this.context.retentionMs,
      relayLagLimitMs: r.relayLagLimitMs ?? 0,
    };
    const args = holdArgs(call);
    // givers in a ring from a random start, so borrowers spread over the stripes
    const start = Math.floor(Math.random() * (stripes - 1));
    const givers = Array.from(
      { length: stripes - 1 },
      (_, i) => (home + 1 + ((start + i) % (stripes - 1))) % stripes,
    );
    let giver = 0;
    let misses = 0;
    let recounts = 0;
    // bounded: under extreme contention borrowed units can keep going to other borrowers first
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const reply = await this.context.scripts.list('reserve', [layout.keys[home]!.meta], args);
      if (reply[0] === 'HELD') {
        this.rememberHold(r.reservationId, home);
        return { ok: true, code: 'HELD', hold: newHold(r.saleId, call, []), replayed: false };
      }
      if (reply[0] === 'REPLAYED') {
        return { ok: true, code: 'HELD', hold: replayedHold(reply).hold, replayed: true };
      }
      if (reply[0] === 'ERROR') {
        throw new ValidationError('reserve request', [
          { path: 'reservationId', message: `reservation ${r.reservationId} exists already` },
        ]);
      }
      if (reply[1] === 'SALE_NOT_WARM') this.layouts.delete(r.saleId);
      if (reply[1] !== 'SOLD_OUT') return refusal(reply);
      // sold out at home: borrow from the next giver that has units (each giver is asked until
      // it has none, and every giver is asked twice before the sale is called sold out)
      let moved = 0;
      let frozenSince: number | undefined;
      while (moved <= 0 && misses < 2 * givers.length) {
        moved = await this.transfer(layout, givers[giver % givers.length]!, home, call.units, r.now);
        if (moved === FROZEN) {
          // a repair is counting the stripes: wait for it rather than answer SOLD_OUT
          frozenSince ??= Date.now();
          if (Date.now() - frozenSince > FREEZE_MS) break;
          await new Promise((resolve) => setTimeout(resolve, 10));
        } else if (moved === 0) {
          misses += 1;
          giver += 1;
        }
      }
      if (moved > 0) continue;
      // every giver was asked twice and had nothing: units may be in flight between other
      // stripes (a borrower's take is done, its credit not yet). SOLD_OUT only when the stripes'
      // free units and those in flight are fewer than asked; else ask again.
      const free = (await this.readStripes(layout)).reduce((n, s) => n + s.available + s.inFlight, 0);
      if (free < call.units || ++recounts > MAX_RECOUNTS) return { ok: false, code: 'SOLD_OUT' };
      misses = 0;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    return { ok: false, code: 'SOLD_OUT' };
  }

  /**
   * The admission letter of a reserve on `home`: stripe 0 checks the admitted set in its script
   * (it is in stripe 0's slot); for another stripe it is read here, just before the script.
   */
  private async admission(r: ReserveRequest, home: number): Promise<'0' | '1' | '2'> {
    if (!r.requireAdmission) return '0';
    if (home === 0) return '1';
    const until = await this.context.redis.zscore(this.context.keys.sale(r.saleId).admitted, r.userId);
    return until !== null && Number(until) > r.now ? '0' : '2';
  }

  /**
   * Moves up to `want` units (or half the giver's) from stripe `from` to stripe `to`: taken and
   * recorded in flight on the giver, credited once on the receiver, then the record removed.
   * Answers the units moved, or FROZEN while a repair counts the stripes.
   */
  private async transfer(
    layout: Layout,
    from: number,
    to: number,
    want: number,
    now: number,
  ): Promise<number> {
    const id = `${Date.now().toString(36)}.${randomBytes(6).toString('hex')}`;
    const taken = Number(
      await this.context.scripts.run('stripe-take', [layout.keys[from]!.meta], [id, to, want, now]),
    );
    if (taken <= 0) return taken;
    await this.settle(layout, from, id, `${to}:${taken}`);
    return taken;
  }

  /** Finishes one transfer in flight (credit once, then drop the giver's record). */
  private async settle(layout: Layout, from: number, id: string, entry: string): Promise<void> {
    const [to, units] = entry.split(':').map(Number) as [number, number];
    const receiver = layout.keys[to];
    if (!receiver) return;
    const credited = Number(
      await this.context.scripts.run('stripe-credit', [receiver.meta], [id, units, this.context.retentionMs]),
    );
    if (credited >= 0) await this.context.redis.hdel(`${layout.keys[from]!.base}transit`, id);
  }

  /** Finishes every transfer in flight of the sale (a crashed borrower's among them). */
  private async settleAll(layout: Layout): Promise<void> {
    await Promise.all(
      layout.keys.map(async (k, from) => {
        const transit = await this.context.redis.hgetall(`${k.base}transit`);
        for (const [id, entry] of Object.entries(transit)) await this.settle(layout, from, id, entry);
      }),
    );
  }

  /** The stripe holding a reservation: the one that made it here, else the first that has it. */
  private async stripeOf(layout: Layout, reservationId: string, first?: number): Promise<number | undefined> {
    const known = this.holdStripes.get(reservationId);
    if (known !== undefined && known < layout.keys.length) return known;
    const found = await Promise.all(
      layout.keys.map((k, i) =>
        i === first ? Promise.resolve(0) : this.context.redis.exists(k.hold(reservationId)),
      ),
    );
    const stripe = found.findIndex((n) => n > 0);
    return stripe >= 0 ? stripe : undefined;
  }

  /**
   * An owner-only change: on the hold's stripe (remembered, else the user's home); a hold not
   * found there is looked for on the other stripes, so another user's hold answers NOT_OWNER.
   */
  private async ownerChange(
    input: { saleId: string; reservationId: string; userId: string },
    change: (store: RedisInventoryStore) => Promise<HoldChangeOutcome>,
  ): Promise<HoldChangeOutcome> {
    const i = validateFields(
      'hold change',
      { saleId: SaleId, reservationId: ReservationId, userId: anything },
      input,
    );
    const layout = await this.layout(i.saleId);
    if (!layout || layout.keys.length === 1) return change(this.single);
    const first = this.holdStripes.get(i.reservationId) ?? homeStripe(String(i.userId), layout.keys.length);
    const outcome = await change(this.stripe(first));
    if (outcome.ok || outcome.code !== 'NOT_FOUND') return outcome;
    this.holdStripes.delete(i.reservationId);
    const elsewhere = await this.stripeOf(layout, i.reservationId, first);
    return elsewhere === undefined ? outcome : change(this.stripe(elsewhere));
  }

  /** Owner only: pushes a live hold's expiry to `now + holdMs`. */
  extend(input: HoldExtension): Promise<HoldChangeOutcome> {
    return this.ownerChange(input, (store) => store.extend(input));
  }

  /** Owner only: gives a live hold back to its stripe's stock. */
  release(input: HoldOwnerChange): Promise<HoldChangeOutcome> {
    return this.ownerChange(input, (store) => store.release(input));
  }

  /** Owner only: HELD → CONFIRMED, permanently. */
  confirm(input: HoldOwnerChange): Promise<HoldChangeOutcome> {
    return this.ownerChange(input, (store) => store.confirm(input));
  }

  /** Undoes a reservation on its stripe, once; idempotent. */
  async compensate(input: { saleId: string; reservationId: string }): Promise<CompensateOutcome> {
    const i = validateFields('compensate', { saleId: SaleId, reservationId: ReservationId }, input);
    const layout = await this.layout(i.saleId);
    if (!layout || layout.keys.length === 1) return this.single.compensate(i);
    const stripe = await this.stripeOf(layout, i.reservationId);
    return this.stripe(stripe ?? 0).compensate(i);
  }

  /** Expires up to `limit` due holds over every stripe, the earliest first. */
  async expireDue(input: { saleId: string; now: number; limit: number }): Promise<HoldRecord[]> {
    const i = validateFields('expireDue', { saleId: SaleId, now: EpochMs, limit: PositiveInt }, input);
    const layout = await this.layout(i.saleId);
    if (!layout || layout.keys.length === 1) return this.single.expireDue(i);
    const due = await Promise.all(
      layout.keys.map((k) =>
        this.context.redis.zrangebyscore(k.expiry, '-inf', i.now, 'WITHSCORES', 'LIMIT', 0, i.limit),
      ),
    );
    const chosen = earliest(due, i.limit);
    const perStripe = layout.keys.map(
      (_, stripe) => chosen.filter((entry) => entry.stripe === stripe).length,
    );
    const expired = await Promise.all(
      perStripe.map((limit, stripe) =>
        limit > 0 ? this.stripe(stripe).expireDue({ ...i, limit }) : Promise.resolve([]),
      ),
    );
    return expired
      .flat()
      .sort((a, b) => a.expiresAt - b.expiresAt || (a.reservationId < b.reservationId ? -1 : 1));
  }

  /** A hold record from whichever stripe holds it, or null. */
  async getHold(saleId: string, reservationId: string): Promise<HoldRecord | null> {
    const i = validateFields(
      'getHold',
      { saleId: SaleId, reservationId: ReservationId },
      { saleId, reservationId },
    );
    const layout = await this.layout(i.saleId);
    if (!layout || layout.keys.length === 1) return this.single.getHold(i.saleId, i.reservationId);
    const known = this.holdStripes.get(i.reservationId);
    if (known !== undefined) {
      const hold = await this.stripe(known).getHold(i.saleId, i.reservationId);
      if (hold) return hold;
    }
    const holds = await Promise.all(
      layout.keys.map((_, s) => this.stripe(s).getHold(i.saleId, i.reservationId)),
    );
    return holds.find((hold) => hold !== null) ?? null;
  }

  /**
   * The sums over the stripes, after finishing every transfer in flight. Exact when no reserve
   * runs; under load the stripes are read one after the other.
   */
  async counts(saleId: string): Promise<InventoryCounts> {
    const { saleId: id } = validateFields('sale', { saleId: SaleId }, { saleId });
    const layout = await this.layout(id);
    if (!layout || layout.keys.length === 1) return this.single.counts(id);
    await this.settleAll(layout);
    const stripes = await this.readStripes(layout);
    if (stripes.some((s) => !s.warm)) {
      this.layouts.delete(id);
      throw new UnknownSaleError(id);
    }
    return {
      saleId: id,
      initialStock: layout.initialStock,
      available: stripes.reduce((sum, s) => sum + s.available + s.inFlight, 0),
      held: stripes.reduce((sum, s) => sum + s.held, 0),
      confirmed: stripes.reduce((sum, s) => sum + s.confirmed, 0),
    };
  }

  /**
   * Each stripe's own counts (one MULTI per stripe): what a repair and an operator look at.
   * `inFlight` is the units taken off the stripe by transfers not yet credited elsewhere.
   */
  async stripeCounts(
    saleId: string,
  ): Promise<Array<{ tag: string; available: number; held: number; confirmed: number; inFlight: number }>> {
    const { saleId: id } = validateFields('sale', { saleId: SaleId }, { saleId });
    const layout = await this.layout(id);
    if (!layout) throw new UnknownSaleError(id);
    const stripes = await this.readStripes(layout);
    return stripes.map(({ warm: _warm, ...counts }, i) => ({ tag: layout.tags[i]!, ...counts }));
  }

  private async readStripes(
    layout: Layout,
  ): Promise<Array<{ warm: boolean; available: number; held: number; confirmed: number; inFlight: number }>> {
    return Promise.all(
      layout.keys.map(async (k) => {
        const [meta, stock, transit] = (await exec(
          this.context.redis
            .multi()
            .hmget(k.meta, 'warm', 'held', 'confirmed')
            .get(k.stock)
            .hvals(`${k.base}transit`),
          'stripe counts',
        )) as [Array<string | null>, string | null, string[]];
        return {
          warm: meta[0] === '1',
          available: Number(stock ?? 0),
          held: Number(meta[1] ?? 0),
          confirmed: Number(meta[2] ?? 0),
          inFlight: transit.reduce((sum, entry) => sum + Number(entry.split(':')[1] ?? 0), 0),
        };
      }),
    );
  }

  /** Every seat's state: a striped sale has none (seated sales are never striped). */
  async seatStates(saleId: string): Promise<Record<string, SeatState>> {
    const { saleId: id } = validateFields('sale', { saleId: SaleId }, { saleId });
    const layout = await this.layout(id);
    if (!layout || layout.keys.length === 1) return this.single.seatStates(id);
    return {};
  }

  /**
   * Makes the store agree with the source of truth (see `InventoryStore.repair` for what it keeps).
   * A striped sale: every stripe's transfers are frozen, those in flight finished, the stripes
   * counted; the confirmed units to keep follow from that count (`repairedConfirmed`); then each
   * stripe is changed relative to its state at that moment, so holds made and units confirmed
   * meanwhile are kept. Held units stay the live holds'; the free units are what is left.
   */
  async repair(truth: InventoryTruth): Promise<{ before: InventoryCounts; after: InventoryCounts }> {
    const t = validateTruth(truth);
    const layout = await this.layout(t.saleId);
    if (!layout || layout.keys.length === 1) return this.single.repair(truth);
    const seated = (['confirmedSeatIds', 'pendingSeatIds'] as const).filter((path) => t[path].length > 0);
    if (seated.length > 0) {
      throw new ValidationError(
        'inventory truth',
        seated.map((path) => ({ path, message: 'a general-admission sale has no seats' })),
      );
    }
    if (t.confirmedUnits > layout.initialStock) {
      throw new ValidationError('inventory truth', [
        { path: 'confirmedUnits', message: 'more than the initial stock' },
      ]);
    }
    const run = (name: 'stripe-freeze' | 'stripe-adjust', stripe: number, args: Array<string | number>) =>
      this.context.scripts.run(name, [layout.keys[stripe]!.meta], args);
    await Promise.all(layout.keys.map((_, s) => run('stripe-freeze', s, [Date.now() + FREEZE_MS])));
    try {
      await this.settleAll(layout);
      const stripes = await this.readStripes(layout);
      const sum = (pick: (s: (typeof stripes)[number]) => number) => stripes.reduce((n, s) => n + pick(s), 0);
      const before: InventoryCounts = {
        saleId: t.saleId,
        initialStock: layout.initialStock,
        available: sum((s) => s.available + s.inFlight),
        held: sum((s) => s.held),
        confirmed: sum((s) => s.confirmed),
      };
      const held = Math.min(before.held, layout.initialStock);
      const confirmed = repairedConfirmed(t, before.confirmed, layout.initialStock - held);
      const confirmedChange = spread(
        stripes.map((s) => s.confirmed),
        confirmed - before.confirmed,
      );
      const heldChange = spread(
        stripes.map((s) => s.held),
        held - before.held,
      );
      // units that must appear (or go) in the free stock: what is left less what is counted
      let stockChange = layout.initialStock - confirmed - held - before.available;
      for (let s = 0; s < stripes.length && stockChange !== 0; s++) {
        const wanted = s === 0 || stockChange < 0 ? stockChange : 0;
        const reply = asList(
          await run('stripe-adjust', s, [wanted, confirmedChange[s]!, heldChange[s]!]),
          'stripe-adjust',
        );
        stockChange -= Number(reply[1] ?? 0);
        confirmedChange[s] = 0;
        heldChange[s] = 0;
      }
      for (let s = 0; s < stripes.length; s++) {
        if (confirmedChange[s] !== 0 || heldChange[s] !== 0) {
          await run('stripe-adjust', s, [0, confirmedChange[s]!, heldChange[s]!]);
        }
      }
      const after = await this.counts(t.saleId);
      return { before, after };
    } finally {
      await Promise.all(layout.keys.map((_, s) => run('stripe-freeze', s, [0])));
    }
  }

  /** Group allocation is for seated sales, which are never striped: stripe 0 serves it. */
  reserveGroup(request: GroupReserveRequest): Promise<GroupReserveOutcome> {
    return this.single.reserveGroup(request);
  }

  /** The outbox entries of every stripe up to a time, the oldest first, at most `limit`. */
  async unrelayed(input: { saleId: string; enqueuedUpTo: number; limit: number }): Promise<UnrelayedHold[]> {
    const i = validateFields(
      'unrelayed',
      { saleId: SaleId, enqueuedUpTo: EpochMs, limit: PositiveInt },
      input,
    );
    const layout = await this.layout(i.saleId);
    if (!layout || layout.keys.length === 1) return this.single.unrelayed(i);
    const entries = earliest(
      await Promise.all(
        layout.keys.map((k) =>
          this.context.redis.zrangebyscore(
            k.outbox,
            '-inf',
            i.enqueuedUpTo,
            'WITHSCORES',
            'LIMIT',
            0,
            i.limit,
          ),
        ),
      ),
      i.limit,
    );
    return Promise.all(
      entries.map(async ({ id, score, stripe }) => {
        const fields = await this.context.redis.hgetall(layout.keys[stripe]!.hold(id));
        return {
          reservationId: id,
          enqueuedAt: score,
          hold: fields.reservationId ? publicHold(holdFrom(fields)) : null,
        };
      }),
    );
  }

  /**
   * Removes entries from the outbox. Calls made together are sent as one ZREM per stripe once the
   * current burst of callbacks has run; a hold made here goes to its own stripe only.
   */
  async markRelayed(input: { saleId: string; reservationIds: string[] }): Promise<void> {
    const i = validateFields('relayed holds', { saleId: SaleId, reservationIds: anything }, input);
    const ids = (i.reservationIds as unknown[]).map((id) => validate('reservation id', ReservationId, id));
    if (ids.length === 0) return;
    let batch = this.relayedBatches.get(i.saleId);
    if (!batch) {
      const opened: { ids: string[]; sent?: Promise<unknown> } = { ids: [] };
      opened.sent = new Promise<void>((resolve) => process.nextTick(resolve)).then(async () => {
        this.relayedBatches.delete(i.saleId);
        const layout = await this.layout(i.saleId);
        const keys = layout?.keys ?? [this.context.keys.sale(i.saleId)];
        const perStripe = keys.map(() => [] as string[]);
        for (const id of opened.ids) {
          const known = this.holdStripes.get(id);
          if (known !== undefined && known < keys.length) perStripe[known]!.push(id);
          else for (const list of perStripe) list.push(id);
        }
        await Promise.all(
          perStripe.map((list, s) =>
            list.length > 0 ? this.context.redis.zrem(keys[s]!.outbox, ...list) : 0,
          ),
        );
      });
      this.relayedBatches.set(i.saleId, opened);
      batch = opened;
    }
    batch.ids.push(...ids);
    await batch.sent;
  }
}

/** A snapshot of a general-admission sale cut into one snapshot per stripe. */
function splitSnapshot(s: InventorySnapshot, stripes: number): InventorySnapshot[] {
  const holds = s.holds ?? [];
  const held = holds.reduce((sum, hold) => sum + hold.quantity, 0);
  const confirmed = s.initialStock - s.available - held;
  return Array.from({ length: stripes }, (_, stripe) => {
    const available = Math.floor(s.available / stripes) + (stripe < s.available % stripes ? 1 : 0);
    const own = holds.filter((hold) => homeStripe(hold.userId, stripes) === stripe);
    const ownHeld = own.reduce((sum, hold) => sum + hold.quantity, 0);
    const ownConfirmed = stripe === 0 ? confirmed : 0;
    return {
      saleId: s.saleId,
      initialStock: available + ownHeld + ownConfirmed,
      available,
      seatIds: [],
      confirmedSeatIds: [],
      ticketsPerUser: s.ticketsPerUser,
      confirmedPerUser: Object.fromEntries(
        Object.entries(s.confirmedPerUser).filter(([userId]) => homeStripe(userId, stripes) === stripe),
      ),
      holds: own,
    };
  });
}

/** The `limit` earliest of several `member, score, …` lists (one per stripe), by score then id. */
function earliest(lists: string[][], limit: number): Array<{ id: string; score: number; stripe: number }> {
  const all: Array<{ id: string; score: number; stripe: number }> = [];
  lists.forEach((flat, stripe) => {
    for (let j = 0; j + 1 < flat.length; j += 2)
      all.push({ id: flat[j]!, score: Number(flat[j + 1]), stripe });
  });
  all.sort((a, b) => a.score - b.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return all.slice(0, limit);
}

/**
 * A change of a total spread over parts: an increase goes to the first part, a decrease is taken
 * from the parts in order, none below zero (the last takes what is left).
 */
function spread(parts: number[], change: number): number[] {
  const out = parts.map(() => 0);
  if (change >= 0) {
    out[0] = change;
    return out;
  }
  let left = -change;
  for (let i = 0; i < parts.length && left > 0; i++) {
    const take = i === parts.length - 1 ? left : Math.min(left, Math.max(0, parts[i]!));
    out[i] = -take;
    left -= take;
  }
  return out;
}

/** A script's {'REFUSED', code} as an outcome (a quantity request names no seats). */
function refusal(reply: unknown[]): { ok: false; code: ReserveRefusal } {
  return { ok: false, code: reply[1] as ReserveRefusal };
}

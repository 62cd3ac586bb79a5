import type {
  DomainEvent,
  HoldRecord,
  InventoryStore,
  ReservationRow,
  ReservationStatus,
} from '@seatrush/core';
import type { MemoryReservationRepository } from '@seatrush/core/memory';
import type { ServerChanges } from './changes';

/** An invariant that did not hold: its name (stable, for shrinking) and what was seen. */
export class InvariantViolation extends Error {
  constructor(
    readonly invariant: string,
    detail: string,
  ) {
    super(`${invariant}: ${detail}`);
    this.name = 'InvariantViolation';
  }
}

/**
 * The money as the payment provider sees it: the charges that went through (a paid payment) and
 * the refunds. Both checkouts map onto it: the auto-pay gateway's charges, and the buyer-driven
 * provider's SUCCEEDED payments.
 */
export interface MoneyView {
  charges(): ReadonlyArray<{ reservationId: string; paymentId: string }>;
  refunds(): ReadonlyArray<{ paymentId: string }>;
  /** Buyer-driven checkout: every payment created, whatever its status. */
  payments?(): ReadonlyArray<{ reservationId: string | null; paymentId: string; status: string }>;
}

/** The shared state the checker reads: the servers, never a process's view of them. */
export interface CheckedState {
  saleId: string;
  capacity: number;
  inventory: InventoryStore;
  repository: MemoryReservationRepository;
  payments: MoneyView;
  /**
   * The store's own record of a hold, read without a copy (`MemoryInventoryStore.peekHold`): the
   * store's invariants read every known hold after every write, and a copy of each cost more than
   * the check. Without it they are read through `inventory.getHold`.
   */
  peekHold?: (saleId: string, reservationId: string) => Readonly<HoldRecord> | undefined;
  /**
   * Whether an acknowledged reservation's hold was lost with a wiped store before the pipeline
   * recorded it (documented: the outbox goes with the store, docs/design.md §Rebuild of a lost sale).
   */
  lostInWipe?: (reservationId: string) => Promise<boolean>;
  /**
   * The writes to the store, the source of truth and the provider, counted (see `countWrites`):
   * given, each step re-checks only the invariants whose inputs changed since they last held;
   * without, every invariant is re-checked after every step.
   */
  changes?: Readonly<ServerChanges>;
  /**
   * Proves the counting sound (slow; for tests): after every step, a change of the state the
   * invariants read with no write counted fails the run (`unnoticed-write`).
   */
  verifyChanges?: boolean;
}

/** Moves of the source of truth's state machine; anything else is a reservation changing its end. */
const ALLOWED: Record<ReservationStatus, readonly ReservationStatus[]> = {
  REQUESTED: ['PAYMENT_PENDING', 'FAILED'],
  PAYMENT_PENDING: ['CONFIRMED', 'FAILED'],
  FAILED: ['COMPENSATED'],
  CONFIRMED: [],
  COMPENSATED: [],
};
/** Steps that only read: nothing the invariants look at can change in them. */
const READS: ReadonlySet<string> = new Set([
  'inventory.getHold',
  'inventory.counts',
  'inventory.seatStates',
  'inventory.isWarm',
  'inventory.unrelayed',
  'waitingRoom.position',
  'waitingRoom.admission',
  'waitingRoom.stats',
  'waitingRoom.queueConfig',
  'waitingList.entry',
  'waitingList.entries',
  'waitingList.liveCount',
  'repository.get',
  'repository.getSale',
  'repository.listOpenSales',
  'repository.totals',
  'repository.loadSnapshot',
  // the shared controls, the leases and the notification outbox hold nothing the invariants read
  'saleControl.read',
  'saleControl.revision',
  'leases.acquire',
  'leases.renew',
  'leases.release',
  'notifications.claim',
  'notifications.markSent',
  'checkoutStore.payment',
  'checkoutStore.hasReceipt',
  'payments.getPayment',
  // a timer firing runs its callback up to its first port call, which is a step of its own
  'interval',
  'webhook late',
  'webhook held back',
  'webhook retry',
  'type the card',
  'pay slowly',
  'leave checkout',
  'wait in queue',
  'wait for an offer',
  'arrive',
  'choose',
  'timeout',
]);
const FINAL: ReadonlySet<ReservationStatus> = new Set(['CONFIRMED', 'FAILED', 'COMPENSATED']);

/**
 * The invariants of a sale, checked after every step of a run and once more after it settled:
 * - nothing oversold: stock never below zero, units conserved, no seat in two live holds or two
 *   sold reservations, never more sold than the capacity;
 * - every acknowledged reservation ends in exactly one final state, and a final state never changes;
 * - no double charge: one charge per reservation at most, a reservation CONFIRMED only once paid,
 *   and after settling a charge kept only for a confirmed reservation (confirmed iff paid), every
 *   other payment voided or refunded;
 * - the store and the source of truth agree after settling (the reconciler's equation);
 * - nobody is overtaken in the FIFO queue except through a documented lane.
 */
export class InvariantChecker {
  /** Reservations the API answered ACCEPTED, with the buyer told. */
  readonly acknowledged = new Map<string, { userId: string }>();
  /** Every reservation the pipeline saw (ACCEPTED or not: an unknown outcome may have held). */
  readonly known = new Set<string>();
  /** Users admitted through a documented lane (priority, bypass): outside the FIFO order. */
  readonly laned = new Set<string>();
  readonly #statuses = new Map<string, ReservationStatus>();
  #lastTicket = 0;
  #lastTicketUser = '';
  /** The write counts the money and source-of-truth invariants last held on (-1: never checked). */
  #heldOnMoney = -1;
  #heldOnTruth = -1;
  /** The write count and known reservations the store's invariants last held on. */
  #heldOnStore = -1;
  #heldOnKnown = -1;
  /** With `verifyChanges`: the state the invariants read, as text, and the counts it was seen at. */
  #seen: { truth: string; store: string; known: number; changes: ServerChanges } | null = null;
  /** The last answer of {@link unsettled}, and the state it was given on. */
  #unsettled: { store: number; truth: number; known: number; answer: string | null } | null = null;

  constructor(private readonly state: CheckedState) {}

  /** Fed every event appended to the log. */
  observe(event: DomainEvent): void {
    if (event.type === 'ReservationRequested') this.known.add(event.payload.reservationId);
  }

  /**
   * Fed, in the order the shared store made them, the users it admitted (a tick's admitNext, a
   * checkout handing its place on): the order of the store, not of the events, which two paths
   * publish at their own pace. In FIFO every admission outside a lane has a higher ticket than
   * the one before it; a user who lapsed and came back has a new, higher ticket.
   */
  admittedInStore(entries: ReadonlyArray<{ userId: string; ticket: number }>): void {
    for (const { userId, ticket } of entries) {
      if (this.laned.has(userId)) continue;
      if (ticket <= this.#lastTicket) {
        fail(
          'fifo',
          `${userId} (ticket ${ticket}) admitted after ${this.#lastTicketUser} (ticket ${this.#lastTicket})`,
        );
      }
      this.#lastTicket = ticket;
      this.#lastTicketUser = userId;
    }
  }

  /** A buyer was told ACCEPTED for `hold` at `now`. */
  accepted(hold: HoldRecord, now: number): void {
    if (hold.status === 'HELD' && hold.expiresAt <= now) {
      throw new InvariantViolation('answers', `${hold.reservationId} answered HELD after it expired`);
    }
    this.acknowledged.set(hold.reservationId, { userId: hold.userId });
    this.known.add(hold.reservationId);
  }

  /**
   * The invariants that hold at every instant, after a step labelled `label`: a step that only
   * read a port cannot have changed what they look at, so it is not checked again; with the
   * servers' writes counted (`changes`), only the invariants whose inputs changed are.
   */
  async afterStep(label?: string): Promise<void> {
    await this.check(label);
  }

  /** {@link afterStep}, answering null (nothing to wait for) when nothing needed checking. */
  check(label?: string): Promise<void> | null {
    if (this.state.verifyChanges && this.state.changes)
      return this.#verifyChanges(this.state.changes).then(() => this.#checkChanged(label) ?? undefined);
    return this.#checkChanged(label);
  }

  #checkChanged(label?: string): Promise<void> | null {
    if (label !== undefined && READS.has(label)) return null;
    const { changes } = this.state;
    if (!changes) {
      this.#checkMoneyAndTruth();
      return this.#checkStore();
    }
    const { money, truth, store } = changes;
    if (money !== this.#heldOnMoney || truth !== this.#heldOnTruth) {
      this.#checkMoneyAndTruth();
      this.#heldOnMoney = money;
      this.#heldOnTruth = truth;
    }
    const known = this.known.size;
    if (store === this.#heldOnStore && known === this.#heldOnKnown) return null;
    return this.#checkStore().then(() => {
      this.#heldOnStore = store;
      this.#heldOnKnown = known;
    });
  }

  /** Fails when the state the invariants read changed since the last step and no write was counted. */
  async #verifyChanges(changes: Readonly<ServerChanges>): Promise<void> {
    const { inventory, repository, payments, saleId } = this.state;
    const truth = JSON.stringify([
      payments.charges(),
      payments.refunds(),
      payments.payments?.() ?? null,
      repository.rowsOf(saleId),
    ]);
    let store = 'cold';
    if (await inventory.isWarm(saleId)) {
      const holds: unknown[] = [];
      for (const id of this.known) holds.push(await inventory.getHold(saleId, id));
      store = JSON.stringify([await inventory.counts(saleId), holds]);
    }
    const seen = this.#seen;
    const known = this.known.size;
    this.#seen = { truth, store, known, changes: { ...changes } };
    if (!seen) return;
    if (truth !== seen.truth && changes.truth === seen.changes.truth && changes.money === seen.changes.money)
      fail('unnoticed-write', 'the source of truth or the payments changed and no write was counted');
    // a reservation newly known brings its hold (written, and counted, in an earlier step) into the text
    if (store !== seen.store && changes.store === seen.changes.store && known === seen.known)
      fail('unnoticed-write', 'the store changed and no write was counted');
  }

  /** The source of truth and the money: they hold while the store is cold (wiped) too. */
  #checkMoneyAndTruth(): void {
    const { saleId, capacity } = this.state;
    const charged = new Map<string, number>();
    for (const charge of this.state.payments.charges()) {
      const times = (charged.get(charge.reservationId) ?? 0) + 1;
      if (times > 1) fail('double-charge', `${charge.reservationId} charged ${times} times`);
      charged.set(charge.reservationId, times);
    }
    const rows = this.state.repository.rowsOf(saleId);
    let sold = 0;
    const soldSeats = new Map<string, string>();
    for (const row of rows) {
      this.#checkMove(row);
      if (row.status !== 'CONFIRMED') continue;
      if (!charged.has(row.reservationId))
        fail('paid', `${row.reservationId} is CONFIRMED and was never paid`);
      sold += row.quantity;
      for (const seat of row.seatIds) {
        const other = soldSeats.get(seat);
        if (other) fail('oversold', `seat ${seat} sold to ${other} and ${row.reservationId}`);
        soldSeats.set(seat, row.reservationId);
      }
    }
    if (sold > capacity) fail('oversold', `${sold} units confirmed, capacity ${capacity}`);
  }

  /** The store: stock never negative and conserved, no seat in two live holds. */
  async #checkStore(): Promise<void> {
    const { inventory, saleId } = this.state;
    if (!(await inventory.isWarm(saleId))) return;
    const counts = await inventory.counts(saleId);
    if (counts.available < 0 || counts.held < 0 || counts.confirmed < 0) {
      fail('stock', `a count is negative: ${JSON.stringify(counts)}`);
    }
    const sum = counts.available + counts.held + counts.confirmed;
    if (sum !== counts.initialStock) {
      fail('stock', `available + held + confirmed = ${sum}, not ${counts.initialStock}`);
    }
    const seatHolder = new Map<string, string>();
    const { peekHold } = this.state;
    for (const id of this.known) {
      const hold = peekHold ? peekHold(saleId, id) : await inventory.getHold(saleId, id);
      if (!hold || (hold.status !== 'HELD' && hold.status !== 'CONFIRMED')) continue;
      for (const seat of hold.seatIds) {
        const other = seatHolder.get(seat);
        if (other) fail('seats', `seat ${seat} is in live holds ${other} and ${hold.reservationId}`);
        seatHolder.set(seat, hold.reservationId);
      }
    }
  }

  /** The invariants of a settled sale: everything final, store and source of truth in agreement. */
  async afterSettling(): Promise<void> {
    this.#checkMoneyAndTruth();
    await this.#checkStore();
    const { inventory, repository, saleId, payments } = this.state;
    const rows = new Map(repository.rowsOf(saleId).map((row) => [row.reservationId, row]));
    for (const [reservationId] of this.acknowledged) {
      const row = rows.get(reservationId);
      const hold = await inventory.getHold(saleId, reservationId);
      if (!row) {
        // refused by the source of truth (a reused key) is a final answer only if the units came back
        if (hold && (hold.status === 'HELD' || hold.status === 'CONFIRMED')) {
          fail('acknowledged', `${reservationId} was acknowledged, has no row and still holds units`);
        }
        if (!hold && !(await this.state.lostInWipe?.(reservationId)))
          fail('acknowledged', `${reservationId} was acknowledged and is nowhere`);
        continue;
      }
      if (!FINAL.has(row.status)) fail('acknowledged', `${reservationId} ended ${row.status}`);
    }
    const refunded = new Set(payments.refunds().map((refund: { paymentId: string }) => refund.paymentId));
    const kept = new Map<string, number>();
    for (const charge of payments.charges()) {
      if (!refunded.has(charge.paymentId))
        kept.set(charge.reservationId, (kept.get(charge.reservationId) ?? 0) + 1);
    }
    let confirmedUnits = 0;
    const confirmedSeats = new Set<string>();
    for (const row of rows.values()) {
      const hold = await inventory.getHold(saleId, row.reservationId);
      if (row.status === 'CONFIRMED') {
        confirmedUnits += row.quantity;
        for (const seat of row.seatIds) confirmedSeats.add(seat);
        // a store rebuilt after a wipe keeps a confirmed reservation as sold units and seats, not as a hold
        if (
          hold?.status !== 'CONFIRMED' &&
          !(hold === null && (await this.state.lostInWipe?.(row.reservationId)))
        ) {
          fail(
            'agreement',
            `${row.reservationId} is CONFIRMED in the source of truth, ${hold?.status ?? 'absent'} in the store`,
          );
        }
        if (kept.get(row.reservationId) !== 1) {
          fail(
            'double-charge',
            `${row.reservationId} is CONFIRMED with ${kept.get(row.reservationId) ?? 0} charges kept`,
          );
        }
      } else {
        if (hold?.status === 'CONFIRMED' || hold?.status === 'HELD') {
          fail(
            'agreement',
            `${row.reservationId} is ${row.status} in the source of truth, ${hold.status} in the store`,
          );
        }
        if (kept.has(row.reservationId)) {
          fail('double-charge', `${row.reservationId} is ${row.status} and its charge was kept`);
        }
      }
    }
    for (const [reservationId] of kept) {
      if (!rows.has(reservationId))
        fail('double-charge', `${reservationId} was charged and has no reservation`);
    }
    // buyer-driven checkout: a payment whose reservation did not end CONFIRMED was voided or refunded
    for (const payment of payments.payments?.() ?? []) {
      const row = payment.reservationId ? rows.get(payment.reservationId) : undefined;
      if (row?.status === 'CONFIRMED') continue;
      const settled =
        payment.status === 'CANCELED' || (payment.status === 'SUCCEEDED' && refunded.has(payment.paymentId));
      if (!settled) {
        fail(
          'voided',
          `payment ${payment.paymentId} of ${payment.reservationId} (${row?.status ?? 'no reservation'}) is ${payment.status}, neither voided nor refunded`,
        );
      }
    }
    // the reconciler's equation, on a settled sale with no live holds left
    const counts = await inventory.counts(saleId);
    if (counts.held !== 0) fail('agreement', `${counts.held} units still held after settling`);
    if (counts.confirmed !== confirmedUnits || counts.available + confirmedUnits !== counts.initialStock) {
      fail(
        'agreement',
        `store: available ${counts.available}, confirmed ${counts.confirmed}; source of truth: ${confirmedUnits} confirmed of ${counts.initialStock}`,
      );
    }
    const seats = await inventory.seatStates(saleId);
    for (const [seat, state] of Object.entries(seats)) {
      if ((state === 'CONFIRMED') !== confirmedSeats.has(seat)) {
        fail(
          'agreement',
          `seat ${seat} is ${state} in the store, ${confirmedSeats.has(seat) ? '' : 'not '}sold in the source of truth`,
        );
      }
    }
  }

  /** Whether every reservation the pipeline knows is final and no hold is live. */
  async settled(): Promise<boolean> {
    return (await this.unsettled()) === null;
  }

  /** Why the sale is not settled yet, or null. */
  async unsettled(): Promise<string | null> {
    const { changes } = this.state;
    if (!changes) return this.#whyUnsettled();
    // the answer reads the store, the source of truth and the known reservations only
    const { store, truth } = changes;
    const known = this.known.size;
    const last = this.#unsettled;
    if (last && last.store === store && last.truth === truth && last.known === known) return last.answer;
    const answer = await this.#whyUnsettled();
    this.#unsettled = { store, truth, known, answer };
    return answer;
  }

  async #whyUnsettled(): Promise<string | null> {
    const { inventory, repository, saleId } = this.state;
    if (!(await inventory.isWarm(saleId))) return 'cold'; // wiped, not rebuilt yet
    const rows = new Map(repository.rowsOf(saleId).map((row) => [row.reservationId, row]));
    const { held } = await inventory.counts(saleId);
    if (held > 0) {
      for (const id of new Set([...this.known, ...rows.keys()])) {
        const hold = await inventory.getHold(saleId, id);
        if (hold?.status === 'HELD')
          return `${id} held until ${hold.expiresAt} (${rows.get(id)?.status ?? 'no row'})`;
      }
      return `${held} units held by holds nobody knows`;
    }
    for (const id of this.known) {
      const row = rows.get(id);
      if (row && !FINAL.has(row.status)) {
        const hold = await inventory.getHold(saleId, id);
        return `${id} is ${row.status}, its hold ${hold ? `${hold.status} until ${hold.expiresAt}` : 'absent'}`;
      }
      if (row?.status === 'FAILED') {
        const hold = await inventory.getHold(saleId, id);
        if (hold && hold.status !== 'COMPENSATED' && hold.status !== 'EXPIRED' && hold.status !== 'RELEASED')
          return `${id} FAILED, hold ${hold.status}`;
      }
    }
    return null;
  }

  #checkMove(row: ReservationRow): void {
    const before = this.#statuses.get(row.reservationId);
    if (before !== undefined && before !== row.status && !ALLOWED[before].includes(row.status)) {
      fail('final-state', `${row.reservationId} moved ${before} → ${row.status}`);
    }
    this.#statuses.set(row.reservationId, row.status);
  }
}

function fail(invariant: string, detail: string): never {
  throw new InvariantViolation(invariant, detail);
}

import type { BuyerResult } from './buyer';
import { FINAL_STATES } from './buyer';
import type { Reconciliation, SaleFiguresView } from './sale';

/** One check of the end-of-run invariant. */
export interface InvariantCheck {
  name: string;
  ok: boolean;
  detail: string;
}

/** The invariant's verdict: every check must hold. */
export interface InvariantReport {
  ok: boolean;
  checks: InvariantCheck[];
}

/** What the invariant is checked against, gathered once the load has settled. */
export interface InvariantInput {
  buyers: BuyerResult[];
  figures: SaleFiguresView;
  reconciliation: Reconciliation | null;
  /** The server's status of every accepted reservation, read with its owner's cookie. */
  serverStatus: Map<string, string | null>;
  /** The app ran the buyer checkout: no seat may be confirmed without its buyer's payment. */
  buyerCheckout?: boolean;
}

const HOLD_FINAL = new Set(['CONFIRMED', 'FAILED', 'EXPIRED', 'RELEASED']);

/**
 * No oversell, nothing lost, every accepted buyer in exactly one final state — checked from
 * three sides that must agree: what the buyers saw, what the store counts, and what the source of
 * truth (PostgreSQL on the real servers) holds.
 */
export function checkInvariant(input: InvariantInput): InvariantReport {
  const { buyers, figures: f, reconciliation: r, serverStatus } = input;
  const checks: InvariantCheck[] = [];
  const add = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });

  add(
    'stock is conserved',
    f.available + f.held + f.confirmed === f.initialStock,
    `available ${f.available} + held ${f.held} + confirmed ${f.confirmed} = ${f.available + f.held + f.confirmed} of ${f.initialStock}`,
  );
  add(
    'no oversell in the store',
    f.confirmed <= f.initialStock,
    `confirmed ${f.confirmed} ≤ stock ${f.initialStock}`,
  );

  const confirmed = buyers.filter((b) => b.state === 'CONFIRMED');
  const seats = confirmed.flatMap((b) => b.seatIds);
  const distinct = new Set(seats);
  add(
    'no seat sold twice',
    distinct.size === seats.length,
    `${seats.length} confirmed seats, ${distinct.size} distinct`,
  );
  add(
    "buyers' confirmations match the store",
    seats.length === f.confirmed,
    `buyers hold ${seats.length} confirmed seats, the store counts ${f.confirmed}`,
  );

  const finals = new Set<string>(FINAL_STATES);
  const notFinal = buyers.filter(
    (b) => !finals.has(b.state) || b.trace.filter((s) => finals.has(s)).length !== 1,
  );
  add(
    'every buyer ends in exactly one final state',
    notFinal.length === 0,
    notFinal.length === 0
      ? `${buyers.length} buyers`
      : `${notFinal.length} not: ${notFinal
          .slice(0, 3)
          .map((b) => b.trace.join('→'))
          .join('; ')}`,
  );

  const accepted = buyers.filter((b) => b.reservationId !== null);
  const disagree = accepted.filter((b) => {
    const server = serverStatus.get(b.reservationId!) ?? null;
    return !HOLD_FINAL.has(b.state) || server !== b.state;
  });
  add(
    'every accepted hold ends in one final state, the same for buyer and server',
    disagree.length === 0,
    disagree.length === 0
      ? `${accepted.length} holds`
      : `${disagree.length} of ${accepted.length} differ: ${disagree
          .slice(0, 3)
          .map(
            (b) =>
              `buyer ended ${b.state}${b.resultOverSse ? ` (pushed ${b.resultOverSse})` : ''}, server now says ${serverStatus.get(b.reservationId!)}`,
          )
          .join('; ')}`,
  );
  add('no hold left once settled', f.held === 0, `held ${f.held}`);

  if (input.buyerCheckout) {
    const unpaid = confirmed.filter((b) => !b.paid);
    add(
      'no seat confirmed without its buyer paying',
      unpaid.length === 0,
      `${confirmed.length} confirmed, ${unpaid.length} of them not paid by their buyer`,
    );
  }

  const mismatched = buyers.filter((b) => b.replayMismatch);
  const answers = mismatched.map((b) => b.replayAnswer).filter(Boolean);
  add(
    'replayed reserves answer the original',
    mismatched.length === 0,
    `${mismatched.length} mismatches${answers.length > 0 ? ` (answered: ${answers.slice(0, 3).join('; ')})` : ''}`,
  );

  if (r) {
    add(
      'the source of truth agrees with the store',
      r.consistent && !r.repaired && r.truthConfirmed === f.confirmed && r.truthPending === 0,
      `truth confirmed ${r.truthConfirmed}, pending ${r.truthPending}; store confirmed ${r.storeConfirmed}; consistent ${r.consistent}, repaired ${r.repaired}`,
    );
  }
  return { ok: checks.every((c) => c.ok), checks };
}

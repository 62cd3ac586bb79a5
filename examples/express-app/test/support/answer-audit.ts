import type { Redis } from 'ioredis';
import type pg from 'pg';
import { expect } from 'vitest';
import { type Buyer, sleep } from './harness';

/** One answer a buyer got to a hold request, as the buyer saw it. */
export interface RecordedAnswer {
  key: string;
  status: number;
  /** The reservation named by a 2xx answer. */
  reservationId: string | null;
  /** The stable code of a refusal. */
  code: string | null;
  /** How long the answer took, in ms. */
  ms: number;
}

/** Every answer of a fault test, kept to be held against the source of truth at the end. */
export class AnswerLog {
  readonly answers: RecordedAnswer[] = [];

  /** Sends a reserve and records what came back (a network failure is recorded as status 0). */
  async reserve(
    buyer: Buyer,
    saleId: string,
    selection: { seatIds: string[] } | { quantity: number },
    key: string,
  ): Promise<RecordedAnswer> {
    const started = performance.now();
    const answer = await buyer.reserve(saleId, selection, key).catch(() => null);
    const body = (answer?.body ?? {}) as {
      reservation?: { id?: string };
      error?: { code?: string };
    };
    const recorded: RecordedAnswer = {
      key,
      status: answer?.status ?? 0,
      reservationId: answer && answer.status < 300 ? (body.reservation?.id ?? null) : null,
      code: body.error?.code ?? null,
      ms: Math.round(performance.now() - started),
    };
    this.answers.push(recorded);
    return recorded;
  }

  /** Answers by status (and code): `{ '201': 12, '503 PIPELINE_STALLED': 3, … }`. */
  tally(): Record<string, number> {
    const tally: Record<string, number> = {};
    for (const a of this.answers) {
      const label = a.code ? `${a.status} ${a.code}` : String(a.status);
      tally[label] = (tally[label] ?? 0) + 1;
    }
    return tally;
  }

  slowestMs(): number {
    return Math.max(0, ...this.answers.map((a) => a.ms));
  }
}

/** Where the truth of one sale is: its PostgreSQL schema and its Redis keys. */
export interface SaleTruth {
  db: pg.Pool;
  schema: string;
  redis: Redis;
  /** The deployment's key prefix (`<namespace>:`). */
  keyPrefix: string;
  saleId: string;
}

const FINAL = ['CONFIRMED', 'FAILED', 'COMPENSATED'];

/**
 * Holds every answer against PostgreSQL and Redis once the pipeline has settled (waiting up to
 * `settleMs` for every acknowledged reservation to reach a final state):
 * - every held answer (201/200) of one key names the same reservation, and that reservation
 *   ends in exactly one final state in PostgreSQL: nothing acknowledged is missing;
 * - a key answered only 5xx left nothing anywhere: no hold in Redis, no row in PostgreSQL;
 * - a key whose outcome the buyer did not learn (202, or the connection broke) ends either with
 *   nothing, or with a final row;
 * - no seat is sold twice, Redis's stock never went below zero and its counts add up, and the
 *   seats Redis says are sold are the ones PostgreSQL says are sold.
 * Answers the final states, for the test's printout.
 */
export async function auditAnswers(
  log: AnswerLog,
  truth: SaleTruth,
  settleMs: number,
): Promise<Record<string, number>> {
  const byKey = new Map<string, RecordedAnswer[]>();
  for (const answer of log.answers) byKey.set(answer.key, [...(byKey.get(answer.key) ?? []), answer]);
  const acknowledged = new Set<string>();
  for (const [key, answers] of byKey) {
    const held = new Set(
      answers.filter((a) => a.status === 200 || a.status === 201).map((a) => a.reservationId),
    );
    expect(held.size, `key ${key}: every held answer names one reservation`).toBeLessThanOrEqual(1);
    for (const id of held) if (id) acknowledged.add(id);
  }
  const idem = `${truth.keyPrefix}sr:{${truth.saleId}}:idem`;
  // a key whose outcome the buyer did not learn (202, or the connection broke) may have made its
  // hold after all: then it is in the outbox, and must reach a final state like any other
  for (const [key, answers] of byKey) {
    if (!answers.every((a) => a.status === 202 || a.status === 0)) continue;
    const made = await truth.redis.hget(idem, key);
    if (made) acknowledged.add(made);
  }

  const rows = async () =>
    (
      await truth.db.query<{
        reservation_id: string;
        status: string;
        idempotency_key: string;
        failure_reason: string | null;
      }>(
        `SELECT reservation_id, status, idempotency_key, failure_reason FROM ${truth.schema}.reservations WHERE sale_id = $1`,
        [truth.saleId],
      )
    ).rows;
  const deadline = Date.now() + settleMs;
  let missing: string[] = [];
  for (;;) {
    const final = new Set(
      (await rows()).filter((r) => FINAL.includes(r.status)).map((r) => r.reservation_id),
    );
    missing = [...acknowledged].filter((id) => !final.has(id));
    if (missing.length === 0 || Date.now() > deadline) break;
    await sleep(500);
  }
  expect(missing, 'acknowledged reservations without a final state in PostgreSQL').toEqual([]);

  const all = await rows();
  const keysInPg = new Set(all.map((r) => r.idempotency_key));
  for (const [key, answers] of byKey) {
    if (!answers.every((a) => a.status >= 500 || a.status === 0)) continue;
    if (answers.some((a) => a.status === 0)) continue; // the connection broke: the buyer heard nothing
    expect(keysInPg.has(key), `key ${key} was answered 5xx, yet PostgreSQL has its row`).toBe(false);
    expect(
      await truth.redis.hget(idem, key),
      `key ${key} was answered 5xx, yet Redis has its hold`,
    ).toBeNull();
  }

  const { rows: doubles } = await truth.db.query(
    `SELECT seat, count(*) FROM ${truth.schema}.reservations, unnest(seat_ids) AS seat
      WHERE sale_id = $1 AND status = 'CONFIRMED' GROUP BY seat HAVING count(*) > 1`,
    [truth.saleId],
  );
  expect(doubles, 'seats sold twice').toEqual([]);
  const meta = await truth.redis.hgetall(`${truth.keyPrefix}sr:{${truth.saleId}}:meta`);
  const available = Number(await truth.redis.get(`${truth.keyPrefix}sr:{${truth.saleId}}:stock`));
  expect(available, 'Redis stock').toBeGreaterThanOrEqual(0);
  expect(available + Number(meta.held) + Number(meta.confirmed)).toBe(Number(meta.initialStock));
  const seats = await truth.redis.hgetall(`${truth.keyPrefix}sr:{${truth.saleId}}:seats`);
  const soldInRedis = Object.keys(seats)
    .filter((seat) => seats[seat] === 'C')
    .sort();
  const { rows: sold } = await truth.db.query<{ seat: string }>(
    `SELECT unnest(seat_ids) AS seat FROM ${truth.schema}.reservations WHERE sale_id = $1 AND status = 'CONFIRMED'`,
    [truth.saleId],
  );
  expect(soldInRedis, 'seats sold in Redis and in PostgreSQL').toEqual(sold.map((r) => r.seat).sort());

  const finals: Record<string, number> = {};
  for (const row of all.filter((r) => acknowledged.has(r.reservation_id))) {
    const label = row.failure_reason ? `${row.status} ${row.failure_reason}` : row.status;
    finals[label] = (finals[label] ?? 0) + 1;
  }
  return finals;
}

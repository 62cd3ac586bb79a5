import { ConfigurationError, type DomainEvent } from '@seatrush/core';
import { SeatMapQuery, validate } from '@seatrush/core/ports';
import type { PgConnection } from '../connection';
import { translatePgError } from '../errors';
import { migrate } from '../migrations';
import { qualified } from '../sql-names';
import { PgProjector } from './pg-projector';
import { PgReadModel } from './pg-read-model';

/** One place where the rebuilt views disagree with the live ones. */
export interface ReadSideDifference {
  view: 'seats' | 'reservations' | 'stats' | 'events';
  /** The seat, reservation, minute (`minute:<ms>`), total (`totals`) or event id that differs. */
  key: string;
  live: unknown;
  rebuilt: unknown;
}

/** What {@link rebuildReadSide} did and found. */
export interface ReadSideRebuild {
  saleId: string;
  /** The schema the views were rebuilt in. */
  schema: string;
  /** Events of the sale read from the stream (duplicates included). */
  events: number;
  /** Distinct events applied to the new views. */
  applied: number;
  /** Empty when the rebuilt views equal the live ones. */
  differences: ReadSideDifference[];
}

/**
 * Replays a sale's events into the read tables of a NEW schema and compares the views with the
 * live ones: the read side's event sourcing check. `events` is the sale's stream from offset 0 —
 * e.g. what kafka-adapter's `readTopic` reads from each projected topic, parsed; events of other
 * sales are skipped. The new schema is migrated first; it must not hold events of the sale yet.
 * Reads of the live views go through the live connection's replica pool, so a live projector
 * that still lags shows up as differences: stop it, or compare once its lag is 0.
 * @throws ValidationError for a malformed sale id; ConfigurationError when the new schema already
 *   holds events of the sale or is the live schema.
 */
export async function rebuildReadSide(input: {
  saleId: string;
  events: AsyncIterable<DomainEvent> | Iterable<DomainEvent>;
  live: PgConnection;
  into: PgConnection;
  /** Events per transaction (default 500). */
  batchSize?: number;
}): Promise<ReadSideRebuild> {
  const saleId = validate('read-side rebuild', SeatMapQuery, { saleId: input.saleId }).saleId;
  const { live, into } = input;
  if (live.schema === into.schema && live.primary === into.primary) {
    throw new ConfigurationError('rebuildReadSide needs a schema other than the live one');
  }
  await migrate(into.primary, { schema: into.schema });
  const existing = await into.primary
    .query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${qualified(into.schema, 'read_events')} WHERE sale_id = $1`,
      [saleId],
    )
    .catch((error) => {
      throw translatePgError('rebuild check', error);
    });
  if ((existing.rows[0]?.n ?? 0) > 0) {
    throw new ConfigurationError(`schema ${into.schema} already holds read-side events of sale ${saleId}`);
  }
  const projector = new PgProjector(into);
  const batchSize = input.batchSize ?? 500;
  let batch: DomainEvent[] = [];
  let events = 0;
  let applied = 0;
  for await (const event of input.events) {
    if (event.saleId !== saleId) continue;
    events += 1;
    batch.push(event);
    if (batch.length >= batchSize) {
      applied += (await projector.apply(batch)).applied;
      batch = [];
    }
  }
  if (batch.length > 0) applied += (await projector.apply(batch)).applied;
  return {
    saleId,
    schema: into.schema,
    events,
    applied,
    differences: await compareReadSides(saleId, live, into),
  };
}

/** The differences between two schemas' views of one sale (empty when they agree). */
export async function compareReadSides(
  saleId: string,
  live: PgConnection,
  rebuilt: PgConnection,
): Promise<ReadSideDifference[]> {
  const id = validate('read-side comparison', SeatMapQuery, { saleId }).saleId;
  const [a, b] = [new PgReadModel(live), new PgReadModel(rebuilt)];
  const differences: ReadSideDifference[] = [];
  const diff = <T>(view: ReadSideDifference['view'], left: Map<string, T>, right: Map<string, T>) => {
    for (const key of new Set([...left.keys(), ...right.keys()])) {
      const [l, r] = [left.get(key), right.get(key)];
      if (JSON.stringify(l) !== JSON.stringify(r))
        differences.push({ view, key, live: l ?? null, rebuilt: r ?? null });
    }
  };
  const bySeat = async (model: PgReadModel) =>
    new Map((await model.seatMap({ saleId: id })).map((seat) => [seat.seatId, seat]));
  diff('seats', await bySeat(a), await bySeat(b));
  const stats = async (model: PgReadModel) => {
    const view = await model.saleStats({ saleId: id });
    return new Map<string, unknown>([
      ['totals', view.totals],
      ['unitsHeld', view.unitsHeld],
      ...view.series.map((minute) => [`minute:${minute.at}`, minute] as [string, unknown]),
    ]);
  };
  diff('stats', await stats(a), await stats(b));
  diff('reservations', await reservationsOf(live, id), await reservationsOf(rebuilt, id));
  diff('events', await eventIdsOf(live, id), await eventIdsOf(rebuilt, id));
  return differences;
}

async function reservationsOf(db: PgConnection, saleId: string): Promise<Map<string, unknown>> {
  try {
    const { rows } = await db.replica.query<{ reservation_id: string }>(
      `SELECT reservation_id, user_id, quantity, seat_ids, amount_cents, state, held_at, expires_at, settled_at, reason
       FROM ${qualified(db.schema, 'read_reservations')} WHERE sale_id = $1`,
      [saleId],
    );
    return new Map(rows.map((row) => [row.reservation_id, row]));
  } catch (error) {
    throw translatePgError('read-side reservations', error);
  }
}

async function eventIdsOf(db: PgConnection, saleId: string): Promise<Map<string, unknown>> {
  try {
    const { rows } = await db.replica.query<{ event_id: string; type: string }>(
      `SELECT event_id, type FROM ${qualified(db.schema, 'read_events')} WHERE sale_id = $1`,
      [saleId],
    );
    return new Map(rows.map((row) => [row.event_id, row.type]));
  } catch (error) {
    throw translatePgError('read-side events', error);
  }
}

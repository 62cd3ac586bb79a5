import { InfrastructureError, SeatRushError, ValidationError } from '@seatrush/core';

/**
 * The database refused to confirm a seat that another reservation already holds confirmed: the
 * `sold_seats` primary key makes a second sale of a seat impossible, whatever wrote the row.
 * Reaching it means an upstream guard (the hold in the inventory store) failed; nothing was written.
 */
export class SeatAlreadySoldError extends SeatRushError {
  readonly saleId: string;
  readonly seatId: string;

  constructor(saleId: string, seatId: string, options?: { cause?: unknown }) {
    super('SEAT_ALREADY_SOLD', `seat ${seatId} of sale ${saleId} is already sold`, options);
    this.saleId = saleId;
    this.seatId = seatId;
  }
}

/** A migration could not be applied, or an applied migration was edited afterwards. */
export class MigrationError extends SeatRushError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MIGRATION_FAILED', message, options);
  }
}

/** The fields of a PostgreSQL error `pg` reports (SQLSTATE code, constraint, detail). */
interface PgErrorFields {
  code?: string;
  constraint?: string;
  detail?: string;
  table?: string;
}

function fieldsOf(error: unknown): PgErrorFields {
  return typeof error === 'object' && error !== null ? (error as PgErrorFields) : {};
}

/** SQLSTATE class 23 (integrity constraint violation) and the data exceptions of class 22. */
const CONSTRAINT_VIOLATION = /^2[23]/;

/**
 * Turns what `pg` threw into SeatRush's typed errors: a broken constraint becomes a
 * `ValidationError` (the database refused the data and rolled the statement back), a second
 * confirmed sale of a seat a `SeatAlreadySoldError`, anything else an `InfrastructureError` with
 * the original as `cause`. Errors that are already typed pass through.
 */
export function translatePgError(what: string, error: unknown): Error {
  if (error instanceof SeatRushError) return error;
  const { code, constraint, detail } = fieldsOf(error);
  if (code === '23505' && constraint === 'sold_seats_one_confirmed_reservation_per_seat') {
    // detail: Key (sale_id, seat_id)=(s1, A1) already exists.
    const match = /=\((.*), (.*)\)/.exec(detail ?? '');
    return new SeatAlreadySoldError(match?.[1] ?? '?', match?.[2] ?? '?', { cause: error });
  }
  if (code !== undefined && CONSTRAINT_VIOLATION.test(code)) {
    const message = error instanceof Error ? error.message : String(error);
    const validation = new ValidationError(what, [
      { path: constraint ?? '', message: detail ? `${message} (${detail})` : message },
    ]);
    (validation as { cause?: unknown }).cause = error;
    return validation;
  }
  const message = error instanceof Error ? error.message : String(error);
  return new InfrastructureError(`PostgreSQL failed during ${what}: ${message}`, { cause: error });
}

import {
  ConfigurationError,
  InfrastructureError,
  type ReservationRepository,
  type ReservationRow,
  SeatRushError,
  ValidationError,
} from '@seatrush/core';
import { checkRows } from './repository/validation';

/** How a `ReservationBatchWriter` groups writes. */
export interface BatchWriterOptions {
  /** A batch is written as soon as it holds this many rows (default 500). */
  maxBatchSize?: number;
  /** …or this long after its first row arrived, whichever comes first (default 20 ms). */
  maxDelayMs?: number;
}

/** Where one written row ended up. */
export type BatchWriteOutcome = 'inserted' | 'existing';

interface Pending {
  row: ReservationRow;
  resolve: (outcome: BatchWriteOutcome) => void;
  reject: (error: unknown) => void;
}

/**
 * Collects single reservation writes from many concurrent callers (for example one per Kafka
 * message) and writes them with `insertMany`, one round trip per batch, flushing when a batch is
 * full or when its oldest row has waited `maxDelayMs` — collect by count or by time, then write in
 * one go (docs/design.md §Database write path), with small batches so transactions stay short.
 *
 * Each caller learns its own row's outcome. A bad row is refused to its caller alone before it
 * joins a batch; when the database refuses a batch for one row's sake (unknown sale, seat already
 * sold) the batch is split and each row written alone, so other callers' rows still land. An
 * infrastructure failure rejects every caller of the batch: writes are idempotent, so they retry.
 */
export class ReservationBatchWriter {
  readonly #repository: ReservationRepository;
  readonly #maxBatchSize: number;
  readonly #maxDelayMs: number;
  #pending: Pending[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #inFlight = new Set<Promise<void>>();
  #closed = false;

  /** @throws ConfigurationError when a size or delay is not a positive integer. */
  constructor(repository: ReservationRepository, options: BatchWriterOptions = {}) {
    this.#repository = repository;
    this.#maxBatchSize = options.maxBatchSize ?? 500;
    this.#maxDelayMs = options.maxDelayMs ?? 20;
    for (const [name, value] of [
      ['maxBatchSize', this.#maxBatchSize],
      ['maxDelayMs', this.#maxDelayMs],
    ] as const) {
      if (!Number.isInteger(value) || value <= 0) {
        throw new ConfigurationError(`${name} must be a positive integer (got ${value})`);
      }
    }
  }

  /** Rows waiting for the next flush. */
  get buffered(): number {
    return this.#pending.length;
  }

  /**
   * Queues one row; resolves once it is in the database (`inserted`, or `existing` when it was
   * there already), rejects when it could not be written.
   * @throws ValidationError (as a rejection) for a bad row, before it joins a batch.
   */
  write(row: ReservationRow): Promise<BatchWriteOutcome> {
    if (this.#closed) return Promise.reject(new InfrastructureError('the batch writer is closed'));
    let valid: ReservationRow;
    try {
      [valid] = checkRows([row]) as [ReservationRow];
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<BatchWriteOutcome>((resolve, reject) => {
      this.#pending.push({ row: valid, resolve, reject });
      if (this.#pending.length >= this.#maxBatchSize) this.#flushNow();
      else this.#timer ??= setTimeout(() => this.#flushNow(), this.#maxDelayMs);
    });
  }

  /** Writes what is buffered now and waits for every batch in flight. */
  async flush(): Promise<void> {
    this.#flushNow();
    await Promise.all([...this.#inFlight]);
  }

  /** Flushes, then refuses further writes. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  #flushNow(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, this.#maxBatchSize);
      const run = this.#writeBatch(batch).finally(() => this.#inFlight.delete(run));
      this.#inFlight.add(run);
    }
  }

  async #writeBatch(batch: Pending[]): Promise<void> {
    try {
      settle(batch, await this.#repository.insertMany(batch.map((p) => p.row)));
    } catch (error) {
      if (batch.length > 1 && refusedForOneRow(error)) {
        await Promise.all(batch.map((pending) => this.#writeBatch([pending])));
        return;
      }
      for (const pending of batch) pending.reject(error);
    }
  }
}

/** The first caller of a reservation id gets the insert; a repeat of it within the batch, `existing`. */
function settle(batch: Pending[], result: { inserted: string[] }): void {
  const inserted = new Set(result.inserted);
  for (const pending of batch) {
    const id = pending.row.reservationId;
    pending.resolve(inserted.delete(id) ? 'inserted' : 'existing');
  }
}

/** A refusal caused by the data of some row, as opposed to the database being unreachable. */
function refusedForOneRow(error: unknown): boolean {
  return (
    error instanceof ValidationError || (error instanceof SeatRushError && error.code === 'SEAT_ALREADY_SOLD')
  );
}

import { createHash } from 'node:crypto';
import {
  ConfigurationError,
  type InventorySnapshot,
  type ReconciliationRecord,
  type ReservationRepository,
  type ReservationRow,
  type ReservationStatusChange,
  type SaleDefinition,
  type SaleDefinitionInput,
  type SaleTotals,
} from '@seatrush/core';
import { insertReport } from './repository/rows';
import { checkRows, checkSaleId } from './repository/validation';

/**
 * The shard (0 … shardCount − 1) that owns a sale: a stable hash of the sale id, so every process
 * agrees without coordination. Changing the shard count moves sales: add shards between sales.
 */
export function shardOfSale(saleId: string, shardCount: number): number {
  return createHash('sha256').update(saleId).digest().readUInt32BE(0) % shardCount;
}

/**
 * Sharding by sale id (docs/design.md §Database write path): each sale's rows live on one shard —
 * its own PostgreSQL server (or schema), each a `PgReservationRepository` — so write load spreads
 * across servers while every per-sale invariant (one confirmed reservation per seat, unique
 * idempotency key, totals) stays inside one database.
 *
 * Calls that name a sale go to its shard. `get` and `transition` know only a reservation id, so
 * they ask every shard at once (the id lives on one; the guarded update matches nowhere else).
 * A batch spanning several shards is written per shard: each part is all or nothing, and since
 * writes are idempotent a failed batch is simply retried whole. Reservation ids are unique per
 * shard; across shards they rely on being generated unique (core makes them random).
 */
export class ShardedReservationRepository implements ReservationRepository {
  readonly #shards: readonly ReservationRepository[];

  /** @throws ConfigurationError when no shard is given. */
  constructor(shards: readonly ReservationRepository[]) {
    if (shards.length === 0) throw new ConfigurationError('at least one shard is required');
    this.#shards = shards;
  }

  /** The repository owning `saleId`. */
  shardFor(saleId: string): ReservationRepository {
    return this.#shards[shardOfSale(checkSaleId(saleId), this.#shards.length)] as ReservationRepository;
  }

  /** Saves the sale on its shard. */
  saveSale(sale: SaleDefinition | SaleDefinitionInput): Promise<void> {
    return this.shardFor((sale as { id: string }).id).saveSale(sale as SaleDefinition);
  }

  /** The sale's definition, from its shard. */
  getSale(saleId: string): Promise<SaleDefinition | null> {
    return this.shardFor(saleId).getSale(saleId);
  }

  /** Every shard's open sales. */
  async listOpenSales(): Promise<SaleDefinition[]> {
    return (await Promise.all(this.#shards.map((shard) => shard.listOpenSales()))).flat();
  }

  /** Records the close on the sale's shard. */
  recordSaleClosed(saleId: string, at: number): Promise<void> {
    return this.shardFor(saleId).recordSaleClosed(saleId, at);
  }

  /** The warm-up snapshot, from the sale's shard. */
  loadSnapshot(saleId: string): Promise<InventorySnapshot | null> {
    return this.shardFor(saleId).loadSnapshot(saleId);
  }

  /**
   * Validates the whole batch first (bad input changes nothing anywhere), then writes each shard's
   * part in parallel and reports per input row as `insertMany` does.
   */
  async insertMany(input: ReservationRow[]): Promise<{ inserted: string[]; existing: string[] }> {
    const rows = checkRows(input);
    const parts = new Map<number, ReservationRow[]>();
    for (const row of rows) {
      const shard = shardOfSale(row.saleId, this.#shards.length);
      parts.set(shard, [...(parts.get(shard) ?? []), row]);
    }
    const results = await Promise.all(
      [...parts].map(([shard, part]) => (this.#shards[shard] as ReservationRepository).insertMany(part)),
    );
    return insertReport(
      rows,
      results.flatMap((r) => r.inserted),
    );
  }

  /** Asks every shard; true when the one holding the reservation moved it. */
  async transition(input: ReservationStatusChange): Promise<boolean> {
    const moved = await Promise.all(this.#shards.map((shard) => shard.transition(input)));
    return moved.includes(true);
  }

  /** Asks every shard; the reservation lives on at most one. */
  async get(reservationId: string): Promise<ReservationRow | null> {
    const found = await Promise.all(this.#shards.map((shard) => shard.get(reservationId)));
    return found.find((row) => row !== null) ?? null;
  }

  /** The sale's totals, from its shard. */
  totals(saleId: string): Promise<SaleTotals> {
    return this.shardFor(saleId).totals(saleId);
  }

  /** Records the run on the sale's shard. */
  recordReconciliation(record: ReconciliationRecord): Promise<void> {
    return this.shardFor(record?.saleId).recordReconciliation(record);
  }

  /** The sale's latest run, from its shard. */
  async lastReconciliation(saleId: string): Promise<ReconciliationRecord | null> {
    return (await this.shardFor(saleId).lastReconciliation?.(saleId)) ?? null;
  }
}

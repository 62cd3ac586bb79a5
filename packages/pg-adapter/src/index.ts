export { type BatchWriteOutcome, type BatchWriterOptions, ReservationBatchWriter } from './batch-writer';
export { type PgPorts, type PgPortsOptions, pgPorts } from './bundle';
export { PgCheckoutStore } from './checkout/pg-checkout-store';
export { type CliIo, runCli } from './cli/run';
export type { PgAdapterOptions, ResolvedPgAdapterOptions } from './config';
export { resolvePgAdapterOptions } from './config';
export {
  createPgConnection,
  inTransaction,
  type OwnedPgConnection,
  type PgConnection,
  usePools,
  withClient,
} from './connection';
export { MigrationError, SeatAlreadySoldError, translatePgError } from './errors';
export {
  type Migration,
  type MigrationReport,
  type MigrationStatus,
  migrate,
  migrationStatus,
  migrations,
} from './migrations';
export * from './read-side';
export { PgReservationRepository, partitionNameOf } from './repository/pg-reservation-repository';
export { PgSaleMaintenance, REPORTING_INDEXES } from './sale-maintenance';
export { ShardedReservationRepository, shardOfSale } from './sharding';
export { PgStockAudit, type StockChangedEvent, type StockReplay } from './stock-audit';

import {
  type CheckoutStore,
  ConfigurationError,
  type DependencyHealth,
  type NotificationOutbox,
  type ReservationRepository,
} from '@seatrush/core';
import { probeDependency } from '@seatrush/core/ports';
import type pg from 'pg';
import { PgCheckoutStore } from './checkout/pg-checkout-store';
import { usePools } from './connection';
import { migrate, migrationStatus } from './migrations';
import { PgProjector } from './read-side/pg-projector';
import { PgReadModel } from './read-side/pg-read-model';
import { PgReservationRepository } from './repository/pg-reservation-repository';

/** Options of {@link pgPorts}. */
export interface PgPortsOptions {
  /** The schema holding SeatRush's tables (the namespace of one deployment); `seatrush` by default. */
  schema?: string;
  /** A read replica's pool, for lag-tolerant reads; the primary by default. */
  replica?: pg.Pool;
  /**
   * `verify` (default): `verify()` refuses a schema with pending migrations (run `seatrush-pg
   * migrate`, or `migrate: 'apply'`); `apply`: `verify()` applies them (safe with several
   * instances: migrations take an advisory lock).
   */
  migrate?: 'verify' | 'apply';
}

/** The source-of-truth part of a runtime's ports: what `pgPorts` gives. */
export interface PgPorts {
  repository: ReservationRepository;
  /**
   * The buyer-driven checkout's records (payments, webhook receipts, final steps with their
   * notification): pass it as `checkout.store` of `createSeatRushRuntime`, with `notifications`.
   */
  checkout: CheckoutStore;
  /** The notification outbox `checkout.settle` writes to: pass it as `checkout.outbox`. */
  notifications: NotificationOutbox;
  /**
   * The read side's views (seat map, sale stats, buyer history, seat audit), read through the
   * replica pool when one is given: serve reads from it, never from the hot store.
   */
  readModel: PgReadModel;
  /**
   * Builds those views: run it on a consumer group of its own, e.g.
   * `ports.consumer('seatrush-projector').start({ types: [...PROJECTED_EVENT_TYPES], handler: projector })`.
   */
  projector: PgProjector;
  /** Checks (or applies) the schema's migrations. */
  verify(): Promise<void>;
  /** `postgres`: whether the primary answers a query within 2 s. */
  health(): Promise<Record<string, DependencyHealth>>;
}

/**
 * The PostgreSQL bundle of a `createSeatRushRuntime`: the reservation repository over a pool the
 * host owns, in one schema. The host closes its pool; the bundle opens nothing of its own.
 *
 * @throws ConfigurationError when the schema name is invalid.
 */
export function pgPorts(pool: pg.Pool, options: PgPortsOptions = {}): PgPorts {
  const connection = usePools({
    primary: pool,
    ...(options.replica ? { replica: options.replica } : {}),
    ...(options.schema ? { schema: options.schema } : {}),
  });
  const checkout = new PgCheckoutStore(connection);
  return {
    repository: new PgReservationRepository(connection),
    checkout,
    notifications: checkout,
    readModel: new PgReadModel(connection),
    projector: new PgProjector(connection),
    async verify() {
      if (options.migrate === 'apply') {
        await migrate(pool, { schema: connection.schema });
        return;
      }
      const { pending } = await migrationStatus(pool, { schema: connection.schema });
      if (pending.length > 0) {
        throw new ConfigurationError(
          `PostgreSQL schema ${connection.schema} lacks migrations ${pending.map((m) => m.version).join(', ')}: run \`seatrush-pg migrate\` or pass migrate: 'apply'`,
        );
      }
    },
    async health() {
      return { postgres: await probeDependency(() => pool.query('SELECT 1'), `schema ${connection.schema}`) };
    },
  };
}

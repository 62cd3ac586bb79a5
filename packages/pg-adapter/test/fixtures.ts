import { assignedInventory, reservationRow, seatRow } from '@seatrush/conformance';
import { parseSaleDefinition, type ReservationRow, type SaleDefinitionInput } from '@seatrush/core';
import { uniqueName } from '@seatrush/test-support';
import pg from 'pg';
import { inject } from 'vitest';
import { createPgConnection, migrate, type OwnedPgConnection, PgReservationRepository } from '../src';

/** The test database's URL, from the integration project's global setup. */
export const databaseUrl = (): string => inject('services').databaseUrl;

/** A migrated schema of its own, and a way to drop it again. */
export interface FreshSchema {
  connection: OwnedPgConnection;
  repository: PgReservationRepository;
  schema: string;
  dispose(): Promise<void>;
}

/** A new schema (unique name), migrated, with a repository over it; `dispose` drops it. */
export async function freshSchema(pool: { max?: number } = {}): Promise<FreshSchema> {
  const schema = uniqueName('sr_pg');
  const connection = createPgConnection({
    connectionString: databaseUrl(),
    schema,
    pool: { max: pool.max ?? 4 },
    applicationName: schema,
  });
  await migrate(connection.primary, { schema });
  return {
    connection,
    repository: new PgReservationRepository(connection),
    schema,
    async dispose() {
      await dropSchema(schema);
      await connection.close();
    },
  };
}

/** A one-connection pool on `schema` whose statements give up on a lock after `lockTimeoutMs`. */
export function impatientConnection(schema: string, lockTimeoutMs: number): OwnedPgConnection {
  return createPgConnection({ connectionString: databaseUrl(), schema, pool: { max: 1 }, lockTimeoutMs });
}

/** Drops a test schema over a connection of its own. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl() });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
  } finally {
    await client.end();
  }
}

/** A general-admission sale. */
export function generalSale(id: string, capacity = 100, overrides: Partial<SaleDefinitionInput> = {}) {
  return parseSaleDefinition({
    id,
    name: `General ${id}`,
    inventory: { kind: 'general', capacity, tier: 'std' },
    tiers: [{ id: 'std', name: 'Standard', priceCents: 5_000 }],
    opensAt: 1_000,
    admission: { usersPerInterval: 10, maxActive: 100 },
    ...overrides,
  });
}

/** An assigned-seating sale with one section, one row and seats `A1`…`A<count>`. */
export function seatedSale(id: string, count = 10) {
  return parseSaleDefinition({
    id,
    name: `Seated ${id}`,
    inventory: assignedInventory(seatRow('A', count, { label: (n) => `A ${n}` })),
    tiers: [{ id: 'std', name: 'Standard', priceCents: 7_500 }],
    opensAt: 1_000,
    admission: { usersPerInterval: 10, maxActive: 100 },
  });
}

/** A REQUESTED reservation row numbered `n` (its ids, user and times follow `n`); override any field. */
export function reservation(
  saleId: string,
  n: number,
  overrides: Partial<ReservationRow> = {},
): ReservationRow {
  return reservationRow(saleId, {
    reservationId: `${saleId}-r${n}`,
    userId: `u${n}`,
    idempotencyKey: `k${n}`,
    createdAt: 10_000 + n,
    updatedAt: 10_000 + n,
    ...overrides,
  });
}

/** Counts the rows of a table of the schema. */
export async function countRows(
  connection: OwnedPgConnection,
  table: string,
  where = 'true',
): Promise<number> {
  const { rows } = await connection.primary.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${pg.escapeIdentifier(connection.schema)}.${pg.escapeIdentifier(table)} WHERE ${where}`,
  );
  return rows[0]?.n ?? 0;
}

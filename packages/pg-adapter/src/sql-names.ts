import { ConfigurationError } from '@seatrush/core';
import pg from 'pg';

/** Schema names are built into SQL text, so they are restricted to a plain lower-case identifier. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Checks a schema name and answers it.
 * @throws ConfigurationError when the name is not a plain lower-case identifier.
 */
export function checkSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new ConfigurationError(`schema must match ${SCHEMA_NAME} (got ${JSON.stringify(schema)})`);
  }
  return schema;
}

/** `"schema"`, for SQL text. */
export function quotedSchema(schema: string): string {
  return pg.escapeIdentifier(schema);
}

/** `"schema"."table"`, for SQL text (the schema name was validated; quoting keeps it exact). */
export function qualified(schema: string, table: string): string {
  return `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(table)}`;
}

/** The tables a store uses, by the role it knows each by, each `qualified` by `schema`. */
export function qualifiedTables<Role extends string>(
  schema: string,
  tables: Record<Role, string>,
): Record<Role, string> {
  const entries = Object.entries<string>(tables).map(([role, table]) => [role, qualified(schema, table)]);
  return Object.fromEntries(entries) as Record<Role, string>;
}

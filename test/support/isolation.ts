import { randomBytes } from 'node:crypto';

let counter = 0;

/**
 * A name no other test, worker or earlier run uses: tests build their Redis key prefixes, schema
 * names and topic names from it, so runs never see each other's data and can run twice in a row.
 * Only [a-z0-9_] so it is a safe Redis id, SQL identifier and Kafka topic name alike.
 */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}_${process.pid}_${counter}_${randomBytes(3).toString('hex')}`.toLowerCase();
}

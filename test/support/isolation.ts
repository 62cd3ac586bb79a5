import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';

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

/** A TCP port free on loopback right now: for a server a test starts itself. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

import { describeCheckoutStore } from '@seatrush/conformance';
import { PgCheckoutStore } from '../src';
import { freshSchema } from './fixtures';

// The checkout store suite against real PostgreSQL (migration 3): each check gets its own schema.
describeCheckoutStore('PostgreSQL', async () => {
  const { connection, repository, dispose } = await freshSchema({ max: 10 });
  const store = new PgCheckoutStore(connection);
  return { store, outbox: store, repository, dispose };
});

import { describeReservationRepository } from '@seatrush/conformance';
import { freshSchema } from './fixtures';

// The core repository suite against real PostgreSQL: each check gets its own migrated schema.
describeReservationRepository('PostgreSQL', async () => {
  const { repository, dispose } = await freshSchema({ max: 10 });
  return { repository, dispose };
});

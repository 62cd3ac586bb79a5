import {
  MemoryCheckoutStore,
  MemoryNotificationOutbox,
  MemoryReservationRepository,
} from '@seatrush/core/memory';
import { describeCheckoutStore } from '../src';

// The checkout store suite against its in-memory reference (beside the in-memory repository).
describeCheckoutStore('memory', async () => {
  const repository = new MemoryReservationRepository();
  const outbox = new MemoryNotificationOutbox();
  return { store: new MemoryCheckoutStore(repository, outbox), outbox, repository };
});

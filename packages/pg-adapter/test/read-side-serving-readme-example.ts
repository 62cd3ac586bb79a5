import { MemoryEventBus } from '@seatrush/core/memory';
import { holdStockChanged, reservationRequested } from '@seatrush/core/ports';
import {
  createPgConnection,
  migrate,
  PgProjector,
  PgReadModel,
  PROJECTOR_GROUP,
  ReadSide,
} from '@seatrush/pg-adapter';

const { DATABASE_URL = '', READ_SCHEMA = 'seatrush' } = process.env;
const db = createPgConnection({ connectionString: DATABASE_URL, schema: READ_SCHEMA }); // readReplicaUrl: reads go there
await migrate(db.primary, { schema: db.schema });
const bus = new MemoryEventBus(); // a host passes its Kafka consumer: kafkaPorts(…).consumer(PROJECTOR_GROUP)
const readSide = new ReadSide({
  model: new PgReadModel(db),
  projector: new PgProjector(db),
  consumer: bus.consumer(PROJECTOR_GROUP),
  maxStalenessMs: 5_000, // past it, reads are answered by the hot store, counted
  onWarning: (message, error) => console.warn(message, error),
});
readSide.start(); // the projector runs in the background; its lag is read every 500 ms
const hold = {
  reservationId: 'r-1',
  saleId: 'hall',
  userId: 'alice',
  idempotencyKey: 'k-1',
  quantity: 1,
  seatIds: ['A7'],
  status: 'HELD' as const,
  heldAt: 1_000,
  expiresAt: 301_000,
};
await bus.publish([
  reservationRequested(hold, 5_000, 1_000),
  holdStockChanged(hold, 'HELD', 1_000, 'stock-held-r-1'),
]);
const hotStoreSeatMap = async () => []; // a host reads its sale's seat map from the hot store here
const seatMap = () =>
  readSide.serve('seat-map', (views) => views.seatMap({ saleId: 'hall' }), hotStoreSeatMap);
console.log(await seatMap()); // { source: 'hot-store', fallback: 'stale', … }: not caught up yet
while (readSide.lag() !== 0) await new Promise((resolve) => setTimeout(resolve, 100));
console.log(await seatMap()); // { source: 'read-side', value: [{ seatId: 'A7', state: 'HELD', userId: 'alice', … }], … }
console.log(readSide.fallbacks('seat-map'), readSide.stalenessMs() <= 5_000); // 1 true
await readSide.stop(); // before the clients close
await db.close();

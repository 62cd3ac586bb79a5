import { holdStockChanged, reservationConfirmed, reservationRequested } from '@seatrush/core/ports';
import { createPgConnection, migrate, PgProjector, PgReadModel, rebuildReadSide } from '@seatrush/pg-adapter';

const { DATABASE_URL = '', READ_SCHEMA = 'seatrush' } = process.env;
const db = createPgConnection({ connectionString: DATABASE_URL, schema: READ_SCHEMA }); // readReplicaUrl: reads go there
await migrate(db.primary, { schema: db.schema });
const projector = new PgProjector(db); // a host runs it as the handler of ports.consumer('seatrush-projector')
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
const events = [
  reservationRequested(hold, 5_000, 1_000),
  holdStockChanged(hold, 'HELD', 1_000, 'stock-held-r-1'),
  reservationConfirmed(hold, 'pay-1', 5_000, 9_000),
  holdStockChanged(hold, 'CONFIRMED', 9_000, 'stock-confirmed-r-1'),
];
await projector.handleBatch(events.toReversed()); // any order
console.log(await projector.apply(events)); // { applied: 0, duplicates: 4 }: a replay changes nothing
const reads = new PgReadModel(db);
console.log(await reads.seatMap({ saleId: 'hall' })); // [{ seatId: 'A7', state: 'SOLD', userId: 'alice', … }]
console.log(await reads.auditOfSeat({ saleId: 'hall', seatId: 'A7' })); // who held or bought A7, and when
const into = createPgConnection({ connectionString: DATABASE_URL, schema: `${READ_SCHEMA}_rebuilt` });
console.log((await rebuildReadSide({ saleId: 'hall', events, live: db, into })).differences); // []
await Promise.all([db.close(), into.close()]);

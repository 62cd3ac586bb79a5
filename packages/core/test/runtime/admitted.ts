import type { RuntimeSale } from '../../src';

/** Joins, ticks the room and answers the buyer's admission token. */
export async function admitted(sale: RuntimeSale, userId: string): Promise<string> {
  await sale.queue.join({ userId });
  await sale.queue.tick();
  const token = (await sale.waitingRoom.status({ userId }))?.admissionToken;
  if (!token) throw new Error(`${userId} was not admitted`);
  return token;
}

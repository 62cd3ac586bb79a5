import { z } from 'zod';
import { IdempotencyKey, SaleId, SeatId, UserId } from '../common/ids';
import { validate } from '../common/validate';
import { HoldRecord, type InventorySteps } from '../ports/inventory-store';
import { fastValidate } from './fast-validate';
import {
  assertReservationIdFree,
  copyHold,
  type MemoryInventoryState,
  type SaleState,
  writeHold,
} from './inventory-state';

const OutcomeRef = z.object({ saleId: SaleId, idempotencyKey: IdempotencyKey });
const UserRef = z.object({ saleId: SaleId, userId: UserId });
const SeatRef = z.object({ saleId: SaleId, seatIds: z.array(SeatId) });
const FencingToken = z.number().int().nonnegative();
const StockChange = z.object({
  saleId: SaleId,
  quantity: z.number().int().positive(),
  fencingToken: FencingToken,
});
/** A stock change outside the fenced reconciler (built once: an `omit` per call cost a schema each). */
const StockChangeUnfenced = StockChange.omit({ fencingToken: true });
const WriteHoldInput = z.object({
  hold: HoldRecord.refine((hold) => hold.status === 'HELD', 'a new hold has status HELD'),
  fingerprint: z.string().min(1).max(1024),
  fencingToken: FencingToken,
});

/**
 * The lock strategy's building blocks over this same state. Each step is atomic alone; writes
 * refuse a fencing token lower than the highest one seen for the sale.
 */
export function memoryInventorySteps(state: MemoryInventoryState): InventorySteps {
  const sales = state.sales;
  const saleOf = (saleId: string) => state.sale(saleId);
  const enqueue = (saleId: string, reservationId: string, at: number) =>
    state.enqueue(saleId, reservationId, at);
  const fenced = (sale: SaleState, token: number): boolean => {
    if (token < sale.highestToken) return false;
    sale.highestToken = token;
    return true;
  };
  return {
    async findOutcome(saleId, idempotencyKey) {
      fastValidate('outcome reference', OutcomeRef, { saleId, idempotencyKey });
      const sale = sales.get(saleId);
      const outcome = sale?.outcomes.get(idempotencyKey);
      const hold = outcome && sale?.holds.get(outcome.reservationId);
      return outcome && hold ? { fingerprint: outcome.fingerprint, hold: copyHold(hold) } : null;
    },
    async unitsOfUser(saleId, userId) {
      fastValidate('user reference', UserRef, { saleId, userId });
      return sales.get(saleId)?.unitsPerUser.get(userId) ?? 0;
    },
    async seatStatesOf(saleId, seatIds) {
      fastValidate('seat reference', SeatRef, { saleId, seatIds });
      const sale = saleOf(saleId);
      return seatIds.map((id) => sale.seats.get(id)?.state);
    },
    async takeStock(saleId, quantity, fencingToken) {
      fastValidate('stock change', StockChange, { saleId, quantity, fencingToken });
      const sale = saleOf(saleId);
      if (!fenced(sale, fencingToken)) return 'STALE_TOKEN';
      if (sale.available < quantity) return 'SOLD_OUT';
      sale.available -= quantity;
      return 'TAKEN';
    },
    async returnStock(saleId, quantity) {
      fastValidate('stock change', StockChangeUnfenced, { saleId, quantity });
      const sale = saleOf(saleId);
      sale.available = Math.min(sale.available + quantity, sale.initialStock - sale.held - sale.confirmed);
    },
    async writeHold(hold, fingerprint, fencingToken) {
      const input = validate('hold write', WriteHoldInput, { hold, fingerprint, fencingToken });
      const sale = saleOf(input.hold.saleId);
      if (!fenced(sale, input.fencingToken)) return 'STALE_TOKEN';
      if (input.hold.seatIds.some((id) => sale.seats.get(id)?.state !== 'AVAILABLE')) return 'SEAT_TAKEN';
      assertReservationIdFree(sale, input.hold.reservationId);
      writeHold(sale, input.hold, input.fingerprint);
      enqueue(input.hold.saleId, input.hold.reservationId, input.hold.heldAt);
      return 'HELD';
    },
    async isWarm(saleId) {
      return sales.has(fastValidate('sale id', SaleId, saleId));
    },
  };
}

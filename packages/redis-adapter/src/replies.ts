import { type HoldRecord, InfrastructureError } from '@seatrush/core';
import { HoldStatus } from '@seatrush/core/ports';

/** A flat `field, value, …` list (HGETALL's reply) as an object. */
export function pairs(flat: unknown[], from = 0): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = from; i + 1 < flat.length; i += 2) out[String(flat[i])] = String(flat[i + 1]);
  return out;
}

/** A hold record as the scripts store it (see reserve.lua), or an error when it is not one. */
export function holdFrom(fields: Record<string, string>): HoldRecord & { fingerprint: string } {
  const status = HoldStatus.safeParse(fields.status);
  if (!status.success || !fields.reservationId) {
    throw new InfrastructureError(`Redis answered a malformed hold record: ${JSON.stringify(fields)}`);
  }
  return {
    reservationId: fields.reservationId,
    saleId: fields.saleId ?? '',
    userId: fields.userId ?? '',
    idempotencyKey: fields.idempotencyKey ?? '',
    quantity: Number(fields.quantity),
    seatIds: fields.seatIds ? fields.seatIds.split(',') : [],
    status: status.data,
    heldAt: Number(fields.heldAt),
    expiresAt: Number(fields.expiresAt),
    fingerprint: fields.fingerprint ?? '',
  };
}

/** The hold without the adapter's own bookkeeping (the fingerprint). */
export function publicHold(hold: HoldRecord & { fingerprint?: string }): HoldRecord {
  const { fingerprint: _fingerprint, ...record } = hold;
  return record;
}

/** A script's reply as a list; anything else means the server or the script misbehaved. */
export function asList(reply: unknown, script: string): unknown[] {
  if (!Array.isArray(reply)) throw new InfrastructureError(`script ${script} answered ${String(reply)}`);
  return reply;
}

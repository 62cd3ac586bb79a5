import type { HoldRecord, HoldStatus } from '@seatrush/core';
import { newHold as coreNewHold } from '@seatrush/core/ports';

/**
 * The call of a hold-making script (reserve.lua, reserve-group.lua): ONE key, the sale's meta
 * (the script builds the sale's other keys from it), and ARGV packed as
 * `includes/hold-request.lua` reads it. Built from a request validated once, at the store's
 * boundary; nothing here checks again.
 */
export interface HoldCall {
  reservationId: string;
  userId: string;
  idempotencyKey: string;
  fingerprint: string;
  /** The script's mode letter: reserve 'q' | 's', reserve-group 's' (split) | 'r' (refuse). */
  mode: string;
  requireAdmission: boolean;
  /**
   * Overrides the admission letter: '2' when the caller checked the admitted set itself and found
   * the user not admitted (a stripe of a striped sale has no admitted set; the script then
   * answers NOT_ADMITTED after the replay and the gate, where it checks admission).
   */
  admission?: '0' | '1' | '2';
  withTimer: boolean;
  units: number;
  holdMs: number;
  now: number;
  retentionMs: number;
  /** The outbox gate in ms; 0 = off. */
  relayLagLimitMs: number;
}

/** ARGV[1..5] of a hold-making script; the script's own arguments (seats, rows) follow. */
export function holdArgs(c: HoldCall): string[] {
  const admission = c.admission ?? (c.requireAdmission ? '1' : '0');
  const settings = `${c.mode}${admission}${c.withTimer ? 1 : 0}:${c.units}:${c.holdMs}:${c.now}:${c.retentionMs}:${c.relayLagLimitMs}`;
  return [c.reservationId, c.userId, c.idempotencyKey, c.fingerprint, settings];
}

/** The hold a script just made ({'HELD', …}): the request's own fields, as the script wrote them. */
export function newHold(saleId: string, c: HoldCall, seatIds: string[]): HoldRecord {
  return coreNewHold({ ...c, saleId }, c.units, seatIds);
}

/**
 * The original hold of a replay: {'REPLAYED', reservationId, saleId, userId, idempotencyKey,
 * quantity, seatIds, status, heldAt, expiresAt, adjacent} (HOLD_FIELDS of hold-preamble.lua).
 * The script wrote these fields itself, so they are read by position, not re-validated.
 */
export function replayedHold(reply: unknown[]): { hold: HoldRecord; adjacent: boolean } {
  const seatIds = reply[6] as string;
  return {
    hold: {
      reservationId: reply[1] as string,
      saleId: reply[2] as string,
      userId: reply[3] as string,
      idempotencyKey: reply[4] as string,
      quantity: Number(reply[5]),
      seatIds: seatIds ? seatIds.split(',') : [],
      status: reply[7] as HoldStatus,
      heldAt: Number(reply[8]),
      expiresAt: Number(reply[9]),
    },
    adjacent: reply[10] === '1',
  };
}

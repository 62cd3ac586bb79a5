import { z } from 'zod';
import { IdempotencyKey, ReservationId, SaleId, UserId } from '../common/ids';
import { validate } from '../common/validate';
import { Selection } from '../ports/inventory-store';

/**
 * Commands: what a client asks SeatRush to do. Like the events they are versioned (a client and
 * a server of different releases can tell what they are reading) and strict: an unknown key is
 * refused rather than ignored, so a misspelt field never passes for an absent one. Every
 * identifier is in the safe alphabet and every string is bounded, so a command can be turned
 * into store keys without escaping and cannot carry an oversize payload.
 */
const command = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.strictObject({
    type: z.literal(type),
    version: z.literal(1),
    saleId: SaleId,
    userId: UserId,
    /** Optional correlation id carried into logs and events. */
    traceId: z.string().min(1).max(128).optional(),
    ...shape,
  });

/** The answer to a challenge (proof of work or CAPTCHA) issued before joining. */
export const ChallengeAnswer = z.strictObject({
  challengeId: z.string().min(1).max(128),
  answer: z.string().min(1).max(256),
});
export type ChallengeAnswer = z.infer<typeof ChallengeAnswer>;

/** Take a place in the sale's waiting room (idempotent: joining again keeps the place). */
export const JoinQueueCommand = command('JoinQueue', {
  /** A client-side device fingerprint, for the bot guard's device rules. */
  deviceId: z.string().min(1).max(128).optional(),
  /** Present when the bot guard asked for a challenge. */
  challenge: ChallengeAnswer.optional(),
});
export type JoinQueueCommand = z.infer<typeof JoinQueueCommand>;

/** "Still here": keeps a waiting or admitted user from being evicted. */
export const HeartbeatCommand = command('Heartbeat', {});
export type HeartbeatCommand = z.infer<typeof HeartbeatCommand>;

/** Leave the waiting room (or give up an admission) on purpose. */
export const LeaveQueueCommand = command('LeaveQueue', {});
export type LeaveQueueCommand = z.infer<typeof LeaveQueueCommand>;

/** The hot path: hold units or seats. The idempotency key is required; a retry reuses it. */
export const ReserveCommand = command('Reserve', {
  /** The signed admission token the waiting room handed out. */
  admissionToken: z.string().min(1).max(1024),
  selection: Selection,
  idempotencyKey: IdempotencyKey,
});
export type ReserveCommand = z.infer<typeof ReserveCommand>;

/** Owner only: push a live hold's expiry further (e.g. while the payment page is open). */
export const ExtendHoldCommand = command('ExtendHold', { reservationId: ReservationId });
export type ExtendHoldCommand = z.infer<typeof ExtendHoldCommand>;

/** Owner only: give a live hold back. */
export const ReleaseHoldCommand = command('ReleaseHold', { reservationId: ReservationId });
export type ReleaseHoldCommand = z.infer<typeof ReleaseHoldCommand>;

/** Pay for a held reservation, which confirms it. Idempotent per key: one charge per key. */
export const PayCommand = command('Pay', {
  reservationId: ReservationId,
  idempotencyKey: IdempotencyKey,
  /** Opaque token from the host's payment form, passed to the PaymentGateway untouched. */
  paymentToken: z.string().min(1).max(512),
});
export type PayCommand = z.infer<typeof PayCommand>;

/** Cancel a reservation (held or confirmed): its stock goes back on sale. */
export const CancelCommand = command('Cancel', {
  reservationId: ReservationId,
  reason: z.string().min(1).max(200).optional(),
});
export type CancelCommand = z.infer<typeof CancelCommand>;

/** Any command, told apart by `type`. */
export const Command = z.discriminatedUnion('type', [
  JoinQueueCommand,
  HeartbeatCommand,
  LeaveQueueCommand,
  ReserveCommand,
  ExtendHoldCommand,
  ReleaseHoldCommand,
  PayCommand,
  CancelCommand,
]);
export type Command = z.infer<typeof Command>;
/** The type tags of `Command`. */
export type CommandType = Command['type'];
/** The command of one type, e.g. `CommandOf<'Reserve'>`. */
export type CommandOf<T extends CommandType> = Extract<Command, { type: T }>;
/** Every command type, for enumeration (routing tables, docs). */
export const COMMAND_TYPES = Command.options.map((option) => option.shape.type.value) as CommandType[];

/**
 * Parses any command.
 * @throws ValidationError listing every problem (unknown type or version, bad ids, oversize
 *   strings, unknown keys, a missing idempotency key…); nothing has been changed when it throws.
 */
export function parseCommand(input: unknown): Command {
  return validate('command', Command, input);
}

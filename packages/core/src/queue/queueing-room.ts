/**
 * The former names of the one waiting room. `WaitingRoom` and `QueueingRoom` were two rooms with
 * two `join`s, and the base room's `join` quietly ignored the queueing method, lanes and
 * passthrough; they are one class now, whose only `join` honours them (issue 22).
 */
import {
  type JoinInput as BaseJoinInput,
  JoinInput as BaseJoinInputSchema,
  type JoinOutcome,
  type TickReport,
  WaitingRoom,
  type WaitingRoomOptions,
} from './waiting-room';

/** @deprecated `WaitingRoom`: one room, one `join`. */
export const QueueingRoom = WaitingRoom;
/** @deprecated `WaitingRoom`: one room, one `join`. */
export type QueueingRoom = WaitingRoom;
/** @deprecated `WaitingRoomOptions`. */
export type QueueingRoomOptions = WaitingRoomOptions;
/** @deprecated `JoinInput` (it takes the invitation). */
export const QueueingJoinInput = BaseJoinInputSchema;
/** @deprecated `JoinInput`. */
export type QueueingJoinInput = BaseJoinInput;
/** @deprecated `JoinOutcome`. */
export type QueueingJoinOutcome = JoinOutcome;
/** @deprecated `TickReport` (it has the pre-queue opening and the lapsed places). */
export type QueueingTickReport = TickReport;

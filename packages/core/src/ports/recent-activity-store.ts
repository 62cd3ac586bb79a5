import { z } from 'zod';
import { EpochMs } from '../common/ids';

/** What the bot guard counts: one family of keys each, so they never collide. */
export const ActivityKind = z.enum([
  /** Requests of one user (abnormally fast repeats). */
  'user-requests',
  /** Requests from one IP. */
  'ip-requests',
  /** Accounts seen on one device. */
  'device-accounts',
  /** Users sharing one header fingerprint. */
  'header-users',
  /** Wrong challenge answers of one user. */
  'challenge-failures',
]);
export type ActivityKind = z.infer<typeof ActivityKind>;

/** What the bot guard marks for a while. */
export const MarkKind = z.enum([
  /** A user who solved a challenge recently. */
  'challenge-passed',
]);
export type MarkKind = z.infer<typeof MarkKind>;

/** A key of one kind: a subject (`user_alice`, `ip-<hash>`) or a fingerprint; safe characters. */
export const ActivityKey = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,128}$/, 'activity key must be 1-128 of A-Z a-z 0-9 _ . -');

const Window = {
  now: EpochMs,
  /** Only what happened within the last `windowMs` counts (and is kept). */
  windowMs: z.number().int().positive().max(86_400_000),
  /** Count at most this many (the guard needs "more than the threshold", no more): the memory bound per key. */
  keep: z.number().int().positive().max(100_000),
};

/** Input of {@link RecentActivityStore.countEvent}. */
export const CountEventInput = z.strictObject({ kind: ActivityKind, key: ActivityKey, ...Window });
export type CountEventInput = z.infer<typeof CountEventInput>;

/** Input of {@link RecentActivityStore.countMember}. */
export const CountMemberInput = z.strictObject({
  kind: ActivityKind,
  key: ActivityKey,
  /** The distinct thing counted under `key` (a user id under a device). */
  member: z.string().min(1).max(128),
  ...Window,
});
export type CountMemberInput = z.infer<typeof CountMemberInput>;

/** Input of {@link RecentActivityStore.mark}. */
export const MarkInput = z.strictObject({ kind: MarkKind, key: ActivityKey, until: EpochMs, now: EpochMs });
export type MarkInput = z.infer<typeof MarkInput>;

/** Input of {@link RecentActivityStore.isMarked}. */
export const IsMarkedInput = z.strictObject({ kind: MarkKind, key: ActivityKey, now: EpochMs });
export type IsMarkedInput = z.infer<typeof IsMarkedInput>;

/**
 * The bot guard's recent-activity memory (per user, per IP, per device, per header pattern), in
 * the store every instance shares, so a bot spreading its requests over instances is counted
 * whole. Bounded: what falls out of its window is dropped, each key keeps at most `keep` entries,
 * and a key nobody touches for its window disappears (Redis TTL; a capped number of keys in memory).
 * Time comes from `now`.
 *
 * A failed store rejects with `InfrastructureError`.
 */
export interface RecentActivityStore {
  /** Records one event under `key` and answers how many fall within the window (at most `keep`). */
  countEvent(input: CountEventInput): Promise<number>;
  /** Records `member` under `key` and answers how many distinct members were seen within the window. */
  countMember(input: CountMemberInput): Promise<number>;
  /** Marks `key` until `until` (exclusive), replacing an earlier mark. */
  mark(input: MarkInput): Promise<void>;
  /** Whether `key` is marked at `now`. */
  isMarked(input: IsMarkedInput): Promise<boolean>;
}

import { Expiring, RecentEvents, RecentMembers } from '../bot/recent';
import {
  type ActivityKind,
  CountEventInput,
  CountMemberInput,
  IsMarkedInput,
  MarkInput,
  type MarkKind,
  type RecentActivityStore,
} from '../ports/recent-activity-store';
import { fastValidate } from './fast-validate';

/**
 * The bot guard's recent activity in bounded per-process memory: per kind at most `maxKeys` keys
 * (the least recently touched go first), per key at most `keep` entries, nothing older than its
 * window. One instance's view only; several instances share a Redis store instead.
 */
export class MemoryRecentActivityStore implements RecentActivityStore {
  readonly #events = new Map<ActivityKind, RecentEvents>();
  readonly #members = new Map<ActivityKind, RecentMembers>();
  readonly #marks = new Map<MarkKind, Expiring>();
  readonly #maxKeys: number;

  /** @param options.maxKeys most keys remembered per kind (default 100,000). */
  constructor(options: { maxKeys?: number } = {}) {
    this.#maxKeys = options.maxKeys ?? 100_000;
  }

  async countEvent(input: CountEventInput): Promise<number> {
    const { kind, key, now, windowMs, keep } = fastValidate('activity', CountEventInput, input);
    return this.#eventsOf(kind).record(key, now, windowMs, keep);
  }

  async countMember(input: CountMemberInput): Promise<number> {
    const { kind, key, member, now, windowMs, keep } = fastValidate('activity', CountMemberInput, input);
    return this.#membersOf(kind).record(key, member, now, windowMs, keep);
  }

  async mark(input: MarkInput): Promise<void> {
    const { kind, key, until } = fastValidate('mark', MarkInput, input);
    this.#marksOf(kind).set(key, until);
  }

  async isMarked(input: IsMarkedInput): Promise<boolean> {
    const { kind, key, now } = fastValidate('mark check', IsMarkedInput, input);
    return this.#marks.get(kind)?.has(key, now) ?? false;
  }

  /** Keys remembered now, per kind (the memory bound at work). */
  tracked(): Record<ActivityKind | MarkKind, number> {
    return {
      'user-requests': this.#events.get('user-requests')?.size ?? 0,
      'ip-requests': this.#events.get('ip-requests')?.size ?? 0,
      'challenge-failures': this.#events.get('challenge-failures')?.size ?? 0,
      'device-accounts': this.#members.get('device-accounts')?.size ?? 0,
      'header-users': this.#members.get('header-users')?.size ?? 0,
      'challenge-passed': this.#marks.get('challenge-passed')?.size ?? 0,
    };
  }

  #eventsOf(kind: ActivityKind): RecentEvents {
    return getOrCreate(this.#events, kind, () => new RecentEvents(this.#maxKeys));
  }

  #membersOf(kind: ActivityKind): RecentMembers {
    return getOrCreate(this.#members, kind, () => new RecentMembers(this.#maxKeys));
  }

  #marksOf(kind: MarkKind): Expiring {
    return getOrCreate(this.#marks, kind, () => new Expiring(this.#maxKeys));
  }
}

function getOrCreate<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  const found = map.get(key);
  if (found !== undefined) return found;
  const made = make();
  map.set(key, made);
  return made;
}

import type { TransitionResult, TransitionTable } from '@seatrush/core/ports';
import { expect, it } from 'vitest';

/** What a lifecycle module exports about its machine: its states, its events and its table. */
export interface MachineTable<S extends string, T extends string> {
  states: readonly S[];
  events: readonly T[];
  table: TransitionTable<S, T>;
}

/** How a test drives the machine. */
export interface MachineDriver<S extends string, T extends string, Subject, Event> {
  /** An event of `type` whose guards hold in `state`, so only the table decides. */
  event: (type: T, state: S) => Event;
  transition: (subject: Subject, event: Event) => TransitionResult<Subject, Event, string, string>;
  /** What the machine is given in `state`, for a machine that takes more than its state alone. */
  subject?: (state: S) => Subject;
  /** The table state of an accepted result's `state`, likewise. */
  stateOf?: (subject: Subject) => S;
}

/**
 * Every (state, event) pair against the table: a listed pair moves to the listed target, any other
 * is refused with INVALID_TRANSITION. One test a pair.
 */
export function itFollowsItsTable<S extends string, T extends string, Subject = S, Event = unknown>(
  { states, events, table }: MachineTable<S, T>,
  driver: MachineDriver<S, T, Subject, Event>,
): void {
  const subject = driver.subject ?? ((state: S) => state as unknown as Subject);
  const stateOf = driver.stateOf ?? ((value: Subject) => value as unknown as S);
  const pairs = states.flatMap((state) => events.map((type) => [state, type] as const));
  const legal = pairs.filter(([state, type]) => table[state][type] !== undefined);
  const illegal = pairs.filter(([state, type]) => table[state][type] === undefined);

  it.each(legal)('%s accepts %s and moves to the table target', (state, type) => {
    const result = driver.transition(subject(state), driver.event(type, state));
    expect(result.ok).toBe(true);
    if (result.ok) expect(stateOf(result.state)).toBe(table[state][type]);
  });

  it.each(illegal)('%s refuses %s with INVALID_TRANSITION', (state, type) => {
    const event = driver.event(type, state);
    expect(driver.transition(subject(state), event)).toEqual({
      ok: false,
      code: 'INVALID_TRANSITION',
      from: subject(state),
      event,
    });
  });
}

import { edgesOf, type TransitionResult, type TransitionTable, terminalStatesOf } from '@seatrush/core/ports';
import fc from 'fast-check';
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

/**
 * The machine as designed, in one test: its legal edges as `FROM -EVENT-> TO` lines in table order,
 * and its terminal states. A change to the table shows up as a diff of these lines.
 */
export function itListsTheDesignedEdges<S extends string, T extends string>(
  table: TransitionTable<S, T>,
  designed: { edges: readonly string[]; terminal: readonly S[] },
): void {
  const terminal = designed.terminal.length === 0 ? 'none' : designed.terminal.join(', ');
  it(`lists the designed edges; terminal: ${terminal}`, () => {
    expect(edgesOf(table).map((e) => `${e.from} -${e.event}-> ${e.to}`)).toEqual(designed.edges);
    expect(terminalStatesOf(table)).toEqual(designed.terminal);
  });
}

/**
 * Random walks of a machine from `initial` (fast-check): at every step a terminal state accepts
 * nothing and a refusal names the state it came from; each accepted step goes to `step`, made
 * fresh for each walk by `walker` so it can remember what the walk went through.
 */
export function assertEveryWalk<S extends string, T extends string, Event>(
  machine: {
    table: TransitionTable<S, T>;
    initial: S;
    transition: (state: S, event: Event) => TransitionResult<S, Event, string, string>;
  },
  events: fc.Arbitrary<Event>,
  maxLength: number,
  walker: () => (from: S, event: Event, to: S) => void,
): void {
  const terminal = terminalStatesOf(machine.table);
  fc.assert(
    fc.property(fc.array(events, { maxLength }), (walk) => {
      const step = walker();
      let state = machine.initial;
      for (const event of walk) {
        const result = machine.transition(state, event);
        if (terminal.includes(state)) expect(result.ok).toBe(false);
        if (!result.ok) {
          expect(result.from).toBe(state);
          continue;
        }
        step(state, event, result.state);
        state = result.state;
      }
    }),
  );
}

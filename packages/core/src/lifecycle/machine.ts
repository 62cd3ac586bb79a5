/**
 * The shared shape of SeatRush's state machines. Each machine is a pure function
 * `transition(state, event)` driven by an exported transition table, so documentation and tests
 * can enumerate every legal and every illegal (state, event) pair from the same data the code
 * runs on.
 */

/**
 * A machine's transition table: for each state, the events it accepts and the state each one
 * leads to. A pair missing from the table is illegal and refused with `INVALID_TRANSITION`.
 */
export type TransitionTable<S extends string, E extends string> = {
  readonly [state in S]: Readonly<Partial<Record<E, S>>>;
};

/**
 * A refusal every machine can give: the event is not accepted in this state at all. The code is the
 * SDK's one name for it (see `RefusalCode`), answered as is over HTTP.
 */
export type InvalidTransition = 'INVALID_TRANSITION';

/** @deprecated the former name of {@link InvalidTransition}. */
export type IllegalTransition = InvalidTransition;

/** The event was accepted: the new state, and what the caller must do about it (in order). */
export interface TransitionAccepted<S, F extends string> {
  ok: true;
  state: S;
  effects: readonly F[];
}

/**
 * The event was refused; nothing changed. `code` is `INVALID_TRANSITION` for a pair the table
 * does not list, or a machine-specific guard (`NOT_OWNER`, `EXPIRED`, …) for a listed pair whose
 * condition does not hold.
 */
export interface TransitionRefused<S, E, C extends string> {
  ok: false;
  code: C;
  from: S;
  event: E;
}

/** What every `transition` returns. */
export type TransitionResult<S, E, F extends string, C extends string> =
  | TransitionAccepted<S, F>
  | TransitionRefused<S, E, C>;

/** One legal edge of a table, for documentation and table-driven tests. */
export interface TableEdge<S extends string, E extends string> {
  from: S;
  event: E;
  to: S;
}

/** Every legal edge of `table`, state by state, in table order. */
export function edgesOf<S extends string, E extends string>(table: TransitionTable<S, E>): TableEdge<S, E>[] {
  const edges: TableEdge<S, E>[] = [];
  for (const from of Object.keys(table) as S[]) {
    for (const [event, to] of Object.entries(table[from]) as [E, S][]) edges.push({ from, event, to });
  }
  return edges;
}

/**
 * Every event `table` knows (legal in some state), in table order: the machine's events, enumerated
 * from the same data the code runs on rather than kept as a second list.
 */
export function eventsOf<S extends string, E extends string>(table: TransitionTable<S, E>): E[] {
  return [...new Set(edgesOf(table).map((edge) => edge.event))];
}

/** The target of `event` in `state`, or undefined when the pair is illegal. */
export function targetOf<S extends string, E extends string>(
  table: TransitionTable<S, E>,
  state: S,
  event: E,
): S | undefined {
  return table[state][event];
}

/**
 * The states from which `event` is legal. A store guards its update with them
 * (`UPDATE … WHERE status = ANY(from)`), so the database enforces the same table as the code.
 */
export function sourcesOf<S extends string, E extends string>(table: TransitionTable<S, E>, event: E): S[] {
  return (Object.keys(table) as S[]).filter((state) => table[state][event] !== undefined);
}

/** States that accept no event at all. */
export function terminalStatesOf<S extends string, E extends string>(table: TransitionTable<S, E>): S[] {
  return (Object.keys(table) as S[]).filter((state) => Object.keys(table[state]).length === 0);
}

/** The refusal value, typed for the machine at hand (internal to the machines). */
export function refuse<S, E, C extends string>(code: C, from: S, event: E): TransitionRefused<S, E, C> {
  return { ok: false, code, from, event };
}

/** The acceptance value (internal to the machines). */
export function accept<S, F extends string>(state: S, effects: readonly F[] = []): TransitionAccepted<S, F> {
  return { ok: true, state, effects };
}

/**
 * A Mermaid `stateDiagram-v2` of `table`, for documentation generated from the code: every legal
 * edge labelled with its event, terminal states pointing to the end marker.
 */
export function stateDiagramOf<S extends string, E extends string>(
  table: TransitionTable<S, E>,
  initial: S,
): string {
  const lines = ['stateDiagram-v2', `  [*] --> ${initial}`];
  for (const { from, event, to } of edgesOf(table)) lines.push(`  ${from} --> ${to}: ${event}`);
  for (const state of terminalStatesOf(table)) lines.push(`  ${state} --> [*]`);
  return lines.join('\n');
}

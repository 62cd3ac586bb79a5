import type { TicketEvent, TicketState } from '@seatrush/core';
import {
  edgesOf,
  TICKET_EVENT_TYPES,
  TICKET_STATES,
  TICKET_TRANSITIONS,
  terminalStatesOf,
  transitionTicket,
} from '@seatrush/core/ports';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { itFollowsItsTable } from './table-driven';

describe('queue ticket lifecycle', () => {
  it('lists the designed edges; USED, EXPIRED and LEFT are terminal', () => {
    expect(edgesOf(TICKET_TRANSITIONS).map((e) => `${e.from} -${e.event}-> ${e.to}`)).toEqual([
      'WAITING -ADMIT-> ADMITTED',
      'WAITING -HEARTBEAT-> WAITING',
      'WAITING -EXPIRE-> EXPIRED',
      'WAITING -LEAVE-> LEFT',
      'ADMITTED -HEARTBEAT-> ADMITTED',
      'ADMITTED -USE-> USED',
      'ADMITTED -EXPIRE-> EXPIRED',
      'ADMITTED -LEAVE-> LEFT',
    ]);
    expect(terminalStatesOf(TICKET_TRANSITIONS)).toEqual(['USED', 'EXPIRED', 'LEFT']);
  });

  itFollowsItsTable(
    { states: TICKET_STATES, events: TICKET_EVENT_TYPES, table: TICKET_TRANSITIONS },
    { event: (type) => ({ type }), transition: transitionTicket },
  );

  it('names the effects: a token on admission, a queue removal or a freed slot on the way out', () => {
    expect(transitionTicket('WAITING', { type: 'ADMIT' })).toMatchObject({
      effects: ['ISSUE_ADMISSION_TOKEN'],
    });
    expect(transitionTicket('WAITING', { type: 'HEARTBEAT' })).toMatchObject({ effects: ['TOUCH'] });
    expect(transitionTicket('WAITING', { type: 'EXPIRE' })).toMatchObject({ effects: ['REMOVE_FROM_QUEUE'] });
    expect(transitionTicket('WAITING', { type: 'LEAVE' })).toMatchObject({ effects: ['REMOVE_FROM_QUEUE'] });
    for (const type of ['USE', 'EXPIRE', 'LEAVE'] as const)
      expect(transitionTicket('ADMITTED', { type })).toMatchObject({ effects: ['FREE_ADMISSION_SLOT'] });
  });

  it('reaches USED only through ADMITTED, and nothing leaves a terminal state (property)', () => {
    const event = fc.constantFrom(...TICKET_EVENT_TYPES).map((type): TicketEvent => ({ type }));
    fc.assert(
      fc.property(fc.array(event, { maxLength: 30 }), (events) => {
        let state: TicketState = 'WAITING';
        let admitted = false;
        for (const e of events) {
          const result = transitionTicket(state, e);
          if (terminalStatesOf(TICKET_TRANSITIONS).includes(state)) expect(result.ok).toBe(false);
          if (!result.ok) continue;
          if (result.state === 'ADMITTED') admitted = true;
          if (result.state === 'USED') expect(admitted && state === 'ADMITTED').toBe(true);
          state = result.state;
        }
      }),
    );
  });
});

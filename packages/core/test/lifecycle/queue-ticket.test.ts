import type { TicketEvent } from '@seatrush/core';
import {
  TICKET_EVENT_TYPES,
  TICKET_STATES,
  TICKET_TRANSITIONS,
  transitionTicket,
} from '@seatrush/core/ports';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertEveryWalk, itFollowsItsTable, itListsTheDesignedEdges } from './table-driven';

describe('queue ticket lifecycle', () => {
  itListsTheDesignedEdges(TICKET_TRANSITIONS, {
    edges: [
      'WAITING -ADMIT-> ADMITTED',
      'WAITING -HEARTBEAT-> WAITING',
      'WAITING -EXPIRE-> EXPIRED',
      'WAITING -LEAVE-> LEFT',
      'ADMITTED -HEARTBEAT-> ADMITTED',
      'ADMITTED -USE-> USED',
      'ADMITTED -EXPIRE-> EXPIRED',
      'ADMITTED -LEAVE-> LEFT',
    ],
    terminal: ['USED', 'EXPIRED', 'LEFT'],
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
    const machine = { table: TICKET_TRANSITIONS, initial: 'WAITING' as const, transition: transitionTicket };
    assertEveryWalk(machine, event, 30, () => {
      let admitted = false;
      return (from, _event, to) => {
        if (to === 'ADMITTED') admitted = true;
        if (to === 'USED') expect(admitted && from === 'ADMITTED').toBe(true);
      };
    });
  });
});

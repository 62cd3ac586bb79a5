import { RESERVATION_STATES, type ReservationEvent, type ReservationEventType } from '@seatrush/core';
import {
  RESERVATION_EVENT_TYPES,
  RESERVATION_TRANSITIONS,
  ReservationStatus,
  sourcesOf,
  stateDiagramOf,
  transitionReservation,
} from '@seatrush/core/ports';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertEveryWalk, itFollowsItsTable, itListsTheDesignedEdges } from './table-driven';

function sample(type: ReservationEventType): ReservationEvent {
  switch (type) {
    case 'PAYMENT_APPROVED':
      return { type, paymentId: 'pay-1' };
    case 'PAYMENT_DECLINED':
      return { type, reason: 'PAYMENT_DECLINED' };
    case 'FAIL':
      return { type, reason: 'PROCESSING_FAILED' };
    default:
      return { type };
  }
}

describe('reservation lifecycle', () => {
  it('uses exactly the statuses the repository stores', () => {
    expect([...RESERVATION_STATES].sort()).toEqual([...ReservationStatus.options].sort());
  });

  itListsTheDesignedEdges(RESERVATION_TRANSITIONS, {
    edges: [
      'REQUESTED -START_PAYMENT-> PAYMENT_PENDING',
      'REQUESTED -FAIL-> FAILED',
      'REQUESTED -COMPENSATE-> COMPENSATED',
      'PAYMENT_PENDING -PAYMENT_APPROVED-> CONFIRMED',
      'PAYMENT_PENDING -PAYMENT_DECLINED-> FAILED',
      'PAYMENT_PENDING -FAIL-> FAILED',
      'PAYMENT_PENDING -COMPENSATE-> COMPENSATED',
      'FAILED -COMPENSATE-> COMPENSATED',
    ],
    terminal: ['CONFIRMED', 'COMPENSATED'],
  });

  it('gives a repository the guard statuses of each event', () => {
    expect(sourcesOf(RESERVATION_TRANSITIONS, 'COMPENSATE')).toEqual([
      'REQUESTED',
      'PAYMENT_PENDING',
      'FAILED',
    ]);
    expect(sourcesOf(RESERVATION_TRANSITIONS, 'PAYMENT_APPROVED')).toEqual(['PAYMENT_PENDING']);
  });

  itFollowsItsTable(
    { states: RESERVATION_STATES, events: RESERVATION_EVENT_TYPES, table: RESERVATION_TRANSITIONS },
    { event: sample, transition: transitionReservation },
  );

  it('names the effects of the consumer pipeline', () => {
    expect(transitionReservation('REQUESTED', sample('START_PAYMENT'))).toMatchObject({
      effects: ['CHARGE_PAYMENT'],
    });
    expect(transitionReservation('PAYMENT_PENDING', sample('PAYMENT_APPROVED'))).toMatchObject({
      effects: ['CONFIRM_HOLD', 'PUBLISH_CONFIRMED'],
    });
    expect(transitionReservation('PAYMENT_PENDING', sample('PAYMENT_DECLINED'))).toMatchObject({
      effects: ['RETURN_STOCK'],
    });
    expect(transitionReservation('FAILED', sample('COMPENSATE'))).toMatchObject({
      effects: ['PUBLISH_FAILED'],
    });
  });

  it('reaches CONFIRMED only from PAYMENT_PENDING, never after a failure, and terminals accept nothing (property)', () => {
    const event = fc.constantFrom(...RESERVATION_EVENT_TYPES).map(sample);
    const machine = {
      table: RESERVATION_TRANSITIONS,
      initial: 'REQUESTED' as const,
      transition: transitionReservation,
    };
    assertEveryWalk(machine, event, 30, () => {
      let failed = false;
      return (from, _event, to) => {
        if (to === 'FAILED' || to === 'COMPENSATED') failed = true;
        if (to === 'CONFIRMED') expect(from === 'PAYMENT_PENDING' && !failed).toBe(true);
      };
    });
  });
});

describe('stateDiagramOf', () => {
  it('draws the reservation table as a Mermaid state diagram', () => {
    expect(stateDiagramOf(RESERVATION_TRANSITIONS, 'REQUESTED')).toBe(
      [
        'stateDiagram-v2',
        '  [*] --> REQUESTED',
        '  REQUESTED --> PAYMENT_PENDING: START_PAYMENT',
        '  REQUESTED --> FAILED: FAIL',
        '  REQUESTED --> COMPENSATED: COMPENSATE',
        '  PAYMENT_PENDING --> CONFIRMED: PAYMENT_APPROVED',
        '  PAYMENT_PENDING --> FAILED: PAYMENT_DECLINED',
        '  PAYMENT_PENDING --> FAILED: FAIL',
        '  PAYMENT_PENDING --> COMPENSATED: COMPENSATE',
        '  FAILED --> COMPENSATED: COMPENSATE',
        '  CONFIRMED --> [*]',
        '  COMPENSATED --> [*]',
      ].join('\n'),
    );
  });
});

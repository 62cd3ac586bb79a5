import { describe, expect, it } from 'vitest';
import { ProjectionStaleness } from '../src';

describe('ProjectionStaleness', () => {
  it('knows nothing before a poll settles', () => {
    const staleness = new ProjectionStaleness();
    expect(staleness.stalenessMs(10_000, 0)).toBe(Number.POSITIVE_INFINITY);
    staleness.recordPoll(10_000, 0, 40); // a backlog of 40
    expect(staleness.stalenessMs(11_000, 39)).toBe(Number.POSITIVE_INFINITY);
  });

  it('settles a poll at its start once its lag has been handled, never earlier', () => {
    const staleness = new ProjectionStaleness();
    staleness.recordPoll(1_000, 0, 0); // caught up at 1 s
    staleness.recordPoll(2_000, 100, 50); // at 2 s, 50 unhandled after 100 handled
    staleness.recordPoll(3_000, 120, 60); // at 3 s, 60 unhandled after 120
    expect(staleness.stalenessMs(4_000, 149)).toBe(3_000); // still as of 1 s
    expect(staleness.stalenessMs(4_000, 150)).toBe(2_000); // the 2 s poll settled
    expect(staleness.stalenessMs(5_000, 179)).toBe(3_000);
    expect(staleness.stalenessMs(5_000, 180)).toBe(2_000); // the 3 s poll settled
  });

  it('settles everything at once when a poll finds no lag', () => {
    const staleness = new ProjectionStaleness();
    staleness.recordPoll(1_000, 0, 500);
    staleness.recordPoll(2_000, 10, 600);
    staleness.recordPoll(3_000, 20, 0);
    expect(staleness.stalenessMs(3_500, 20)).toBe(500);
    // the marks are gone: handling more does not move it back to an older poll
    expect(staleness.stalenessMs(3_500, 10_000)).toBe(500);
  });

  it('never goes back in time, and never below zero', () => {
    const staleness = new ProjectionStaleness();
    staleness.recordPoll(5_000, 0, 0);
    staleness.recordPoll(4_000, 0, 0); // a slow poll that began earlier answered later
    expect(staleness.stalenessMs(6_000, 0)).toBe(1_000);
    expect(staleness.stalenessMs(4_500, 0)).toBe(0);
  });

  it('keeps at most MAX_MARKS marks for a projector that never catches up', () => {
    const staleness = new ProjectionStaleness();
    for (let i = 0; i < ProjectionStaleness.MAX_MARKS + 10; i += 1) staleness.recordPoll(i, i, 1_000_000);
    // the first MAX_MARKS were kept: the oldest settles once its lag is handled
    expect(staleness.stalenessMs(2_000, 1_000_000)).toBe(2_000);
    // the ten past the cap were dropped: the newest mark left is the one of the poll at 999 ms
    expect(staleness.stalenessMs(2_000, 2_000_000)).toBe(2_000 - (ProjectionStaleness.MAX_MARKS - 1));
  });
});

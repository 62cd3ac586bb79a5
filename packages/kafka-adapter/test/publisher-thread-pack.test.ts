import { describe, expect, it } from 'vitest';
import { packOutgoing, unpackOutgoing } from '../src/clients/threaded';
import type { Outgoing } from '../src/clients/types';

describe("the publisher thread's packed batches", () => {
  it('give back every message as it was, whatever its text', () => {
    const batch: Outgoing[] = [
      {
        topic: 'sr.reservation.requested',
        message: {
          key: 'r-1',
          value: '{"a":"12:34","b":"ü € 😀","c":""}',
          headers: { 'sr-event-id': 'e:1', 'sr-trace-id': '', 'sr-x': '3:abc' },
          timestamp: '1700000000000',
        },
      },
      { topic: 't2', message: { key: null, value: '', headers: {}, partition: 4 } },
      { topic: 't3', message: { key: '', value: '9:', headers: { '': 'x' }, timestamp: '0', partition: 0 } },
    ];
    const packed = packOutgoing(batch);
    expect(typeof packed).toBe('string');
    expect(unpackOutgoing(packed!)).toEqual(batch);
    expect(unpackOutgoing(packOutgoing([])!)).toEqual([]);
  });

  it('leave a batch with a Buffer to the structured clone', () => {
    const message = { key: 'k', value: Buffer.from('v'), headers: {} };
    expect(packOutgoing([{ topic: 't', message }])).toBeUndefined();
    expect(
      packOutgoing([{ topic: 't', message: { key: 'k', value: 'v', headers: { h: Buffer.from('x') } } }]),
    ).toBeUndefined();
    expect(
      packOutgoing([{ topic: 't', message: { key: Buffer.from('k'), value: 'v', headers: {} } }]),
    ).toBeUndefined();
  });
});

import { expect, it } from 'vitest';
import { readmeExample, readmeQueueingExample } from './readme-example';

it('runs the README example to a confirmed reservation', async () => {
  expect(await readmeExample()).toBe('CONFIRMED');
});

it('runs the README queueing example: pre-queued, invited, then refused once the room rejects', async () => {
  expect(await readmeQueueingExample('invitation-secret-0123456789-abcdefghij')).toEqual({
    alice: 'WAITING pre-queue',
    vip: 'WAITING priority',
    late: 'SOLD_OUT',
  });
});

import { expect, it } from 'vitest';
import { readmeExample } from './readme-example';

it('runs the README example to a confirmed reservation', async () => {
  expect(await readmeExample()).toBe('CONFIRMED');
});

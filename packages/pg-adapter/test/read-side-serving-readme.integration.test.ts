import { expect } from 'vitest';
import { describeReadmeExample } from './readme-examples';

describeReadmeExample('the README example of ReadSide', {
  file: 'read-side-serving-readme-example',
  load: () => import('./read-side-serving-readme-example'),
  schemaPrefix: 'sr_readme_serve',
  runs: 'runs: the hot store answers until the projector caught up, then the views',
  expectLogged(calls) {
    expect(calls[0]?.[0]).toMatchObject({ source: 'hot-store', fallback: 'stale', value: [] });
    expect(calls[1]?.[0]).toMatchObject({
      source: 'read-side',
      fallback: null,
      value: [{ seatId: 'A7', state: 'HELD', userId: 'alice', reservationId: 'r-1', expiresAt: 301_000 }],
    });
    expect(calls[2]).toEqual([1, true]);
  },
  timeoutMs: 30_000,
});

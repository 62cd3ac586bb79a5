import { expect } from 'vitest';
import { describeReadmeExample } from './readme-examples';

describeReadmeExample('the README example of the read side', {
  file: 'read-side-readme-example',
  load: () => import('./read-side-readme-example'),
  schemaPrefix: 'sr_readme',
  alsoDrops: ['_rebuilt'],
  runs: 'runs: the seat is sold to alice, a replay changes nothing, the rebuild agrees',
  expectLogged(calls) {
    expect(calls[0]?.[0]).toEqual({ applied: 0, duplicates: 4 });
    expect(calls[1]?.[0]).toMatchObject([{ seatId: 'A7', state: 'SOLD', userId: 'alice' }]);
    expect(calls[2]?.[0]).toHaveLength(4);
    expect(calls[3]?.[0]).toEqual([]);
  },
});

import { MemoryRequestGuard } from '../../src';
import { describeRequestGuard } from './describe-request-guard';

// one process: every instance of the API shares the one guard object
describeRequestGuard('MemoryRequestGuard', async () => {
  const guard = new MemoryRequestGuard();
  return { guard, connect: () => guard, dispose: async () => {} };
});

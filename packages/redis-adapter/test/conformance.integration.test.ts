import { describeDistributedLock } from '@seatrush/conformance';
import { Redlock } from '@seatrush/redis-adapter';
import { describeHotPathStores, singleServer } from './deployments';
import { isolatedPrefix, lockNodesOfFile } from './helpers';

describeHotPathStores(singleServer);

// Redlock over three independent Redis servers this file starts itself.
const lockNodes = lockNodesOfFile(3);
describeDistributedLock('Redlock (3 nodes)', async () => ({
  lock: new Redlock(lockNodes.clients(), { keyPrefix: isolatedPrefix(), retryCount: 2, retryDelayMs: 10 }),
}));

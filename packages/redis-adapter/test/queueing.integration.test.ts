import { describeQueueing, singleServer } from './deployments';

describeQueueing(singleServer);

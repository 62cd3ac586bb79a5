import { describeInstanceStores, singleServer } from './deployments';

describeInstanceStores(singleServer);

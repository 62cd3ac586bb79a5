import { describeInstanceStores, redisCluster } from './deployments';

// On a 3-master Redis Cluster: a script's keys share one hash tag (the sale's, the lease name's).
describeInstanceStores(redisCluster);

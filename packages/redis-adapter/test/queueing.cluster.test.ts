import { describeQueueing, redisCluster } from './deployments';

// The queueing scripts on a 3-master Redis Cluster: every key they touch carries the sale's hash tag.
describeQueueing(redisCluster);

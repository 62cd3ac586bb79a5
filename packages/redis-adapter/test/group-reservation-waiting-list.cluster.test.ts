import { describeGroupAndWaitingList, redisCluster } from './deployments';

// Group allocation and the waiting list on a 3-master Redis Cluster: their scripts build hold and
// entry keys from the sale's key base, so every key they touch shares the sale's slot.
describeGroupAndWaitingList(redisCluster);

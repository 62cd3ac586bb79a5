export { clusterAddressesFromEnv } from './global-setup';
export { freePort, uniqueName } from './isolation';
export type { ClusterAddresses, ServiceAddresses } from './services';

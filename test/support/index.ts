export { clusterAddressesFromEnv } from './global-setup';
export { uniqueName } from './isolation';
export type { ClusterAddresses, ServiceAddresses } from './services';

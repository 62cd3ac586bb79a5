export { CuttableHop } from './cuttable-hop';
export { clusterAddressesFromEnv } from './global-setup';
export { freePort, uniqueName } from './isolation';
export { removeNamespace } from './namespace';
export type { ClusterAddresses, ServiceAddresses } from './services';

export { buildCluster, type Cluster } from './build.js';
export type { ClusterInput, PodInput, NetworkBackend } from './spec.js';
export { hostVethName, podNetnsName } from './cni/veth-names.js';

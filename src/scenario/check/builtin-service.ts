import { cidrHost, formatIpv4, parseCidr } from '../../wire/addr.js';
import type { ClusterSpec } from '../types.js';

/** The address the service allocator reserves at `index` of the service CIDR (1: kubernetes, 10: kube-dns). */
export function reservedServiceIP(cluster: ClusterSpec, index: number): string {
  return formatIpv4(cidrHost(parseCidr(cluster.serviceCIDR)!, index));
}

/**
 * The fields the API server defaults on a plain ClusterIP Service, shared by
 * the built-in Services (kubernetes, kube-dns) so they read like any Service
 * a user wrote without those fields. A fresh object each time: callers own it.
 */
export function clusterIPServiceDefaults() {
  return {
    type: 'ClusterIP' as const,
    headless: false,
    externalIPs: [] as string[],
    loadBalancerIPs: [] as string[],
    loadBalancerSourceRanges: [] as string[],
    externalTrafficPolicy: 'Cluster' as const,
    internalTrafficPolicy: 'Cluster' as const,
    sessionAffinity: 'None' as const,
    affinityTimeoutSeconds: 10800,
    allocateLoadBalancerNodePorts: false,
    publishNotReadyAddresses: false,
    builtin: true,
  };
}

import { cidrHost, formatIpv4, parseCidr } from '../../wire/addr.js';
import type { ClusterSpec } from '../types.js';
import type { At, YamlReader } from '../load/yaml-reader.js';
import type { RawPod } from './check-pod.js';

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

/**
 * A pod the control plane runs without a manifest (the API server, CoreDNS):
 * pinned to its node, ready, placed by nothing, and marked built-in; errors
 * about it point at the place that asked for it (`at`).
 */
export function builtinPod(r: YamlReader, at: At, pod: Pick<RawPod, 'namespace' | 'name' | 'labels' | 'nodeName' | 'hostNetwork' | 'ports'> & Partial<Pick<RawPod, 'owner'>>): RawPod {
  return {
    ...pod,
    ready: true,
    terminating: false,
    placement: { nodeSelector: {}, tolerations: [], requiredNodeTerms: [] },
    builtin: true,
    pos: r.pos(at),
    r,
    at,
  };
}

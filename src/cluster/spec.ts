/**
 * What the control plane needs to know to program the nodes. Plain data, so
 * that the cluster layer does not depend on how scenarios are written; the
 * scenario layer's validated types fit these shapes as they are.
 */
export type NetworkBackend = 'host-gw' | 'flannel-vxlan' | 'flannel-udp';

export interface ClusterInput {
  network: NetworkBackend;
  clusterCIDR: string;
  bridge: string;
  hairpinMode: boolean;
  podMTU?: number;
  seed: number;
  underlay: { cidr: string; mtu: number; bandwidthBps: number; latencyNs: number; gateway: string };
  nodes: { name: string; ip: string; podCIDR: string }[];
  externalHosts: { name: string; ip: string }[];
}

export interface PodInput {
  namespace: string;
  name: string;
  nodeName: string;
  ip: string;
  hostNetwork: boolean;
  ports: { containerPort: number; protocol: 'TCP' | 'UDP' | 'SCTP' }[];
}

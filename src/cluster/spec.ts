import type { RpFilterMode } from '../kernel/ipv4/rp-filter.js';
import type { CostModel } from '../kernel/cost-model.js';
import type { KernelLimitsInput } from '../kernel/limits.js';
/**
 * What the control plane needs to know to program the nodes. Plain data, so
 * that the cluster layer does not depend on how scenarios are written; the
 * scenario layer's validated types fit these shapes as they are.
 */
import type { NetworkPolicyInput, PolicyNamespace, PolicyOptions } from './netpol/types.js';
import type { IngressClassInput, IngressControllerFlags, IngressInput } from './ingress/types.js';
import type { DnsPolicy, PodDnsConfig } from './dns/resolver.js';

export type NetworkBackend = 'host-gw' | 'flannel-vxlan' | 'flannel-udp';

export interface ClusterInput {
  network: NetworkBackend;
  proxyMode: 'iptables' | 'ipvs' | 'nftables';
  clusterCIDR: string;
  serviceCIDR: string;
  bridge: string;
  hairpinMode: boolean;
  podMTU?: number;
  seed: number;
  underlay: { cidr: string; mtu: number; bandwidthBps: number; latencyNs: number; gateway: string };
  /** `cpus`: how many CPUs process the node's packets (node-cpus.ts); absent = 1. `labels`: the Node's (the cloud load balancer reads one). `vtepMac`: flannel.1's MAC from the Node's backend-data. */
  nodes: { name: string; ip: string; podCIDR: string; cpus?: number; imported?: NodeImportInput; labels?: Record<string, string>; vtepMac?: string }[];
  /** `ports`: what the host's servers listen on (TCP ones answer HTTP); absent = nothing. */
  externalHosts: { name: string; ip: string; ports?: readonly { port: number; protocol: 'TCP' | 'UDP' | 'SCTP' }[] }[];
  /** Per-hop CPU costs (kernel/cost-model.ts); absent = hops take no time. */
  costModel?: CostModel;
  /** kube-proxy's ipvs settings (KubeProxyIPVSConfiguration); absent = its defaults. Only read in ipvs mode. */
  ipvs?: IpvsProxyInput;
  /** kube-proxy's mode-neutral settings (KubeProxyConfiguration); absent = its defaults (DEFAULT_KUBE_PROXY). */
  kubeProxy?: KubeProxyInput;
  /** Node sysctls; absent = a kubeadm node's (NODE_SYSCTL_DEFAULTS). */
  sysctls?: NodeSysctlsInput;
  /** flanneld's iptables flags; absent = kube-flannel.yml's (DEFAULT_FLANNEL: --ip-masq, --random-fully, forward rules). */
  flannel?: FlannelInput;
}

/** flanneld's command-line switches that decide its iptables rules (flannel/iptables.ts). */
export interface FlannelInput {
  /** `--ip-masq`: FLANNEL-POSTRTG masquerades what leaves the cluster network. kube-flannel.yml passes it. */
  ipMasq: boolean;
  /** `--ip-masq-fully-random-disable`: MASQUERADE without `--random-fully`. Default false. */
  ipMasqFullyRandomDisable: boolean;
  /** `--iptables-forward-rules`: FLANNEL-FWD accepts forwarding from and to the cluster network. Default true. */
  iptablesForwardRules: boolean;
}

/**
 * State saved on a real node, loaded on this node instead of what podwalk's
 * components would program (docs/node-import.md). Texts as the tools print
 * them, already checked by the loader; each one replaces only its own part.
 */
export interface NodeImportInput {
  /** `iptables-save`: the node's whole iptables rule set; neither kube-proxy nor the policy agent writes iptables here. */
  iptablesSave?: string;
  /** `ipset save`: the node's ipsets (instead of kube-proxy's, in ipvs mode). */
  ipsetSave?: string;
  /** `ipvsadm -Sn`: the node's IPVS virtual services, their addresses bound to kube-ipvs0 as kube-proxy binds them. */
  ipvsadm?: string;
  /** `ip route`: the node's main routing table. */
  ipRoute?: string;
}

/** The sysctls podwalk's kernel model reads on nodes. */
export interface NodeSysctlsInput {
  /** net.ipv4.ip_forward: 1 on a kubeadm node (its preflight check requires it). */
  ipForward: boolean;
  /** net.bridge.bridge-nf-call-iptables: 1 on a kubeadm node (preflight requires it; kube-proxy needs it). */
  bridgeNfCallIptables: boolean;
  /** net.ipv4.conf.all.route_localnet: absent = what kube-proxy sets (1 when it serves localhost NodePorts, iptables mode). */
  routeLocalnet?: boolean;
  /** net.ipv4.conf.all.ignore_routes_with_linkdown: absent = 0, the kernel's (a route through a device without carrier stays in use). */
  ignoreRoutesWithLinkdown?: boolean;
  /**
   * net.ipv4.conf.{all,default,<dev>}.rp_filter. kubeadm sets none; the node's
   * distribution does: Ubuntu (procps' /etc/sysctl.d/10-network-security.conf)
   * and systemd's own 50-default.conf put 2 (loose) in `all` and `default`.
   */
  rpFilter?: { all: RpFilterMode; default: RpFilterMode; dev: Readonly<Record<string, RpFilterMode>> };
  /** Table limits and timeouts by their Linux names (nf_conntrack_max, gc_thresh3, ...): see kernel/limits.ts. */
  limits?: KernelLimitsInput;
}

export const NODE_SYSCTL_DEFAULTS: NodeSysctlsInput = { ipForward: true, bridgeNfCallIptables: true };

/** A kubeadm node's rp_filter: loose everywhere, as Ubuntu and systemd's 50-default.conf set it (kernel default 0). */
export const NODE_RP_FILTER_DEFAULT = { all: 2, default: 2, dev: {} } as const satisfies NodeSysctlsInput['rpFilter'];

/**
 * The KubeProxyConfiguration settings every proxy mode (iptables, ipvs, nftables) reads.
 * Defaults (DEFAULT_KUBE_PROXY) are kube-proxy's own, with clusterCIDR as kubeadm sets it.
 */
export interface KubeProxyInput {
  /** `--masquerade-all`: SNAT every packet to a Service IP. Default false. */
  masqueradeAll: boolean;
  /** `--cluster-cidr`; `''` = none (no "from outside the cluster" masquerade). kubeadm: the pod subnet. */
  clusterCIDR: string;
  /** `--detect-local-mode`: which sources are "local" pods: the cluster CIDR (default) or the node's podCIDR. */
  detectLocalMode: 'ClusterCIDR' | 'NodeCIDR';
  /** `--nodeport-addresses`: CIDRs (or `primary`, the node IP) NodePorts answer on; [] = every local address. */
  nodePortAddresses: string[];
  /** `--iptables-localhost-nodeports`: NodePorts also answer on 127.0.0.1 (needs route_localnet). Default true. */
  localhostNodePorts: boolean;
  /** The node's iptables supports `--random-fully` (>= 1.6.2), so kube-proxy's MASQUERADE uses it. Default true. */
  randomFully: boolean;
  /**
   * `minSyncPeriod` (iptables.minSyncPeriod, ipvs.minSyncPeriod, nftables.minSyncPeriod) in ns: at least this
   * long between the end of one sync and the start of the next. Absent = the mode's default (kubeProxyMinSyncNs).
   */
  minSyncPeriodNs?: number;
}

/** KubeProxyConfiguration v1alpha1 defaults: iptables and nftables minSyncPeriod 1s; ipvs.minSyncPeriod has none (0s). */
export function kubeProxyMinSyncNs(mode: 'iptables' | 'ipvs' | 'nftables', kp: KubeProxyInput | undefined): number {
  return kp?.minSyncPeriodNs ?? (mode === 'ipvs' ? 0 : 1e9);
}

export const DEFAULT_KUBE_PROXY: Omit<KubeProxyInput, 'clusterCIDR'> = {
  masqueradeAll: false,
  detectLocalMode: 'ClusterCIDR',
  nodePortAddresses: [],
  localhostNodePorts: true,
  randomFully: true,
};

/** KubeProxyIPVSConfiguration: the scheduler of every virtual service, and `ipvsadm --set` timeouts in seconds (0 = the kernel's). */
export interface IpvsProxyInput {
  scheduler: 'rr' | 'wrr' | 'lc' | 'wlc' | 'sh' | 'dh' | 'sed' | 'nq';
  tcpTimeoutS: number;
  tcpFinTimeoutS: number;
  udpTimeoutS: number;
  /** `--ipvs-strict-arp`: kube-proxy sets arp_ignore=1 and arp_announce=2 on every node (absent = false). */
  strictARP?: boolean;
  /** `--ipvs-exclude-cidrs`: IPVS virtual servers in these ranges survive kube-proxy's clean-up (absent = none). */
  excludeCIDRs?: string[];
}

/** The API objects kube-proxy and cluster DNS act on. */
export interface ControlPlaneInput {
  services: ServiceInput[];
  endpointSlices: EndpointSliceInput[];
  /**
   * The Namespace objects that exist (CoreDNS's `pods insecure` answers a pod
   * name, and `<ns>.svc.<zone>` is NODATA, in any existing namespace, Services
   * or not); absent = only the built-in four and those holding a Service.
   */
  namespaces?: string[];
  /** NetworkPolicies and what they select on; absent = no policy agent runs. */
  networkPolicy?: NetworkPolicyControl;
  /** Ingresses and IngressClasses, for the ingress controllers among the pods. */
  ingress?: { ingresses: IngressInput[]; classes: IngressClassInput[] };
}

/** What the NetworkPolicy agent watches (pods come from the cluster's pod list, with their labels). */
export interface NetworkPolicyControl {
  policies: NetworkPolicyInput[];
  namespaces: PolicyNamespace[];
  options: PolicyOptions;
  /** kube-apiserver's --service-node-port-range (absent: 30000-32767). */
  nodePortRange?: readonly [number, number];
}

export interface PodInput {
  namespace: string;
  name: string;
  nodeName: string;
  ip: string;
  hostNetwork: boolean;
  /** `bind`: TCP addresses the process bound the port to (absent: every address); only listeners read from a process's flags have it. */
  ports: { containerPort: number; protocol: 'TCP' | 'UDP' | 'SCTP'; name?: string; bind?: readonly string[] }[];
  /** Pod labels (NetworkPolicy selectors); absent = none. */
  labels?: Record<string, string>;
  /** Pod annotations (how its HTTP server answers); absent = none. */
  annotations?: Record<string, string>;
  /** The pod runs an ingress-nginx controller with these flags. */
  ingressController?: IngressControllerFlags;
  /** `spec.dnsPolicy` and `spec.dnsConfig` (absent: ClusterFirst, none): the resolv.conf an ingress controller's Lua resolver reads. */
  dnsPolicy?: DnsPolicy;
  dnsConfig?: PodDnsConfig;
}

/** One port of a Service (`spec.ports[]`), with defaults applied. */
export interface ServicePortInput {
  /** `''` when the Service has a single unnamed port. */
  name: string;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  port: number;
  /** A number, or a container port name resolved on each endpoint pod. */
  targetPort: number | string;
  /** Set for NodePort and LoadBalancer Services (allocated if not given). */
  nodePort?: number;
}

/**
 * A Service as kube-proxy sees it (the API object with defaults applied and
 * the cluster IP and node ports allocated).
 */
export interface ServiceInput {
  namespace: string;
  name: string;
  type: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
  /** Absent for headless (`clusterIP: None`) and ExternalName Services. */
  clusterIP?: string;
  ports: ServicePortInput[];
  /** `spec.selector`; absent = endpoints are managed by hand (EndpointSlices in the scenario). */
  selector?: Record<string, string>;
  externalIPs: string[];
  /** `status.loadBalancer.ingress[].ip`. */
  loadBalancerIPs: string[];
  /** `spec.loadBalancerSourceRanges`, trimmed CIDRs. */
  loadBalancerSourceRanges: string[];
  externalTrafficPolicy: 'Cluster' | 'Local';
  internalTrafficPolicy: 'Cluster' | 'Local';
  /** Allocated for LoadBalancer Services with externalTrafficPolicy Local. */
  healthCheckNodePort?: number;
  sessionAffinity: 'None' | 'ClientIP';
  /** `sessionAffinityConfig.clientIP.timeoutSeconds` (default 10800). */
  affinityTimeoutSeconds: number;
  /** ExternalName Services: the DNS name they alias. */
  externalName?: string;
  /**
   * `spec.trafficDistribution` as written (`PreferClose`, `PreferSameZone`,
   * `PreferSameNode`); the EndpointSlice controller reads it (zone hints).
   */
  trafficDistribution?: string;
}

/** One endpoint of an EndpointSlice, with its conditions. */
export interface EndpointInput {
  ip: string;
  /** Node the endpoint runs on (decides "local" for traffic policies). */
  nodeName?: string;
  /** The pod behind it, `<ns>/<name>`, when known. */
  targetRef?: string;
  /** `endpoints[].hostname`: the DNS name `<hostname>.<service>.<ns>.svc.<zone>` (StatefulSet pods through their headless Service). */
  hostname?: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  /** `endpoints[].zone`: the zone of the endpoint's node (the controller copies its topology.kubernetes.io/zone label). */
  zone?: string;
  /** `endpoints[].hints.forZones[].name`: the zones whose nodes should use it (kube-proxy's topology filtering). */
  forZones?: string[];
}

/** An EndpointSlice (discovery.k8s.io/v1), written by hand or by the EndpointSlice controller. */
export interface EndpointSliceInput {
  namespace: string;
  name: string;
  /** The `kubernetes.io/service-name` label. */
  serviceName: string;
  ports: { name: string; port: number; protocol: 'TCP' | 'UDP' | 'SCTP' }[];
  endpoints: EndpointInput[];
}

/** A Service's `<namespace>/<name>`: how kube-proxy, the cloud controller and the steps name it. */
export function serviceKey(svc: { namespace: string; name: string }): string {
  return `${svc.namespace}/${svc.name}`;
}

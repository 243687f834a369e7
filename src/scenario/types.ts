/**
 * A validated scenario with every default applied. Produced by `loadScenario`,
 * consumed by the cluster builder and the traffic runner. Nothing here refers to
 * YAML any more, except `pos` fields kept so that later checks (and expectation
 * failures) can still point at the file.
 */

import type { CostModel } from '../kernel/cost-model.js';
import type { KernelLimitsInput } from '../kernel/limits.js';
import type { IngressControllerFlags } from '../cluster/ingress/types.js';
import type { DnsPolicy, PodDnsConfig } from '../cluster/dns/resolver.js';
import type { IngressClassSpec, IngressSpec } from './check/check-ingress.js';
import type { LabelSelector, PolicyOptions } from '../cluster/netpol/types.js';
import type { Toleration } from '../cluster/scheduler/types.js';
import type { CountOrPercent } from '../cluster/live/rollout-fenceposts.js';
import type { NetworkPolicySpec } from './check/check-networkpolicy.js';
import type { EndpointInput, EndpointSliceInput, FlannelInput, IpvsProxyInput, KubeProxyInput, NodeImportInput, NodeSysctlsInput, ServiceInput, ServicePortInput } from '../cluster/spec.js';

export interface SourcePos {
  file: string;
  line: number; // 1-based
  col: number; // 1-based
}

/** One problem found in the input: printed as `file:line:col: path: message`. */
export interface Problem extends SourcePos {
  path: string; // field path, e.g. `cluster.nodes[1].podCIDR`, `resources[2].spec.containers[0].ports[0].containerPort`
  message: string; // what was expected / what is wrong (with "did you mean" where cheap)
}

export type NetworkBackend = 'host-gw' | 'flannel-vxlan' | 'flannel-udp';
export type ProxyMode = 'iptables' | 'ipvs' | 'nftables';
export type Protocol = 'TCP' | 'UDP' | 'ICMP' | 'SCTP';

/** A node taint (`spec.taints[]`): pods without a matching toleration are not placed there (NoSchedule, NoExecute). */
export interface NodeTaint {
  key: string;
  value: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface NodeSpec {
  name: string;
  ip: string; // node IP on the underlay
  podCIDR: string; // e.g. 10.244.1.0/24
  /** Labels (with the kubelet's kubernetes.io/hostname, os, arch), for nodeSelector and affinity. */
  labels: Record<string, string>;
  taints: NodeTaint[];
  /** `spec.unschedulable` (cordoned): new pods are not placed there (DaemonSet pods still are). */
  unschedulable: boolean;
  pos: SourcePos;
  /** `import:` — state saved on a real node, loaded instead of what podwalk programs (docs/node-import.md). */
  imported?: NodeImportSpec;
  /** `cpus:` — CPUs processing the node's packets, pods spread over them (cluster/node-cpus.ts); absent = 1. */
  cpus?: number;
  /** flannel.1's MAC as an imported Node's `flannel.alpha.coreos.com/backend-data` VtepMAC names it; absent = a random one. */
  vtepMac?: string;
}

/** A node's saved state: the texts (already checked), and each one's file as messages name it. */
export interface NodeImportSpec extends NodeImportInput {
  files: Partial<Record<NodeImportPart, string>>;
}

export type NodeImportPart = 'iptablesSave' | 'ipsetSave' | 'ipvsadm' | 'ipRoute';

export interface ExternalHostSpec {
  name: string;
  ip: string;
  /** `ports`: where its servers listen (TCP answers HTTP); empty = nothing listens. */
  ports: ExternalHostPort[];
  pos: SourcePos;
}

export interface ExternalHostPort {
  port: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
}

export interface UnderlaySpec {
  cidr: string;
  mtu: number;
  bandwidthBps: number; // bits per second
  latencyNs: number; // one-way per link
  gateway: string;
}

export interface ClusterSpec {
  network: NetworkBackend;
  proxyMode: ProxyMode;
  clusterCIDR: string;
  serviceCIDR: string;
  serviceNodePortRange: [number, number];
  bridge: string;
  hairpinMode: boolean;
  /** MTU the CNI plugin gives cbr0 and pods; absent = what the backend derives (flannel's FLANNEL_MTU). */
  podMTU?: number;
  seed: number;
  underlay: UnderlaySpec;
  nodes: NodeSpec[];
  externalHosts: ExternalHostSpec[];
  /** Cluster DNS (`cluster.dns`, default true): the built-in kube-system/coredns Deployment and kube-dns Service. */
  dns: boolean;
  /** `cluster.kubernetesService` (default true): the API server's default/kubernetes Service, endpoints at the control-plane nodes' :6443. */
  kubernetesService: boolean;
  /** `cluster.networkPolicy`: how the policy agent handles what the API leaves open. */
  networkPolicy: PolicyOptions;
  /** `cluster.costModel`: per-hop CPU costs (docs/cost-model.md); absent = the defaults, undefined only for `costModel: false` (hops take no time). */
  costModel?: CostModel;
  /** `cluster.ipvs`: kube-proxy's ipvs settings (scheduler, timeouts), used in ipvs mode. */
  ipvs: IpvsProxyInput;
  /** `cluster.kubeProxy`: kube-proxy's mode-neutral settings (masqueradeAll, clusterCIDR, nodePortAddresses, ...). */
  kubeProxy: KubeProxyInput;
  /** `cluster.flannel`: flanneld's --ip-masq and --iptables-forward-rules (its iptables rules on every node). */
  flannel: FlannelInput;
  /** `cluster.sysctls`: node sysctls; absent = a kubeadm node's. */
  sysctls?: NodeSysctlsInput;
}

export interface NamespaceSpec {
  name: string;
  labels: Record<string, string>; // includes kubernetes.io/metadata.name
  pos?: SourcePos; // absent for the built-in namespaces (default, kube-system, kube-public, kube-node-lease)
}

export interface ContainerPortSpec {
  containerPort: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  name?: string;
  /** A port a process listens on without declaring it (a control-plane binary's flags): the IPv4 addresses it binds; absent = every address. */
  bind?: string[];
}

/** The controller that made a pod (pods declared directly have none). */
export interface PodOwner {
  kind: 'Deployment' | 'ReplicaSet' | 'StatefulSet' | 'DaemonSet';
  /** The Deployment's or ReplicaSet's name (in the pod's namespace). */
  name: string;
  /** The selector of the controller that owns the pod: a Deployment's ReplicaSet's is the Deployment's plus its pod-template-hash. A pod it no longer selects is released. */
  selector?: LabelSelector;
}

export interface PodSpec {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  nodeName: string; // resolved: given, or placed (cluster/scheduler: filters and scores, then round-robin in node order)
  ip: string; // resolved: status.podIP, or IPAM (.2, .3, ... of the node's podCIDR); node IP when hostNetwork
  hostNetwork: boolean;
  ports: ContainerPortSpec[];
  /** The Ready condition: true unless status.conditions says Ready=False. */
  ready: boolean;
  /** metadata.deletionTimestamp is set: the pod is shutting down (EndpointSlices show it terminating). */
  terminating: boolean;
  /** Set for pods made from a Deployment, ReplicaSet, StatefulSet or DaemonSet template. */
  owner?: PodOwner;
  /** `spec.dnsPolicy` (absent: ClusterFirst). */
  dnsPolicy?: DnsPolicy;
  /** `spec.dnsConfig`: nameservers, searches and options kubelet adds to the policy's resolv.conf (cluster/resolver.ts podResolvConf). */
  dnsConfig?: PodDnsConfig;
  /** `spec.hostname` / `spec.subdomain` (StatefulSet pods: their name and the governing Service): with a headless Service named like the subdomain, DNS answers `<hostname>.<subdomain>.<ns>.svc.cluster.local`. */
  hostname?: string;
  subdomain?: string;
  /** `spec.tolerations` (absent: none): the taint eviction controller reads their NoExecute ones. */
  tolerations?: Toleration[];
  /** `spec.terminationGracePeriodSeconds` (absent: the API's default, 30): how long kubelet lets a deleted pod's preStop hook and SIGTERM take. */
  terminationGracePeriodSeconds?: number;
  /** Part of the built-in cluster add-ons (the coredns pods), not written in the scenario. */
  builtin: boolean;
  /** `metadata.annotations` (absent = none). */
  annotations?: Record<string, string>;
  /** The pod runs an ingress-nginx controller (`/nginx-ingress-controller` in a container), started with these flags. */
  ingressController?: IngressControllerFlags;
  pos: SourcePos; // the Pod, or the Deployment/ReplicaSet it came from (built-ins: the `cluster:` mapping)
}

/**
 * The pod template of a Deployment (or ReplicaSet) at `replicas: 0`, as the
 * ReplicaSet keeps it: what a `scale` step makes pods from (named after its
 * `name`, which is the name replica 0 would have had). No node and no
 * address until then.
 */
export type PodTemplateSpec = Omit<PodSpec, 'nodeName' | 'ip'>;

export type ServiceType = ServiceInput['type'];
export type L4Protocol = ServicePortInput['protocol'];

/** `spec.ports[]` of a Service with defaults applied: exactly what the control plane takes. */
export type ServicePortSpec = ServicePortInput;

/**
 * A Service (v1) as the API server would store it: defaults applied, cluster
 * IP and node ports allocated (ServiceInput), plus what only the loader needs.
 */
export interface ServiceSpec extends ServiceInput {
  labels: Record<string, string>;
  /** `clusterIP: None`. */
  headless: boolean;
  /** `spec.allocateLoadBalancerNodePorts` (default true; only LoadBalancer). */
  allocateLoadBalancerNodePorts: boolean;
  /** `spec.publishNotReadyAddresses`: not-ready pods' endpoints are ready. */
  publishNotReadyAddresses: boolean;
  /** The built-in kube-system/kube-dns Service. */
  builtin: boolean;
  pos: SourcePos;
}

/** One endpoint of an EndpointSlice (an unset condition, as kube-proxy reads it: ready true, serving true, terminating false). */
export type EndpointSpec = EndpointInput;

/** An EndpointSlice (discovery.k8s.io/v1): written in the scenario, or derived by the EndpointSlice controller. */
export interface EndpointSliceSpec extends EndpointSliceInput {
  /** Written by the EndpointSlice controller from the Service's selector (not in the file). */
  derived: boolean;
  /** The slice in the file, or (derived) the Service it was derived from. */
  pos: SourcePos;
}

/** A traffic endpoint as written in `from:` / `to:` / `deliveredTo:`. */
export type EndpointRef =
  | { kind: 'pod'; namespace: string; name: string }
  | { kind: 'node'; name: string }
  | { kind: 'host'; name: string }
  | { kind: 'ip'; ip: string }
  | { kind: 'service'; namespace: string; name: string }
  | { kind: 'dns'; name: string };

export interface Expectation {
  verdict?: 'delivered' | 'dropped';
  deliveredTo?: EndpointRef[]; // delivered to one of these
  seenSource?: string;
  dropReason?: string; // one of DROP_REASONS (validated)
  via?: string[]; // ordered subsequence of `<netns>:<dev>` locations
  notVia?: string[]; // `<netns>:<dev>` locations the request must not cross
  /** Where each via/notVia location was written (`message` = the location), to report one naming no device. */
  devicesAt?: Problem[];
  natted?: NatExpectation;
  policy?: PolicyExpectation[]; // each must match one of the request's policy decisions
  hops?: { min?: number; max?: number }; // number of devices crossed (`path` length)
  rtt?: { minNs?: number; maxNs?: number }; // simulated round trip bounds
  /** TCP: how the connection ended for the client (FlowResult.connection.outcome). */
  connection?: ConnectionOutcome;
  /** TCP: how many retransmissions the client made. */
  retransmits?: { min?: number; max?: number };
  /** Where the first answer came from, as the sender's socket sees it (`ip` or `ip:port`): after any un-NAT. */
  replySource?: string;
  /** HTTP traffic: the status the client got back. */
  httpStatus?: number;
  /** HTTP traffic through an ingress controller: the rule it matched (or `default: true` = none). */
  ingressRule?: IngressRuleExpectation;
  /** HTTP traffic: the X-Forwarded-For the backend read. */
  forwardedFor?: string;
  /** The endpoints the load-balancing NAT chose among: exactly these addresses (`ip`, or `ip:port` when written with a port). */
  candidates?: CandidateExpectation[];
  /** Session affinity: the request went to the same backend as this flow (`name` = its first request, or `name#k`). */
  sameBackendAs?: string;
  pos: SourcePos;
}

/** One expected candidate endpoint: its address and how the scenario named it (`pod/shop/web-1`, `10.244.1.5:8080`). */
export interface CandidateExpectation {
  address: string;
  written: string;
}

/** `expect.ingressRule`: every given field must equal the controller's decision. */
export interface IngressRuleExpectation {
  /** No rule matched: the server's default backend took the request. */
  default?: boolean;
  ingress?: string;
  host?: string;
  path?: string;
  pathType?: 'Exact' | 'Prefix' | 'ImplementationSpecific';
  /** `ns/service:port`. */
  backend?: string;
}

/** `traffic[].http`: one HTTP/1.1 request sent on the TCP connection. */
export interface HttpTrafficSpec {
  method: string;
  /** The Host header; absent = the address or name in `to`. */
  host?: string;
  path: string;
  headers: [string, string][];
}

/**
 * `expect.natted`: `true` = some NAT rewrote the request, `false` = none did;
 * `dst` / `src` = the address (`ip` or `ip:port`) a DNAT / SNAT (or MASQUERADE) rewrote it to.
 */
export type NatExpectation = boolean | { dst?: string; src?: string };

/** `expect.policy`: a NetworkPolicy (`ns/name`) that decided the request, optionally in one direction / with one verdict. */
export interface PolicyExpectation {
  name: string;
  direction?: 'ingress' | 'egress';
  verdict?: 'allow' | 'deny';
}

/** A TCP client's view of its connection, from its socket's `tcp` trace events. */
export type ConnectionOutcome = 'established' | 'complete' | 'closed' | 'timeout' | 'reset' | 'refused' | 'unreachable' | 'gave-up' | 'none';
export const CONNECTION_OUTCOMES: readonly ConnectionOutcome[] = ['established', 'complete', 'closed', 'timeout', 'reset', 'refused', 'unreachable', 'gave-up', 'none'];

export interface TrafficSpec {
  name: string;
  from: EndpointRef; // pod | node | host
  to: EndpointRef;
  protocol: Protocol;
  port?: number; // absent for ICMP
  payload: number; // L4 payload bytes
  count: number;
  atNs: number; // start time
  intervalNs: number; // between packets when count > 1 (default 1ms)
  ttl?: number; // IP TTL the sender uses (default 64), like ping -t
  /** TCP keep-alive: each later packet is a data segment on the connection the first one opened (if still established). */
  reuseConnection?: boolean;
  /** TCP: the client gives up (closes) if its request is not acknowledged within this time. */
  timeoutNs?: number;
  /** bind() the client to this source port instead of an ephemeral one. */
  sourcePort?: number;
  /** TCP: the client closes its connection (FIN) this long after its request is acknowledged (`close: true` = 0). */
  closeAfterNs?: number;
  /** TCP: SO_KEEPALIVE on the client's socket. */
  keepAlive?: { idleNs: number; intervalNs: number; probes: number };
  /** The server answers each request with this many bytes (UDP per datagram; TCP once it read the data). */
  reply?: number;
  /** An HTTP request instead of `payload` zero bytes (TCP only). */
  http?: HttpTrafficSpec;
  expect?: Expectation;
  pos: SourcePos;
}

/** One control-plane change (`steps:` item). */
export type StepAction =
  | { kind: 'apply'; policy: NetworkPolicySpec }
  | { kind: 'delete'; namespace: string; name: string }
  /** `kubectl apply` of a Service: created, or replaced (keeping its allocated cluster IP and node ports). */
  | { kind: 'apply-service'; service: ServiceSpec }
  | { kind: 'delete-service'; namespace: string; name: string }
  | { kind: 'label'; target: 'pod'; namespace: string; name: string; labels: Record<string, string | null> }
  | { kind: 'label'; target: 'namespace'; name: string; labels: Record<string, string | null> }
  /** `kubectl delete pod`: terminating now, the app serves `preStopNs` more, then exits; a Deployment's pod is replaced. */
  | { kind: 'delete-pod'; namespace: string; name: string; preStopNs: number; readyAfterNs: number }
  /** A container restart: same pod and IP, its connections are gone. */
  | { kind: 'restart-pod'; namespace: string; name: string }
  | { kind: 'scale'; namespace: string; deployment: string; replicas: number; readyAfterNs: number }
  /** A rolling update; maxSurge/maxUnavailable as written (default 25%), resolved against the replicas when it runs. */
  | { kind: 'rollout'; namespace: string; deployment: string; maxSurge: CountOrPercent; maxUnavailable: CountOrPercent; preStopNs: number; readyAfterNs: number }
  | { kind: 'node'; node: string; state: 'down' | 'up'; notReadyAfterNs: number; withdrawRoutesAfterNs?: number }
  /** netem on a machine's uplink (`tc qdisc replace dev eth0 root netem ...`); all zero = removed. */
  | { kind: 'link'; machine: string; lossPct: number; delayNs: number; jitterNs: number; corruptPct: number; reorderPct: number }
  | { kind: 'mtu'; netns: string; device: string; mtu: number }
  | { kind: 'conntrack'; node: string; flush: true }
  | { kind: 'conntrack'; node: string; flush: false; protocol?: 'TCP' | 'UDP' | 'ICMP'; origSrc?: string; origDst?: string; origDport?: number; replySrc?: string }
  /** kube-proxy's behaviour on a node (or every node): sync delay, stale UDP conntrack cleanup. */
  | { kind: 'kube-proxy'; node?: string; syncDelayNs?: number; conntrackCleanup?: boolean }
  | { kind: 'hairpin'; namespace: string; name: string; on: boolean }
  /** The node's kernel release, for behaviour that changed between releases (conntrack clash resolution, 5.8). */
  | { kind: 'kernel'; node: string; release: string; major: number; minor: number }
  /** `sysctl -w` on one node (or every node): table limits, and switches and modes by their Linux names (kernel/sysctls.ts). */
  | { kind: 'sysctl'; node?: string; values: KernelLimitsInput; switches?: Readonly<Record<string, number>> };

export interface StepSpec {
  atNs: number;
  action: StepAction;
  pos: SourcePos;
}

/** `matrix:` in a scenario: how to probe every pod pair, and what table to expect. */
export interface MatrixSpec {
  port: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  via: 'pod' | 'service';
  atNs?: number;
  /** Expected marks by source, then destination (`ns/name`); `?` = not checked. */
  expect?: { pods: string[]; rows: Map<string, Map<string, '.' | 'X' | '?'>> };
  pos: SourcePos;
}

/** A manifest podwalk read but does not act on yet (reported as a warning). */
export interface IgnoredResource {
  kind: string;
  name: string;
  pos: SourcePos;
}

export interface Scenario {
  file: string; // path of the scenario file as given
  name: string;
  description: string;
  cluster: ClusterSpec;
  namespaces: NamespaceSpec[];
  /** Declared pods first, then pods from Deployments/ReplicaSets, then the built-in coredns pods. */
  pods: PodSpec[];
  /** The pod templates of Deployments and ReplicaSets at `replicas: 0` (a `scale` step makes a Deployment's pods from its template); absent = none. */
  podTemplates?: PodTemplateSpec[];
  /** Declared Services, then the built-in kube-system/kube-dns (when dns). */
  services: ServiceSpec[];
  /** Hand-written slices (derived: false), then the controller's (derived: true). */
  endpointSlices: EndpointSliceSpec[];
  /** Cluster DNS is on (= cluster.dns). */
  dns: boolean;
  /** NetworkPolicies in effect from the start (steps may change them later). */
  networkPolicies: NetworkPolicySpec[];
  /** Ingresses (class filled in by the DefaultIngressClass admission plugin) and IngressClasses, in file order. */
  ingresses: IngressSpec[];
  ingressClasses: IngressClassSpec[];
  /** `matrix:`: the reachability probe and its expected truth table. */
  matrix?: MatrixSpec;
  /** `steps:`: control-plane changes at simulated times, in time order. */
  steps: StepSpec[];
  traffic: TrafficSpec[];
  ignored: IgnoredResource[];
  /**
   * What the printed objects said about the cluster's set-up (docs/scenario-format.md "The printed
   * cluster's set-up"): where `cluster.network` and `cluster.proxyMode` were read when the scenario
   * does not give them, and whether flanneld runs there. Absent: nothing printed says.
   */
  printedConfig?: { flannel: boolean; network?: { value: NetworkBackend; from: string }; proxyMode?: { value: ProxyMode; from: string } };
  warnings: Problem[];
}

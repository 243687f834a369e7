/**
 * A validated scenario with every default applied. Produced by `loadScenario`,
 * consumed by the cluster builder and the traffic runner. Nothing here refers to
 * YAML any more, except `pos` fields kept so that later checks (and expectation
 * failures) can still point at the file.
 */

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
export type ProxyMode = 'iptables' | 'ipvs';
export type Protocol = 'TCP' | 'UDP' | 'ICMP';

export interface NodeSpec {
  name: string;
  ip: string; // node IP on the underlay
  podCIDR: string; // e.g. 10.244.1.0/24
  pos: SourcePos;
}

export interface ExternalHostSpec {
  name: string;
  ip: string;
  pos: SourcePos;
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
}

/** The controller that made a pod (pods declared directly have none). */
export interface PodOwner {
  kind: 'Deployment' | 'ReplicaSet';
  /** The Deployment's or ReplicaSet's name (in the pod's namespace). */
  name: string;
}

export interface PodSpec {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  nodeName: string; // resolved: given, or round-robin in node order
  ip: string; // resolved: status.podIP, or IPAM (.2, .3, ... of the node's podCIDR); node IP when hostNetwork
  hostNetwork: boolean;
  ports: ContainerPortSpec[];
  /** The Ready condition: true unless status.conditions says Ready=False. */
  ready: boolean;
  /** metadata.deletionTimestamp is set: the pod is shutting down (EndpointSlices show it terminating). */
  terminating: boolean;
  /** Set for pods made from a Deployment or ReplicaSet template. */
  owner?: PodOwner;
  /** Part of the built-in cluster add-ons (the coredns pods), not written in the scenario. */
  builtin: boolean;
  pos: SourcePos; // the Pod, or the Deployment/ReplicaSet it came from (built-ins: the `cluster:` mapping)
}

export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
export type L4Protocol = 'TCP' | 'UDP' | 'SCTP';

/** `spec.ports[]` of a Service with defaults applied (fits the cluster layer's ServicePortInput). */
export interface ServicePortSpec {
  /** `''` when the Service has a single unnamed port. */
  name: string;
  protocol: L4Protocol;
  port: number;
  /** A number, or a container port name resolved on each endpoint pod (default: `port`). */
  targetPort: number | string;
  /** NodePort and LoadBalancer Services: given, or allocated (see src/cluster/service-alloc.ts). */
  nodePort?: number;
}

/** A Service (v1) as the API server would store it: defaults applied, cluster IP and node ports allocated. */
export interface ServiceSpec {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  type: ServiceType;
  /** Absent for headless (`clusterIP: None`) and ExternalName Services. */
  clusterIP?: string;
  /** `clusterIP: None`. */
  headless: boolean;
  ports: ServicePortSpec[];
  /** `spec.selector` (absent or empty = endpoints written by hand as EndpointSlices). */
  selector?: Record<string, string>;
  externalIPs: string[];
  /** `status.loadBalancer.ingress[].ip`. */
  loadBalancerIPs: string[];
  /** `spec.loadBalancerSourceRanges`, whitespace trimmed, as CIDRs. */
  loadBalancerSourceRanges: string[];
  externalTrafficPolicy: 'Cluster' | 'Local';
  internalTrafficPolicy: 'Cluster' | 'Local';
  /** LoadBalancer with externalTrafficPolicy Local: given, or allocated from the node port range. */
  healthCheckNodePort?: number;
  sessionAffinity: 'None' | 'ClientIP';
  /** `sessionAffinityConfig.clientIP.timeoutSeconds` (default 10800). */
  affinityTimeoutSeconds: number;
  /** ExternalName Services: the DNS name they alias. */
  externalName?: string;
  /** `spec.allocateLoadBalancerNodePorts` (default true; only LoadBalancer). */
  allocateLoadBalancerNodePorts: boolean;
  /** `spec.publishNotReadyAddresses`: not-ready pods' endpoints are ready. */
  publishNotReadyAddresses: boolean;
  /** The built-in kube-system/kube-dns Service. */
  builtin: boolean;
  pos: SourcePos;
}

/** One endpoint of an EndpointSlice (fits the cluster layer's EndpointInput). */
export interface EndpointSpec {
  ip: string; // addresses[0]
  nodeName?: string;
  /** `<namespace>/<name>` of the targetRef (the pod), when known. */
  targetRef?: string;
  ready: boolean; // API default when absent: true
  serving: boolean; // API default when absent: = ready
  terminating: boolean; // API default when absent: false
}

/** An EndpointSlice (discovery.k8s.io/v1): written in the scenario, or derived by the EndpointSlice controller. */
export interface EndpointSliceSpec {
  namespace: string;
  name: string;
  /** The `kubernetes.io/service-name` label: a Service in the same namespace. */
  serviceName: string;
  ports: { name: string; port: number; protocol: L4Protocol }[];
  endpoints: EndpointSpec[];
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
  pos: SourcePos;
}

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
  expect?: Expectation;
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
  /** Declared Services, then the built-in kube-system/kube-dns (when dns). */
  services: ServiceSpec[];
  /** Hand-written slices (derived: false), then the controller's (derived: true). */
  endpointSlices: EndpointSliceSpec[];
  /** Cluster DNS is on (= cluster.dns). */
  dns: boolean;
  traffic: TrafficSpec[];
  ignored: IgnoredResource[];
  warnings: Problem[];
}

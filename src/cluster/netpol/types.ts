/**
 * NetworkPolicy (networking.k8s.io/v1) as the policy agent reads it from the
 * API server: defaults applied (policyTypes, protocol TCP), nothing else
 * interpreted. The scenario layer's validated objects have this shape.
 */

export interface SelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values: string[];
}

/** metav1.LabelSelector: every matchLabels pair and every expression must hold (empty = everything). */
export interface LabelSelector {
  matchLabels: Record<string, string>;
  matchExpressions: SelectorRequirement[];
}

/** One `from`/`to` entry. podSelector and namespaceSelector in one peer are ANDed; ipBlock stands alone. */
export interface PolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except: string[] };
}

export interface PolicyPort {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  /** A number, a named container port (resolved on the destination pod), or absent = every port. */
  port?: number | string;
  /** With a numeric port: the range port..endPort. */
  endPort?: number;
}

/** One ingress or egress rule. Absent or empty `peers` = every peer; absent or empty `ports` = every port. */
export interface PolicyRule {
  peers: PolicyPeer[];
  ports: PolicyPort[];
}

export type PolicyType = 'Ingress' | 'Egress';
export type Direction = 'ingress' | 'egress';

export interface NetworkPolicyInput {
  namespace: string;
  name: string;
  podSelector: LabelSelector;
  /** Defaulted as the API does: Ingress always, Egress when egress rules exist. */
  policyTypes: PolicyType[];
  ingress: PolicyRule[];
  egress: PolicyRule[];
}

/** What the agent needs of a pod: where it runs, its address, labels and named ports. */
export interface PolicyPod {
  namespace: string;
  name: string;
  nodeName: string;
  ip: string;
  hostNetwork: boolean;
  labels: Record<string, string>;
  ports: { containerPort: number; protocol: 'TCP' | 'UDP' | 'SCTP'; name?: string }[];
  /**
   * hostNetwork pods: every address of their node besides `ip` (the bridge's `.1`, flannel.1's or
   * flannel0's `<subnet>.0`), because the node picks the source by route: across a VXLAN or udp
   * overlay the other node sees `<subnet>.0`, not the node IP.
   */
  hostAddresses?: string[];
}

export interface PolicyNamespace {
  name: string;
  labels: Record<string, string>;
}

/**
 * Choices the NetworkPolicy API leaves to the implementation. Each one is a
 * documented switch (docs/network-policy.md); defaults follow what the
 * upstream e2e suite expects or what common agents do.
 */
export interface PolicyOptions {
  /**
   * What enforces the policies. flannel itself enforces none: `kube-router` (default) is a policy-only agent
   * beside it (kube-router with only its firewall, or Canal's Felix), `none` is flannel alone: the API server
   * stores the policies and nothing programs them.
   */
  agent: 'kube-router' | 'none';
  /** What a denied packet gets: silently dropped (default, as Calico) or rejected with ICMP port unreachable (as kube-router). */
  denyAction: 'drop' | 'reject';
  /** Whether an ipBlock also matches pod IPs (the e2e suite's except-clause tests rely on it; default true). */
  ipBlockMatchesPods: boolean;
  /** A pod reaching itself through its Service (hairpin): always allowed (default) or subject to its own policies. */
  selfViaService: 'allow' | 'enforce';
  /** hostNetwork pods share the node's IP: as peers they are the node (matched by ipBlock only, default), or selectable by podSelector. */
  hostNetworkPeers: 'as-node' | 'as-pod';
}

export const DEFAULT_POLICY_OPTIONS: PolicyOptions = { agent: 'kube-router', denyAction: 'drop', ipBlockMatchesPods: true, selfViaService: 'allow', hostNetworkPeers: 'as-node' };

/** Everything the agent programs from: the current API objects. */
export interface PolicyWorld {
  policies: NetworkPolicyInput[];
  pods: PolicyPod[];
  namespaces: PolicyNamespace[];
  options: PolicyOptions;
  /** kube-apiserver's --service-node-port-range (absent: 30000-32767): the agent lets node ports through INPUT. */
  nodePortRange?: readonly [number, number];
}

/** kube-apiserver's default --service-node-port-range. */
export const DEFAULT_NODE_PORT_RANGE: readonly [number, number] = [30000, 32767];

import type { LabelSelector } from '../netpol/types.js';

/**
 * What kube-scheduler reads to place a pod (docs/scenario-format.md
 * "Placement"): the node side and the pod side of its filter and score
 * plugins, as far as podwalk models them.
 */

export interface PlacementNode {
  name: string;
  labels: Record<string, string>;
  taints: Taint[];
  unschedulable: boolean;
}

export interface Taint {
  key: string;
  value: string;
  effect: string;
}

export interface Toleration {
  key?: string;
  operator: 'Equal' | 'Exists';
  value?: string;
  effect?: string;
  /** With NoExecute: how long the pod stays on a node after the taint appears (absent: for good). */
  tolerationSeconds?: number;
}

/** A `matchExpressions` / `matchFields` entry of a node selector term. */
export interface NodeSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
  values: string[];
}

/** One nodeSelectorTerm: its expressions (node labels) and fields (`metadata.name`) are ANDed; an empty term matches no node. */
export interface NodeSelectorTerm {
  matchExpressions: NodeSelectorRequirement[];
  matchFields: NodeSelectorRequirement[];
}

/** A pod (anti-)affinity term: pods its selector matches, in its namespaces, near (same topology domain as) the node. */
export interface PodAffinityTerm {
  labelSelector?: LabelSelector;
  /** `namespaces` and `namespaceSelector` are ORed; both absent = the pod's own namespace. */
  namespaces: string[];
  namespaceSelector?: LabelSelector;
  topologyKey: string;
}

export interface WeightedPodAffinityTerm {
  weight: number;
  term: PodAffinityTerm;
}

export interface TopologySpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway';
  labelSelector?: LabelSelector;
  minDomains?: number;
  /** Pod label keys whose values (on the pod being placed) are ANDed into the selector. */
  matchLabelKeys: string[];
  nodeAffinityPolicy: 'Honor' | 'Ignore';
  nodeTaintsPolicy: 'Honor' | 'Ignore';
}

/** A container port published on the node (`hostPort`; a host-network pod's ports are all host ports). */
export interface HostPort {
  /** `hostIP`; 0.0.0.0 (the default) is every address of the node. */
  ip: string;
  port: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
}

export interface PlacementPod {
  nodeSelector: Record<string, string>;
  tolerations: Toleration[];
  /** nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution: terms ORed. */
  requiredNodeTerms: NodeSelectorTerm[];
  /** nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution. */
  preferredNodeTerms?: { weight: number; term: NodeSelectorTerm }[];
  podAffinity?: { required: PodAffinityTerm[]; preferred: WeightedPodAffinityTerm[] };
  podAntiAffinity?: { required: PodAffinityTerm[]; preferred: WeightedPodAffinityTerm[] };
  topologySpreadConstraints?: TopologySpreadConstraint[];
  /** Its host ports (NodePorts); absent = none. */
  hostPorts?: HostPort[];
  /** DaemonSet pods (the controller's tolerations are already in `tolerations`: withDaemonTolerations). */
  daemon?: boolean;
}

/** A pod as the scheduler sees it: where it is (placed pods) and what it asks for. */
export interface SchedulingPod {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  terminating: boolean;
  placement: PlacementPod;
}

/** A pod already bound to a node. */
export interface BoundPod extends SchedulingPod {
  nodeName: string;
}

/** The cluster state a scheduling decision reads (made by schedulingContext, grown by bind). */
export interface SchedulingContext {
  nodes: readonly PlacementNode[];
  nodeByName: ReadonlyMap<string, PlacementNode>;
  /** Pods already bound, in the order they were bound. */
  bound: BoundPod[];
  /** The bound pods with pod affinity or anti-affinity terms (other pods are scored by them). */
  withAffinity: BoundPod[];
  /** The bound pods with required anti-affinity terms (other pods must respect them). */
  withRequiredAnti: BoundPod[];
  /** The host ports the bound pods hold, by node name (NodePorts). */
  hostPorts: Map<string, HostPort[]>;
  /** Namespace labels, for namespaceSelector. */
  namespaceLabels: ReadonlyMap<string, Record<string, string>>;
  /** Where the round-robin among equally scored nodes goes next: an index into `nodes` (round-robin.ts). */
  nextNode: number;
}

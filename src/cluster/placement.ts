import { fnv32a } from './generated-names.js';

/**
 * Where a pod without `spec.nodeName` runs. The real scheduler scores nodes by
 * load, which would make every pod's node depend on every other pod; podwalk
 * keeps the filters that decide *whether* a node can take a pod (nodeSelector,
 * required node affinity, taints and tolerations, cordoned nodes) and then
 * picks among the eligible nodes by rendezvous hashing of the pod's name: each
 * node scores hash(pod, node), the highest wins. Adding or removing another
 * pod never changes a pod's node; adding a node moves only the pods that now
 * score highest on it.
 */

export interface PlacementNode {
  name: string;
  labels: Record<string, string>;
  taints: { key: string; value: string; effect: string }[];
  unschedulable: boolean;
}

export interface Toleration {
  key?: string;
  operator: 'Equal' | 'Exists';
  value?: string;
  effect?: string;
}

/** `matchExpressions` of a node selector term (In, NotIn, Exists, DoesNotExist, Gt, Lt). */
export interface NodeSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
  values: string[];
}

export interface PlacementPod {
  nodeSelector: Record<string, string>;
  tolerations: Toleration[];
  /** requiredDuringSchedulingIgnoredDuringExecution: the terms are ORed, a term's requirements ANDed. */
  requiredNodeTerms: NodeSelectorRequirement[][];
  /** DaemonSet pods: the controller adds tolerations for the node-condition taints and ignores cordoning. */
  daemon?: boolean;
}

/** Taints the DaemonSet controller tolerates on its own (node problems), besides the pod's tolerations. */
const DAEMON_TOLERATED = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable', 'node.kubernetes.io/disk-pressure', 'node.kubernetes.io/memory-pressure', 'node.kubernetes.io/pid-pressure', 'node.kubernetes.io/unschedulable', 'node.kubernetes.io/network-unavailable'];

export function tolerates(t: Toleration, taint: PlacementNode['taints'][number]): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.operator === 'Exists') return t.key === undefined || t.key === '' || t.key === taint.key;
  return t.key === taint.key && (t.value ?? '') === taint.value;
}

/** Why a node cannot take a pod, or undefined when it can. */
export function ineligible(pod: PlacementPod, node: PlacementNode): string | undefined {
  if (node.unschedulable && !pod.daemon) return 'cordoned (spec.unschedulable)';
  for (const [k, v] of Object.entries(pod.nodeSelector)) if (node.labels[k] !== v) return `nodeSelector ${k}=${v} does not match`;
  if (pod.requiredNodeTerms.length > 0 && !pod.requiredNodeTerms.some((term) => term.every((req) => matches(req, node.labels)))) return 'required node affinity does not match';
  for (const taint of node.taints) {
    if (taint.effect === 'PreferNoSchedule') continue;
    if (pod.daemon && DAEMON_TOLERATED.includes(taint.key)) continue;
    if (!pod.tolerations.some((t) => tolerates(t, taint))) return `taint ${taint.key}${taint.value ? `=${taint.value}` : ''}:${taint.effect} not tolerated`;
  }
  return undefined;
}

function matches(req: NodeSelectorRequirement, labels: Record<string, string>): boolean {
  const v = labels[req.key];
  switch (req.operator) {
    case 'In':
      return v !== undefined && req.values.includes(v);
    case 'NotIn':
      return v === undefined || !req.values.includes(v);
    case 'Exists':
      return v !== undefined;
    case 'DoesNotExist':
      return v === undefined;
    case 'Gt':
      return v !== undefined && Number(v) > Number(req.values[0]);
    case 'Lt':
      return v !== undefined && Number(v) < Number(req.values[0]);
  }
}

/** Rendezvous hashing: the eligible node with the highest hash(pod, node); ties go to the name that sorts first. */
export function pickNode(podKey: string, eligible: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const n of eligible) {
    const score = mix(fnv32a(`${podKey}\u0000${n}`));
    if (score > bestScore || (score === bestScore && best !== undefined && n < best)) {
      best = n;
      bestScore = score;
    }
  }
  return best;
}

/** murmur3's fmix32: FNV alone leaves strings that differ only at the end too close. */
export function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

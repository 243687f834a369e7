import type { PlacementNode, PlacementPod, Taint, Toleration } from './types.js';

/**
 * The TaintToleration plugin: NoSchedule and NoExecute taints need a
 * toleration (filter); PreferNoSchedule taints the pod does not tolerate
 * count against a node (score).
 */

/** Taints the DaemonSet controller tolerates on its own (node problems), besides the pod's tolerations. */
const DAEMON_TOLERATED = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable', 'node.kubernetes.io/disk-pressure', 'node.kubernetes.io/memory-pressure', 'node.kubernetes.io/pid-pressure', 'node.kubernetes.io/unschedulable', 'node.kubernetes.io/network-unavailable'];

/** v1.Toleration.ToleratesTaint: an empty effect matches every effect, Exists without a key every taint. */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key !== undefined && t.key !== '' && t.key !== taint.key) return false;
  if (t.operator === 'Exists') return true;
  return (t.key ?? '') === taint.key && (t.value ?? '') === taint.value;
}

/** The first NoSchedule/NoExecute taint of the node the pod does not tolerate. */
export function untoleratedTaint(pod: PlacementPod, node: PlacementNode): Taint | undefined {
  return node.taints.find((taint) => (taint.effect === 'NoSchedule' || taint.effect === 'NoExecute') && !(pod.daemon && DAEMON_TOLERATED.includes(taint.key)) && !pod.tolerations.some((t) => tolerates(t, taint)));
}

/** Whether a cordoned node refuses the pod (NodeUnschedulable: unless it tolerates node.kubernetes.io/unschedulable:NoSchedule). */
export function cordonRefuses(pod: PlacementPod, node: PlacementNode): boolean {
  if (!node.unschedulable || pod.daemon) return false;
  return !pod.tolerations.some((t) => tolerates(t, { key: 'node.kubernetes.io/unschedulable', value: '', effect: 'NoSchedule' }));
}

/** PreferNoSchedule taints the pod has no toleration for (with effect PreferNoSchedule or none): TaintToleration's raw score, lower is better. */
export function intolerablePreferNoSchedule(pod: PlacementPod, node: PlacementNode): number {
  const soft = pod.tolerations.filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
  return node.taints.filter((taint) => taint.effect === 'PreferNoSchedule' && !soft.some((t) => tolerates(t, taint))).length;
}

import type { PlacementNode, PlacementPod, Taint, Toleration } from './types.js';

/**
 * The TaintToleration plugin: NoSchedule and NoExecute taints need a
 * toleration (filter); PreferNoSchedule taints the pod does not tolerate
 * count against a node (score).
 */

/**
 * The tolerations the DaemonSet controller writes into its pods' template
 * (daemonset_util.go AddOrUpdateDaemonPodTolerations): not-ready and
 * unreachable NoExecute for good, the node-condition taints and the cordon's
 * NoSchedule, and network-unavailable NoSchedule only for a host-network pod
 * (one that needs no pod network to start). A toleration the pod already has
 * with the same key, operator, value and effect is replaced in place
 * (AddOrUpdateTolerationInPodSpec); the others are appended.
 */
export function withDaemonTolerations(own: readonly Toleration[], hostNetwork: boolean): Toleration[] {
  const add: Toleration[] = [
    ...['not-ready', 'unreachable'].map((k): Toleration => ({ key: `node.kubernetes.io/${k}`, operator: 'Exists', effect: 'NoExecute' })),
    ...['disk-pressure', 'memory-pressure', 'pid-pressure', 'unschedulable', ...(hostNetwork ? ['network-unavailable'] : [])].map((k): Toleration => ({ key: `node.kubernetes.io/${k}`, operator: 'Exists', effect: 'NoSchedule' })),
  ];
  const out = [...own];
  for (const t of add) {
    const i = out.findIndex((o) => (o.key ?? '') === t.key && o.operator === t.operator && (o.value ?? '') === '' && (o.effect ?? '') === t.effect);
    if (i >= 0) out[i] = t;
    else out.push(t);
  }
  return out;
}

/** v1.Toleration.ToleratesTaint: an empty effect matches every effect, Exists without a key every taint. */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key !== undefined && t.key !== '' && t.key !== taint.key) return false;
  if (t.operator === 'Exists') return true;
  return (t.key ?? '') === taint.key && (t.value ?? '') === taint.value;
}

/** The first NoSchedule/NoExecute taint of the node the pod does not tolerate. */
export function untoleratedTaint(pod: PlacementPod, node: PlacementNode): Taint | undefined {
  return node.taints.find((taint) => (taint.effect === 'NoSchedule' || taint.effect === 'NoExecute') && !pod.tolerations.some((t) => tolerates(t, taint)));
}

/** The taint the node lifecycle controller puts on a node whose kubelet stopped reporting (its Ready condition Unknown). */
export const UNREACHABLE_TAINT: Taint = { key: 'node.kubernetes.io/unreachable', value: '', effect: 'NoExecute' };
/** The DefaultTolerationSeconds admission plugin's default-unreachable-toleration-seconds. */
export const DEFAULT_TOLERATION_SECONDS = 300;

/**
 * How long after a NoExecute taint appears the taint eviction controller deletes the pod: 0 when no
 * toleration matches, else the smallest tolerationSeconds of those that do (getMinTolerationTime, a
 * negative one counting as 0), undefined when none sets it (the pod stays). Every pod was admitted with
 * the DefaultTolerationSeconds plugin's 300 s toleration of the unreachable and not-ready taints unless
 * it had its own; a DaemonSet's pods tolerate them for good (the DaemonSet controller adds that).
 */
export function evictAfterSeconds(given: readonly Toleration[], taint: Taint, daemon: boolean): number | undefined {
  const tolerations = daemon ? withDaemonTolerations(given, false) : given;
  const own = tolerations.some((t) => (!t.key || t.key === taint.key) && (!t.effect || t.effect === 'NoExecute'));
  const all = own || !['node.kubernetes.io/unreachable', 'node.kubernetes.io/not-ready'].includes(taint.key) ? tolerations : [...tolerations, { key: taint.key, operator: 'Exists' as const, effect: 'NoExecute', tolerationSeconds: DEFAULT_TOLERATION_SECONDS }];
  const matching = all.filter((t) => tolerates(t, taint));
  if (matching.length === 0) return 0;
  const seconds = matching.flatMap((t) => (t.tolerationSeconds === undefined ? [] : [Math.max(0, t.tolerationSeconds)]));
  return seconds.length === 0 ? undefined : Math.min(...seconds);
}

/** Whether a cordoned node refuses the pod (NodeUnschedulable: unless it tolerates node.kubernetes.io/unschedulable:NoSchedule, as DaemonSet pods do). */
export function cordonRefuses(pod: PlacementPod, node: PlacementNode): boolean {
  if (!node.unschedulable) return false;
  return !pod.tolerations.some((t) => tolerates(t, { key: 'node.kubernetes.io/unschedulable', value: '', effect: 'NoSchedule' }));
}

/** PreferNoSchedule taints the pod has no toleration for (with effect PreferNoSchedule or none): TaintToleration's raw score, lower is better. */
export function intolerablePreferNoSchedule(pod: PlacementPod, node: PlacementNode): number {
  const soft = pod.tolerations.filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
  return node.taints.filter((taint) => taint.effect === 'PreferNoSchedule' && !soft.some((t) => tolerates(t, taint))).length;
}

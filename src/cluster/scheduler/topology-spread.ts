import { selects } from '../netpol/selector.js';
import type { LabelSelector } from '../netpol/types.js';
import { nodeAffinityAllows } from './node-affinity.js';
import { untoleratedTaint } from './taints.js';
import type { PlacementNode, SchedulingContext, SchedulingPod, TopologySpreadConstraint } from './types.js';

/**
 * The PodTopologySpread plugin. Pods its selector matches (in the pod's
 * namespace, not terminating) are counted per topology domain over the
 * nodes its inclusion policies admit (nodeAffinityPolicy Honor,
 * nodeTaintsPolicy Ignore by default) that carry every topology key.
 * DoNotSchedule filters a node whose domain would exceed maxSkew above the
 * least loaded domain (0 when fewer than minDomains domains exist), or that
 * lacks the key; ScheduleAnyway scores domains with fewer matching pods
 * higher (count × log(domains + 2) + maxSkew − 1, lower is better).
 * The cluster-wide default constraints (hostname maxSkew 3, zone 5) are not
 * applied: pods without constraints are placed by hash (see schedule.ts).
 */

const HOSTNAME = 'kubernetes.io/hostname';

/** The constraint's selector with matchLabelKeys folded in (values from the pod being placed). */
function selectorOf(c: TopologySpreadConstraint, pod: SchedulingPod): LabelSelector | undefined {
  if (!c.labelSelector) return undefined;
  const extra: Record<string, string> = {};
  for (const k of c.matchLabelKeys) if (pod.labels[k] !== undefined) extra[k] = pod.labels[k]!;
  return { matchLabels: { ...c.labelSelector.matchLabels, ...extra }, matchExpressions: c.labelSelector.matchExpressions };
}

function included(c: TopologySpreadConstraint, pod: SchedulingPod, node: PlacementNode): boolean {
  if (c.nodeAffinityPolicy === 'Honor' && !nodeAffinityAllows(pod.placement, node)) return false;
  if (c.nodeTaintsPolicy === 'Honor' && untoleratedTaint(pod.placement, node)) return false;
  return true;
}

/** Matching pods per node name (a nil selector matches nothing). */
function countsByNode(c: TopologySpreadConstraint, pod: SchedulingPod, ctx: SchedulingContext): Map<string, number> {
  const sel = selectorOf(c, pod);
  const out = new Map<string, number>();
  if (!sel) return out;
  for (const e of ctx.bound) if (!e.terminating && e.namespace === pod.namespace && selects(sel, e.labels)) out.set(e.nodeName, (out.get(e.nodeName) ?? 0) + 1);
  return out;
}

function hasKeys(node: PlacementNode, cs: readonly TopologySpreadConstraint[]): boolean {
  return cs.every((c) => node.labels[c.topologyKey] !== undefined);
}

/** PodTopologySpread's filter for one pod (DoNotSchedule constraints): why a node fails it, in the scheduler's words, or undefined. */
export function topologySpreadFilter(pod: SchedulingPod, ctx: SchedulingContext): (node: PlacementNode) => string | undefined {
  const hard = (pod.placement.topologySpreadConstraints ?? []).filter((c) => c.whenUnsatisfiable === 'DoNotSchedule');
  if (hard.length === 0) return () => undefined;
  // Counted once per pod (PreFilter): matching pods per domain, the least loaded domain, whether the pod counts itself.
  const checks = hard.map((c) => {
    const perNode = countsByNode(c, pod, ctx);
    const domains = new Map<string, number>();
    for (const n of ctx.nodes) {
      if (!hasKeys(n, hard) || !included(c, pod, n)) continue;
      const v = n.labels[c.topologyKey]!;
      domains.set(v, (domains.get(v) ?? 0) + (perNode.get(n.name) ?? 0));
    }
    let min = domains.size === 0 ? Infinity : Math.min(...domains.values());
    if (c.minDomains !== undefined && domains.size < c.minDomains) min = 0;
    const sel = selectorOf(c, pod);
    const self = sel && selects(sel, pod.labels) ? 1 : 0;
    return { c, domains, min, self };
  });
  return (node) => {
    if (!hasKeys(node, hard)) return "node(s) didn't match pod topology spread constraints (missing required label)";
    for (const { c, domains, min, self } of checks) if ((domains.get(node.labels[c.topologyKey]!) ?? 0) + self - min > c.maxSkew) return "node(s) didn't match pod topology spread constraints";
    return undefined;
  };
}

/** PodTopologySpread's normalised scores (0..100, higher is better) of the candidate nodes for ScheduleAnyway constraints. */
export function topologySpreadScores(pod: SchedulingPod, candidates: readonly PlacementNode[], ctx: SchedulingContext): number[] {
  const soft = (pod.placement.topologySpreadConstraints ?? []).filter((c) => c.whenUnsatisfiable === 'ScheduleAnyway');
  if (soft.length === 0) return candidates.map(() => 0);
  const ignored = new Set(candidates.filter((n) => !hasKeys(n, soft)).map((n) => n.name));
  const scored = candidates.filter((n) => !ignored.has(n.name));
  // Per constraint: matching pods per node, per domain (over every admitted node with all keys), and the number of domains among the candidates.
  const per = soft.map((c) => {
    const perNode = countsByNode(c, pod, ctx);
    const perDomain = new Map<string, number>();
    for (const n of ctx.nodes) {
      if (!hasKeys(n, soft) || !included(c, pod, n)) continue;
      const v = n.labels[c.topologyKey]!;
      perDomain.set(v, (perDomain.get(v) ?? 0) + (perNode.get(n.name) ?? 0));
    }
    const size = c.topologyKey === HOSTNAME ? scored.length : new Set(scored.map((n) => n.labels[c.topologyKey]!)).size;
    return { c, perNode, perDomain, weight: Math.log(size + 2) };
  });
  const raw = candidates.map((node) => {
    if (ignored.has(node.name)) return -1;
    let score = 0;
    for (const { c, perNode, perDomain, weight } of per) {
      const count = c.topologyKey === HOSTNAME ? (perNode.get(node.name) ?? 0) : (perDomain.get(node.labels[c.topologyKey]!) ?? 0);
      score += count * weight + (c.maxSkew - 1);
    }
    return Math.round(score);
  });
  const valid = raw.filter((s) => s >= 0);
  const max = valid.length > 0 ? Math.max(...valid) : 0;
  const min = valid.length > 0 ? Math.min(...valid) : 0;
  return raw.map((s) => (s < 0 ? 0 : max === 0 ? 100 : Math.trunc((100 * (max + min - s)) / max)));
}

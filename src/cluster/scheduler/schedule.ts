import { hasPodAffinityTerms, interPodAffinityFilter, interPodAffinityScores } from './inter-pod-affinity.js';
import { nodeAffinityAllows, preferredNodeScore } from './node-affinity.js';
import { hostPortsConflict, NODE_PORTS_REASON } from './node-ports.js';
import { pickRoundRobin } from './round-robin.js';
import { cordonRefuses, intolerablePreferNoSchedule, untoleratedTaint } from './taints.js';
import { topologySpreadFilter, topologySpreadScores } from './topology-spread.js';
import type { BoundPod, PlacementNode, PlacementPod, SchedulingContext, SchedulingPod } from './types.js';

/**
 * One scheduling cycle of kube-scheduler's default profile, for the plugins
 * that decide placement from what a manifest says: filters NodeUnschedulable,
 * TaintToleration, NodeAffinity, NodePorts, PodTopologySpread, InterPodAffinity (in that
 * order; a node is refused for the first that fails), then scores
 * TaintToleration ×3, NodeAffinity ×2, PodTopologySpread ×2,
 * InterPodAffinity ×2, each normalised to 0..100 as upstream does. The
 * load-based scores (NodeResourcesFit, BalancedAllocation, ImageLocality)
 * are not modelled, and the scheduler's random choice among the best nodes
 * is round-robin in node order (round-robin.ts), as the scenario format
 * specifies for pods without a nodeName.
 */

const WEIGHTS = { taintToleration: 3, nodeAffinity: 2, podTopologySpread: 2, interPodAffinity: 2 };

export type Decision = { node: string } | { pending: string };

/** The node-only filters (cordon, taints, node affinity), as the scheduler words them; undefined = the node may run the pod. */
export function nodeRefuses(pod: PlacementPod, node: PlacementNode): string | undefined {
  if (cordonRefuses(pod, node)) return 'node(s) were unschedulable';
  const taint = untoleratedTaint(pod, node);
  if (taint) return `node(s) had untolerated taint {${taint.key}: ${taint.value}}`;
  if (!nodeAffinityAllows(pod, node)) return "node(s) didn't match Pod's node affinity/selector";
  return undefined;
}

/** An empty cluster state over these nodes. */
export function schedulingContext(nodes: readonly PlacementNode[], namespaceLabels: ReadonlyMap<string, Record<string, string>> = new Map()): SchedulingContext {
  return { nodes, nodeByName: new Map(nodes.map((n) => [n.name, n])), bound: [], withAffinity: [], withRequiredAnti: [], hostPorts: new Map(), namespaceLabels, nextNode: 0 };
}

/** NodePorts: why the node cannot take the pod's host ports, or undefined. */
export function portsRefuse(pod: SchedulingPod, node: PlacementNode, ctx: SchedulingContext): string | undefined {
  return hostPortsConflict(pod.placement.hostPorts, ctx.hostPorts.get(node.name)) ? NODE_PORTS_REASON : undefined;
}

/** Record a pod as running on its node: later decisions see it. */
export function bind(ctx: SchedulingContext, pod: BoundPod): void {
  ctx.bound.push(pod);
  if (hasPodAffinityTerms(pod)) ctx.withAffinity.push(pod);
  if ((pod.placement.podAntiAffinity?.required.length ?? 0) > 0) ctx.withRequiredAnti.push(pod);
  if (pod.placement.hostPorts?.length) {
    const held = ctx.hostPorts.get(pod.nodeName);
    if (held) held.push(...pod.placement.hostPorts);
    else ctx.hostPorts.set(pod.nodeName, [...pod.placement.hostPorts]);
  }
}

export function schedule(pod: SchedulingPod, ctx: SchedulingContext): Decision {
  const reasons = new Map<string, number>();
  const feasible: PlacementNode[] = [];
  const spread = topologySpreadFilter(pod, ctx);
  const affinity = interPodAffinityFilter(pod, ctx);
  for (const node of ctx.nodes) {
    const why = nodeRefuses(pod.placement, node) ?? portsRefuse(pod, node, ctx) ?? spread(node) ?? affinity(node);
    if (why === undefined) feasible.push(node);
    else reasons.set(why, (reasons.get(why) ?? 0) + 1);
  }
  if (feasible.length === 0) {
    // framework.FitError: "0/N nodes are available: <count> <reason>, ..." with the histogram sorted as strings.
    const parts = [...reasons].map(([why, n]) => `${n} ${why}`).sort();
    return { pending: `0/${ctx.nodes.length} nodes are available: ${parts.join(', ')}.` };
  }
  const total = feasible.map(() => 0);
  const addAll = (weight: number, scores: readonly number[]): void => scores.forEach((s, i) => (total[i]! += weight * s));
  addAll(WEIGHTS.taintToleration, normalise(feasible.map((n) => intolerablePreferNoSchedule(pod.placement, n)), true));
  addAll(WEIGHTS.nodeAffinity, normalise(feasible.map((n) => preferredNodeScore(pod.placement, n)), false));
  addAll(WEIGHTS.podTopologySpread, topologySpreadScores(pod, feasible, ctx));
  addAll(WEIGHTS.interPodAffinity, interPodAffinityScores(pod, feasible, ctx));
  const best = Math.max(...total);
  return { node: pickRoundRobin(ctx, feasible.filter((_, i) => total[i] === best)) };
}

/** helper.DefaultNormalizeScore: scale to 0..100 by the highest score; reversed, lower raw scores are better. */
function normalise(raw: readonly number[], reverse: boolean): number[] {
  const max = Math.max(0, ...raw);
  if (max === 0) return raw.map(() => (reverse ? 100 : 0));
  return raw.map((s) => {
    const v = Math.trunc((100 * s) / max);
    return reverse ? 100 - v : v;
  });
}

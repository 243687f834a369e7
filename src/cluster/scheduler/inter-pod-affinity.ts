import { selects } from '../netpol/selector.js';
import type { PlacementNode, PodAffinityTerm, SchedulingContext, SchedulingPod } from './types.js';

/**
 * The InterPodAffinity plugin. Filter: the pod's required affinity (a pod
 * its term selects must run in the node's topology domain — unless no pod
 * anywhere matches and the pod matches its own terms: the first of a group),
 * its required anti-affinity (no such pod there), and the required
 * anti-affinity of pods already running (symmetry). Score: preferred terms of
 * both sides add or subtract their weight per topology domain; the running
 * pods' required affinity towards the pod adds 1 (hardPodAffinityWeight).
 */

/** Existing pods' terms count 1 towards a pod their required affinity selects (KubeSchedulerConfiguration's default). */
const HARD_POD_AFFINITY_WEIGHT = 1;

/** Whether `term`, written in a pod of namespace `ownerNs`, selects `pod`. A term without a labelSelector selects nothing. */
export function termSelects(term: PodAffinityTerm, ownerNs: string, pod: SchedulingPod, ctx: SchedulingContext): boolean {
  if (!term.labelSelector || !selects(term.labelSelector, pod.labels)) return false;
  if (term.namespaces.length === 0 && !term.namespaceSelector) return pod.namespace === ownerNs;
  if (term.namespaces.includes(pod.namespace)) return true;
  return term.namespaceSelector !== undefined && selects(term.namespaceSelector, ctx.namespaceLabels.get(pod.namespace) ?? {});
}

/** Nodes in one topology domain: both carry the key, with the same value. */
function sameDomain(a: PlacementNode | undefined, b: PlacementNode, key: string): boolean {
  const v = a?.labels[key];
  return v !== undefined && v === b.labels[key];
}

/** Why the node fails InterPodAffinity, in the scheduler's words, or undefined. */
export function interPodAffinityRefuses(pod: SchedulingPod, node: PlacementNode, ctx: SchedulingContext): string | undefined {
  const nodeOf = nodeIndex(ctx);
  const required = pod.placement.podAffinity?.required ?? [];
  if (required.length > 0) {
    const near = required.every((t) => ctx.bound.some((e) => termSelects(t, pod.namespace, e, ctx) && sameDomain(nodeOf.get(e.nodeName), node, t.topologyKey)));
    if (!near) {
      const anyMatch = ctx.bound.some((e) => required.some((t) => termSelects(t, pod.namespace, e, ctx) && nodeOf.get(e.nodeName)?.labels[t.topologyKey] !== undefined));
      const selfMatch = required.every((t) => termSelects(t, pod.namespace, pod, ctx));
      if (anyMatch || !selfMatch) return "node(s) didn't match pod affinity rules";
    }
  }
  for (const t of pod.placement.podAntiAffinity?.required ?? []) {
    if (ctx.bound.some((e) => termSelects(t, pod.namespace, e, ctx) && sameDomain(nodeOf.get(e.nodeName), node, t.topologyKey))) return "node(s) didn't match pod anti-affinity rules";
  }
  for (const e of ctx.bound) {
    for (const t of e.placement.podAntiAffinity?.required ?? []) {
      if (termSelects(t, e.namespace, pod, ctx) && sameDomain(nodeOf.get(e.nodeName), node, t.topologyKey)) return "node(s) didn't satisfy existing pods anti-affinity rules";
    }
  }
  return undefined;
}

/** Raw InterPodAffinity scores of the candidate nodes (higher is better), normalised to 0..100 by min and max. */
export function interPodAffinityScores(pod: SchedulingPod, candidates: readonly PlacementNode[], ctx: SchedulingContext): number[] {
  const nodeOf = nodeIndex(ctx);
  const byDomain = new Map<string, number>();
  const add = (node: PlacementNode, key: string, w: number): void => {
    const v = node.labels[key];
    if (v === undefined) return;
    const k = `${key}\u0000${v}`;
    byDomain.set(k, (byDomain.get(k) ?? 0) + w);
  };
  for (const e of ctx.bound) {
    const node = nodeOf.get(e.nodeName);
    if (!node) continue;
    for (const p of pod.placement.podAffinity?.preferred ?? []) if (termSelects(p.term, pod.namespace, e, ctx)) add(node, p.term.topologyKey, p.weight);
    for (const p of pod.placement.podAntiAffinity?.preferred ?? []) if (termSelects(p.term, pod.namespace, e, ctx)) add(node, p.term.topologyKey, -p.weight);
    for (const t of e.placement.podAffinity?.required ?? []) if (termSelects(t, e.namespace, pod, ctx)) add(node, t.topologyKey, HARD_POD_AFFINITY_WEIGHT);
    for (const p of e.placement.podAffinity?.preferred ?? []) if (termSelects(p.term, e.namespace, pod, ctx)) add(node, p.term.topologyKey, p.weight);
    for (const p of e.placement.podAntiAffinity?.preferred ?? []) if (termSelects(p.term, e.namespace, pod, ctx)) add(node, p.term.topologyKey, -p.weight);
  }
  const raw = candidates.map((n) => {
    let s = 0;
    for (const [k, w] of byDomain) {
      const [key, value] = k.split('\u0000') as [string, string];
      if (n.labels[key] === value) s += w;
    }
    return s;
  });
  const max = Math.max(...raw);
  const min = Math.min(...raw);
  return raw.map((s) => (max - min > 0 ? Math.trunc((100 * (s - min)) / (max - min)) : 0));
}

function nodeIndex(ctx: SchedulingContext): Map<string, PlacementNode> {
  return new Map(ctx.nodes.map((n) => [n.name, n]));
}


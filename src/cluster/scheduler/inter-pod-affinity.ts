import { selects } from '../netpol/selector.js';
import type { BoundPod, PlacementNode, PodAffinityTerm, SchedulingContext, SchedulingPod } from './types.js';

/**
 * The InterPodAffinity plugin. Filter: the pod's required affinity (one pod
 * that all its terms select must run in each term's topology domain of the
 * node: upstream counts a running pod only if it matches every term — unless
 * no pod anywhere does and the pod matches its own terms: the first of a group),
 * its required anti-affinity (no such pod there), and the required
 * anti-affinity of pods already running (symmetry). Score: preferred terms of
 * both sides add or subtract their weight per topology domain; the running
 * pods' required affinity towards the pod adds 1 (hardPodAffinityWeight).
 * As upstream, the domains are counted once per pod (PreFilter / PreScore),
 * then each node is a lookup.
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

/** Topology domains: for each topology key, the label values where something was found. */
class Domains {
  private readonly byKey = new Map<string, Set<string>>();
  add(key: string, node: PlacementNode): void {
    const v = node.labels[key];
    if (v === undefined) return;
    let set = this.byKey.get(key);
    if (!set) this.byKey.set(key, (set = new Set()));
    set.add(v);
  }
  has(key: string, node: PlacementNode): boolean {
    const v = node.labels[key];
    return v !== undefined && this.byKey.get(key)?.has(v) === true;
  }
  /** Whether the node is in any of the domains, whatever the key. */
  hasAny(node: PlacementNode): boolean {
    for (const [key, set] of this.byKey) if (node.labels[key] !== undefined && set.has(node.labels[key]!)) return true;
    return false;
  }
  get empty(): boolean {
    return this.byKey.size === 0;
  }
}

/** InterPodAffinity's filter for one pod: why a node fails it, in the scheduler's words, or undefined. */
export function interPodAffinityFilter(pod: SchedulingPod, ctx: SchedulingContext): (node: PlacementNode) => string | undefined {
  const required = pod.placement.podAffinity?.required ?? [];
  const anti = pod.placement.podAntiAffinity?.required ?? [];
  const near = new Domains();
  const avoid = new Domains();
  const existingAvoid = new Domains();
  // Only the pod's own terms need every running pod; symmetry needs only the pods with required anti-affinity.
  for (const e of required.length + anti.length > 0 ? ctx.bound : ctx.withRequiredAnti) {
    const node = ctx.nodeByName.get(e.nodeName);
    if (!node) continue;
    // podMatchesAllAffinityTerms: a pod that matches only some of the terms counts for none of them.
    if (required.length > 0 && required.every((t) => termSelects(t, pod.namespace, e, ctx))) for (const t of required) near.add(t.topologyKey, node);
    for (const t of anti) if (termSelects(t, pod.namespace, e, ctx)) avoid.add(t.topologyKey, node);
    for (const t of e.placement.podAntiAffinity?.required ?? []) if (termSelects(t, e.namespace, pod, ctx)) existingAvoid.add(t.topologyKey, node);
  }
  // The first pod of a group whose affinity selects itself may go anywhere.
  const firstOfGroup = required.length > 0 && near.empty && required.every((t) => termSelects(t, pod.namespace, pod, ctx));
  return (node) => {
    if (!firstOfGroup && !required.every((t) => near.has(t.topologyKey, node))) return "node(s) didn't match pod affinity rules";
    if (anti.some((t) => avoid.has(t.topologyKey, node))) return "node(s) didn't match pod anti-affinity rules";
    if (existingAvoid.hasAny(node)) return "node(s) didn't satisfy existing pods anti-affinity rules";
    return undefined;
  };
}

/** InterPodAffinity's scores of the candidate nodes, normalised to 0..100 by min and max (higher is better). */
export function interPodAffinityScores(pod: SchedulingPod, candidates: readonly PlacementNode[], ctx: SchedulingContext): number[] {
  const preferred = pod.placement.podAffinity?.preferred ?? [];
  const avoided = pod.placement.podAntiAffinity?.preferred ?? [];
  const byDomain = new Map<string, Map<string, number>>();
  const add = (node: PlacementNode, key: string, w: number): void => {
    const v = node.labels[key];
    if (v === undefined) return;
    let m = byDomain.get(key);
    if (!m) byDomain.set(key, (m = new Map()));
    m.set(v, (m.get(v) ?? 0) + w);
  };
  for (const e of preferred.length + avoided.length > 0 ? ctx.bound : ctx.withAffinity) {
    const node = ctx.nodeByName.get(e.nodeName);
    if (!node) continue;
    for (const p of preferred) if (termSelects(p.term, pod.namespace, e, ctx)) add(node, p.term.topologyKey, p.weight);
    for (const p of avoided) if (termSelects(p.term, pod.namespace, e, ctx)) add(node, p.term.topologyKey, -p.weight);
    for (const t of e.placement.podAffinity?.required ?? []) if (termSelects(t, e.namespace, pod, ctx)) add(node, t.topologyKey, HARD_POD_AFFINITY_WEIGHT);
    for (const p of e.placement.podAffinity?.preferred ?? []) if (termSelects(p.term, e.namespace, pod, ctx)) add(node, p.term.topologyKey, p.weight);
    for (const p of e.placement.podAntiAffinity?.preferred ?? []) if (termSelects(p.term, e.namespace, pod, ctx)) add(node, p.term.topologyKey, -p.weight);
  }
  if (byDomain.size === 0) return candidates.map(() => 0);
  const raw = candidates.map((n) => {
    let s = 0;
    for (const [key, m] of byDomain) if (n.labels[key] !== undefined) s += m.get(n.labels[key]!) ?? 0;
    return s;
  });
  const max = Math.max(...raw);
  const min = Math.min(...raw);
  return raw.map((s) => (max - min > 0 ? Math.trunc((100 * (s - min)) / (max - min)) : 0));
}

/** Whether a bound pod has terms other pods must respect or are scored by. */
export function hasPodAffinityTerms(p: BoundPod): boolean {
  const a = p.placement.podAffinity;
  const n = p.placement.podAntiAffinity;
  return (a?.required.length ?? 0) + (a?.preferred.length ?? 0) + (n?.required.length ?? 0) + (n?.preferred.length ?? 0) > 0;
}

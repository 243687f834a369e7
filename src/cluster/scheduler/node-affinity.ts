import type { NodeSelectorRequirement, NodeSelectorTerm, PlacementNode, PlacementPod } from './types.js';

/**
 * The NodeAffinity plugin: `spec.nodeSelector` and the required node
 * affinity filter, the preferred terms score (the sum of the weights of the
 * terms a node matches).
 */

/** Whether the pod's nodeSelector and required node affinity both allow the node. */
export function nodeAffinityAllows(pod: PlacementPod, node: PlacementNode): boolean {
  for (const [k, v] of Object.entries(pod.nodeSelector)) if (node.labels[k] !== v) return false;
  return pod.requiredNodeTerms.length === 0 || pod.requiredNodeTerms.some((t) => termMatches(t, node));
}

/** Sum of the weights of the preferred terms the node matches (NodeAffinity's raw score). */
export function preferredNodeScore(pod: PlacementPod, node: PlacementNode): number {
  let sum = 0;
  for (const p of pod.preferredNodeTerms ?? []) if (termMatches(p.term, node)) sum += p.weight;
  return sum;
}

/** A term's requirements are ANDed; a term without any matches nothing (as the API documents). */
export function termMatches(term: NodeSelectorTerm, node: PlacementNode): boolean {
  if (term.matchExpressions.length === 0 && term.matchFields.length === 0) return false;
  return term.matchExpressions.every((r) => requirementMatches(r, node.labels[r.key])) && term.matchFields.every((r) => requirementMatches(r, r.key === 'metadata.name' ? node.name : undefined));
}

function requirementMatches(req: NodeSelectorRequirement, v: string | undefined): boolean {
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
    case 'Lt': {
      // Both sides must parse as integers (labels.Requirement parses them as int64).
      if (v === undefined || !INTEGER.test(v) || !INTEGER.test(req.values[0] ?? '')) return false;
      const a = BigInt(v);
      const b = BigInt(req.values[0]!);
      return req.operator === 'Gt' ? a > b : a < b;
    }
  }
}

const INTEGER = /^[-+]?[0-9]+$/;

import type { PlacementNode, SchedulingContext } from './types.js';

/**
 * The choice among equally scored nodes: round-robin in node order, as the
 * scenario format has always placed pods without a `spec.nodeName` (the
 * i-th such pod on node i mod n when nothing else decides: Pods in file
 * order, then each workload's pods).
 *
 * kube-scheduler picks at random among its best nodes; but with no resource
 * requests its NodeResourcesFit score still counts each pod's default
 * request (100m CPU, 200 MB), so on equal nodes it spreads pods evenly much
 * as a round-robin does. The cursor moves past the node taken, so a pod that
 * its rules send elsewhere does not make the next one repeat a node.
 */
export function pickRoundRobin(ctx: SchedulingContext, best: readonly PlacementNode[]): string {
  const n = ctx.nodes.length;
  const candidates = new Set(best);
  for (let k = 0; k < n; k++) {
    const at = (ctx.nextNode + k) % n;
    if (candidates.has(ctx.nodes[at]!)) {
      ctx.nextNode = (at + 1) % n;
      return ctx.nodes[at]!.name;
    }
  }
  throw new Error('pickRoundRobin: the best nodes are not among the cluster nodes');
}

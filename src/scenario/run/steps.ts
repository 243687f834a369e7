import type { Cluster } from '../../cluster/build.js';
import type { PolicyWorld } from '../../cluster/netpol/types.js';
import type { StepAction, StepSpec } from '../types.js';

/**
 * Carries out the scenario's control-plane steps at their simulated times:
 * the API objects change and the policy agent re-syncs every node, as it
 * would on a watch event. Connections already in conntrack keep flowing
 * (the agent lets ESTABLISHED traffic skip policy), as with kube-router and
 * Calico; only new connections see the new policy.
 */
export function scheduleSteps(cluster: Cluster, steps: readonly StepSpec[]): void {
  const agent = cluster.policyAgent;
  if (!agent || steps.length === 0) return;
  for (const s of steps) cluster.sched.at(s.atNs, () => agent.sync(applyStep(agent.world, s.action)));
}

export function applyStep(world: PolicyWorld, a: StepAction): PolicyWorld {
  switch (a.kind) {
    case 'apply': {
      const rest = world.policies.filter((p) => !(p.namespace === a.policy.namespace && p.name === a.policy.name));
      return { ...world, policies: [...rest, a.policy] };
    }
    case 'delete':
      return { ...world, policies: world.policies.filter((p) => !(p.namespace === a.namespace && p.name === a.name)) };
    case 'label': {
      const relabel = (labels: Record<string, string>): Record<string, string> => {
        const out = { ...labels };
        for (const [k, v] of Object.entries(a.labels)) {
          if (v === null) delete out[k];
          else out[k] = v;
        }
        return out;
      };
      if (a.target === 'namespace') return { ...world, namespaces: world.namespaces.map((n) => (n.name === a.name ? { ...n, labels: relabel(n.labels) } : n)) };
      return { ...world, pods: world.pods.map((p) => (p.namespace === a.namespace && p.name === a.name ? { ...p, labels: relabel(p.labels) } : p)) };
    }
  }
}

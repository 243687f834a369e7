import type { Scenario } from '../types.js';

/**
 * The one line a run report adds about who enforces NetworkPolicy, since the
 * scenario's network does not: every `cluster.network` is flannel, and
 * flannel implements no policy (its README sends users to Calico and the
 * like). With `cluster.networkPolicy.agent: kube-router` (the default) the
 * policies are a policy-only agent's work, said once when a policy decided
 * a packet of the run; with `none` they are stored and enforced by nothing,
 * said once when the scenario has any. Otherwise nothing.
 */
export function policyEnforcementNote(scenario: Pick<Scenario, 'cluster' | 'networkPolicies' | 'steps'>, policyDecided: boolean): string | undefined {
  const backend = `flannel (${scenario.cluster.network})`;
  if (scenario.cluster.networkPolicy.agent === 'none') {
    const stored = scenario.networkPolicies.length > 0 || scenario.steps.some((s) => s.action.kind === 'apply');
    return stored ? `NetworkPolicy: stored, not enforced: cluster.networkPolicy.agent is none, and ${backend} implements no policy` : undefined;
  }
  if (!policyDecided) return undefined;
  return `NetworkPolicy: enforced by a kube-router-style policy agent podwalk runs on every node beside ${backend}; flannel alone enforces none (cluster.networkPolicy.agent: none runs it so)`;
}

import { describe, expect, it } from 'vitest';
import type { Cluster } from '../../src/cluster/build.js';
import type { Netfilter } from '../../src/kernel/netfilter/netfilter.js';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

// kube-proxy (iptables mode) prepends its jumps only when they are missing (EnsureRule(Prepend)); kube-router
// moves its own back to rule 1 at every full sync (ensureTopLevelChains). So the policy's chain runs before
// kube-proxy's filter KUBE-SERVICES, whose REJECT would refuse a Service without endpoints at once.
const text = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: top-jumps}
cluster: {network: flannel-vxlan, nodes: [{name: node1}]}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: client, labels: {app: client}}, spec: {nodeName: node1, containers: [{name: c, image: busybox}]}}
  - {apiVersion: v1, kind: Service, metadata: {name: gone}, spec: {selector: {app: nothing}, ports: [{port: 80}]}}
  - {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: deny-egress}, spec: {podSelector: {matchLabels: {app: client}}, policyTypes: [Egress]}}
traffic:
  - {name: to-empty-service, from: pod/client, to: service/gone, port: 80}
`;
const KUBE_SERVICES = '-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES';
const NETPOL = '-m comment --comment "netpol: NetworkPolicy enforcement" -j NETPOL-FORWARD';

function run(after: (c: Cluster, nf: Netfilter) => void) {
  const r = loadScenarioText(text, 'top-jumps.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  let forward: string[] = [];
  const res = simulate(r.scenario, {
    onBuilt: (c) => {
      const nf = c.nodes.get('node1')!.nf!.engine as Netfilter;
      after(c, nf);
      forward = nf.list('filter', 'FORWARD')[0]!.rules;
    },
  });
  return { flow: res.flows[0]!, forward };
}

/** kube-proxy restarted and found its jump gone: EnsureRule puts it back at the top. */
const kubeProxyPrepends = (nf: Netfilter): void => nf.restore(`*filter\n-D FORWARD ${KUBE_SERVICES}\n-I FORWARD 1 ${KUBE_SERVICES}\nCOMMIT\n`, { noflush: true });

describe("the policy agent's jump stays rule 1 of FORWARD, ahead of kube-proxy's", () => {
  it('as built (kube-proxy first, then the agent): the policy drops the SYN before KUBE-SERVICES rejects it', () => {
    const { flow, forward } = run(() => {});
    expect(forward[0]).toBe(`-A FORWARD ${NETPOL}`);
    expect(flow).toMatchObject({ verdict: 'dropped', dropReason: 'policy-denied' });
  });

  it('kube-proxy prepends its jump after the agent: until the agent syncs again, kube-proxy rejects first', () => {
    const { flow, forward } = run((_c, nf) => kubeProxyPrepends(nf));
    expect(forward.slice(0, 2)).toEqual([`-A FORWARD ${KUBE_SERVICES}`, `-A FORWARD ${NETPOL}`]);
    expect(flow).toMatchObject({ verdict: 'dropped', dropReason: 'netfilter-reject' });
  });

  it("the agent's next sync moves its jump back to rule 1 (once), and the policy decides again", () => {
    const { flow, forward } = run((c, nf) => {
      kubeProxyPrepends(nf);
      c.policyAgent!.sync(c.policyAgent!.world);
    });
    expect(forward.slice(0, 2)).toEqual([`-A FORWARD ${NETPOL}`, `-A FORWARD ${KUBE_SERVICES}`]);
    expect(forward.filter((r) => r.endsWith('-j NETPOL-FORWARD'))).toHaveLength(1);
    expect(flow).toMatchObject({ verdict: 'dropped', dropReason: 'policy-denied' });
  });
});

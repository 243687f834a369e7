import { describe, expect, it } from 'vitest';
import { loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

// A SYN no one answers (a policy drops it): when the client resends it, and when connect() gives up.
function run(release?: string): { resent: number[]; gaveUp: number; detail: string } {
  const text = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: tcp-syn-timeouts}
cluster:
  network: flannel-vxlan
  nodes: [{name: node1}]
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: client}, spec: {nodeName: node1, containers: [{name: c, image: curl}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: server, labels: {app: server}}, spec: {nodeName: node1, containers: [{name: s, image: app, ports: [{containerPort: 8080}]}]}}
  - {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: deny}, spec: {podSelector: {matchLabels: {app: server}}, policyTypes: [Ingress]}}
${release ? `steps:\n  - {at: 0s, kernel: {node: node1, release: ${release}}}\n` : ''}traffic:
  - {name: syn, from: pod/client, to: pod/server, protocol: TCP, port: 8080, at: 1ms}
`;
  const r = loadScenarioText(text);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  const res = simulate(r.scenario);
  const sent = res.events.find((e) => e.kind === 'create' && e.flow === 'syn')!.t;
  const resent = res.events.flatMap((e) => (e.kind === 'tcp' && e.action === 'retransmit' ? [(e.t - sent) / 1e9] : []));
  const end = res.events.find((e) => e.kind === 'tcp' && e.action === 'timeout')!;
  return { resent, gaveUp: (end.t - sent) / 1e9, detail: end.kind === 'tcp' ? end.detail : '' };
}

describe('an unanswered SYN (tcp_retransmit_timer, tcp_write_timeout)', () => {
  it('Linux 6.5 and later: 4 linear resends at 1 s, then doubling; 6 + 4 retries, given up at 131 s (measured on 6.18)', () => {
    const r = run();
    expect(r.resent).toEqual([1, 2, 3, 4, 5, 7, 11, 19, 35, 67]);
    expect(r.gaveUp).toBe(131);
    expect(r.detail).toContain('10 retries (tcp_syn_retries 6 + tcp_syn_linear_timeouts 4)');
  });

  it('before 6.5 (a kernel step): doubling from the first resend, 6 retries, given up at 127 s', () => {
    const r = run('6.1.0-18-amd64');
    expect(r.resent).toEqual([1, 3, 7, 15, 31, 63]);
    expect(r.gaveUp).toBe(127);
    expect(r.detail).toContain('6 retries (tcp_syn_retries 6)');
  });
});

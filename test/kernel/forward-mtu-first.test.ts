import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate, type RunResult } from '../../src/scenario/run/simulate.js';
import type { Scenario } from '../../src/scenario/types.js';
import { decodeIpv4 } from '../../src/wire/ipv4.js';

/** Each ICMP frag-needed the pod `at` received: the TTL of the header it quotes. */
function run(scenario: Scenario, at: string): { res: RunResult; quotedTtls: number[] } {
  const quotedTtls: number[] = [];
  const res = simulate(scenario, {
    onBuilt: (c) => c.world.tracer.attach({
      event: () => {},
      frame: (kind, _t, _pkt, where, mem, off, len, l3only) => {
        if (kind !== 'rx' || where !== at) return;
        const ip = decodeIpv4(mem.subarray(off + (l3only ? 0 : 14), off + len));
        if (!ip.ok || ip.value.protocol !== 1 || ip.value.payload[0] !== 3 || ip.value.payload[1] !== 4) return;
        quotedTtls.push(ip.value.payload[8 + 8]!);
      },
    }),
  });
  return { res, quotedTtls };
}

describe('ip_forward checks the size against the MTU before the TTL decrement and the FORWARD hook', () => {
  it('the frag-needed quotes the segment as it came in: TTL 64 (as Linux 6.18 quotes it, measured in netns)', () => {
    const r = loadScenarioFile(join(import.meta.dirname, '..', '..', 'scenarios', 'tcp-mss-after-pmtu.yaml'));
    if (!r.ok) throw new Error('load');
    const { quotedTtls } = run(r.scenario, 'default/client:eth0');
    expect(quotedTtls.length).toBeGreaterThan(0);
    expect(new Set(quotedTtls)).toEqual(new Set([64]));
  });

  it('a too-big DF datagram that FORWARD would drop (an egress policy) still gets frag-needed; a small one is denied', () => {
    const r = loadScenarioText(`apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: forward-mtu-first}
cluster:
  network: flannel-vxlan
  podMTU: 1500
  nodes: [{name: node1}, {name: node2}]
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: sender, labels: {app: sender}}, spec: {nodeName: node1, containers: [{name: c, image: busybox}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: receiver}, spec: {nodeName: node2, containers: [{name: s, image: app, ports: [{containerPort: 9000, protocol: UDP}]}]}}
  - {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: no-egress}, spec: {podSelector: {matchLabels: {app: sender}}, policyTypes: [Egress]}}
traffic:
  - {name: big, from: pod/sender, to: pod/receiver, protocol: UDP, port: 9000, payload: 1472, expect: {verdict: dropped, dropReason: frag-needed}}
  - {name: small, from: pod/sender, to: pod/receiver, protocol: UDP, port: 9000, payload: 100, at: 1ms, expect: {verdict: dropped, dropReason: policy-denied}}
`);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const { res, quotedTtls } = run(r.scenario, 'default/sender:eth0');
    expect(res.flows.map((f) => [f.verdict, f.dropReason])).toEqual([['dropped', 'frag-needed'], ['dropped', 'policy-denied']]);
    expect(quotedTtls).toEqual([64]);
    // Nothing of the big one reached FORWARD: no TTL decrement, no policy verdict.
    expect(res.flows[0]!.pkt).toBeDefined();
    const big = res.events.filter((e) => e.pkt === res.flows[0]!.pkt);
    expect(big.some((e) => e.kind === 'forward' || e.kind === 'policy')).toBe(false);
  });
});

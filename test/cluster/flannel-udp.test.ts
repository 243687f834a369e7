import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';
import { showAddr, showRoutes } from '../../src/kernel/show.js';

/** Pings from a pod on node1 to one on node2 over flannel's udp backend, with the given TTLs. */
function run(ttls: number[]) {
  const yaml = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: udp}
cluster: {network: flannel-udp, nodes: [{name: node1}, {name: node2}]}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {nodeName: node1, containers: [{name: c, image: i}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: b}, spec: {nodeName: node2, containers: [{name: c, image: i}]}}
traffic:
${ttls.map((t, i) => `  - {name: ttl-${t}, from: pod/a, to: pod/b, protocol: ICMP, ttl: ${t}, at: ${i}ms}`).join('\n')}
`;
  const r = loadScenarioText(yaml, 'udp.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return simulate(r.scenario);
}

describe("flannel's udp backend as flanneld (proxy_amd64.c) and configureIface set it up", () => {
  it('both flanneld decrement TTL: a packet loses four across nodes; one reaching 0 in flanneld vanishes without an ICMP error', () => {
    const res = run([64, 5, 4, 3, 2]);
    // The first echo request b receives is ttl-64's (sent at 0).
    const rx = res.events.find((e) => e.kind === 'rx' && e.at === 'default/b:eth0' && e.frame.info.startsWith('ICMP echo request'));
    expect(rx && rx.kind === 'rx' && rx.frame.ttl).toBe(60);
    const verdict = (ttl: number) => res.flows.find((f) => f.flow === `ttl-${ttl}`)!;
    expect(verdict(5).verdict).toBe('delivered');
    // 4: node1 63 -> flanneld(node1) 2 -> flanneld(node2) 1... reaches 0 in node2's kernel: time exceeded from node2.
    expect(verdict(4)).toMatchObject({ verdict: 'dropped', dropReason: 'ttl-exceeded' });
    for (const t of [3, 2]) {
      const f = verdict(t);
      expect(f).toMatchObject({ verdict: 'dropped', dropReason: 'ttl-exceeded' });
      expect(f.dropDetail).toMatch(/in flanneld: discarded without an ICMP time exceeded/);
    }
    // No ICMP error comes back to the pod for 3 and 2 (flanneld sends none); 4 gets node2's kernel's.
    const errorsTo = (ttl: number) => res.events.filter((e) => e.kind === 'create' && e.by === 'icmp' && e.flow === `ttl-${ttl}`).length;
    expect([errorsTo(3), errorsTo(2)]).toEqual([0, 0]);
    expect(errorsTo(4)).toBe(1);
  });

  it("receive side in udp_to_tun's order: decapsulated, then the new packet made with its TTL already decremented", () => {
    const res = run([64]);
    const at = 'node2:flanneld';
    const decap = res.events.findIndex((e) => e.kind === 'decap' && e.at === at);
    const create = res.events.findIndex((e) => e.kind === 'create' && e.at === at);
    expect(decap).toBeGreaterThanOrEqual(0);
    expect(create).toBeGreaterThan(decap);
    const made = res.events[create]!;
    const rx = res.events.find((e) => e.kind === 'rx' && e.at === 'node2:flannel0' && made.kind === 'create' && e.pkt === made.pkt);
    expect(made.kind === 'create' && made.frame.ttl).toBe(61); // 64, node1's kernel 63, node1's flanneld 62, node2's 61
    expect(rx && rx.kind === 'rx' && rx.frame.ttl).toBe(61);
  });

  it('flannel0 holds <subnet>.0/32 and the cluster network is a route of its own, as ip shows it', () => {
    const node1 = run([]).cluster.nodes.get('node1')!;
    expect(showAddr(node1)).toMatch(/\n {4}inet 10\.244\.1\.0\/32 scope global flannel0\n/);
    expect(showRoutes(node1)).toContain('\n10.244.0.0/16 dev flannel0 \n');
    expect(showRoutes(node1, 'local')).not.toContain('broadcast 10.244.255.255');
  });
});

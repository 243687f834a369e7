import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

// An external host (no nf_defrag in front of its stack) behind a lossy link gets some datagrams in part.
// Linux (ip_expire, ipfrag_time 30 s): the queue is freed after 30 s and, only if the first fragment had
// come, the source gets ICMP time exceeded, fragment reassembly time exceeded (type 11 code 1).
const scenario = `
apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: frag2}
cluster:
  network: host-gw
  # The frames netem loses are drawn from the seed: seed 4 loses, of 6 datagrams, some first fragments and
  # one datagram's later fragment only, so both cases below happen (seed 1 loses neither kind).
  seed: 4
  nodes: [{name: node1}]
  externalHosts: [{name: ext, ip: 192.168.56.100}]
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {nodeName: node1, containers: [{name: c, image: busybox}]}}
steps:
  - {at: 0, link: {machine: node1, loss: 30%}}
traffic:
  - {name: big, from: pod/a, to: host/ext, protocol: UDP, port: 9000, payload: 4000, count: 6, interval: 1ms, at: 1s}
`;

describe('local reassembly times out after ipfrag_time', () => {
  const r = loadScenarioText(scenario, 'frag2.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  const res = simulate(r.scenario);
  const held = res.events.filter((e) => e.kind === 'deliver' && e.at === 'ext:eth0' && e.to === 'reassembly');
  const fragtime = res.events.filter((e) => e.kind === 'icmp' && e.at === 'ext' && e.message === 'fragment reassembly time exceeded');

  it('one datagram whose first fragment came: one time exceeded (code 1), 30 s after that fragment, about it', () => {
    expect(fragtime).toHaveLength(1);
    const e = fragtime[0]!;
    if (e.kind !== 'icmp') throw new Error('icmp');
    const first = held.find((h) => h.pkt === e.about)!;
    expect(first).toBeDefined();
    expect(e.t - first.t).toBe(30e9);
    const created = res.events.find((c) => c.kind === 'create' && c.pkt === e.pkt);
    expect(created?.kind === 'create' && created.frame.info).toMatch(/time exceeded/i);
  });

  it('a datagram of which only a later fragment came gets none (its queue is freed in silence)', () => {
    // Held fragments that are not the first of their datagram, whose datagram never completed.
    // (A packet's lineage may change fragments on the way: nf_defrag on node1 reassembles and fragments again.)
    const infoAtExt = (pkt: number): string => {
      const rx = res.events.filter((x) => x.kind === 'rx' && x.pkt === pkt && x.at === 'ext:eth0');
      const last = rx[rx.length - 1];
      return last?.kind === 'rx' ? last.frame.info : '';
    };
    const withoutFirst = held.filter((h) => infoAtExt(h.pkt).includes('frag off'));
    expect(infoAtExt(fragtime[0]!.kind === 'icmp' ? fragtime[0]!.about : 0)).not.toContain('frag off');
    expect(withoutFirst.length).toBeGreaterThan(0);
    expect(fragtime.every((e) => e.kind === 'icmp' && !withoutFirst.some((h) => h.pkt === e.about))).toBe(true);
  });
});

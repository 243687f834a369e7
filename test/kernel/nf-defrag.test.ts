import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

describe('nf_defrag_ipv4: fragments gathered before conntrack and NAT', () => {
  const r = loadScenarioFile(join(import.meta.dirname, '..', '..', 'scenarios', 'service-fragmented-udp.yaml'));
  if (!r.ok) throw new Error('load');
  const res = simulate(r.scenario);

  it('a fragmented datagram to a ClusterIP is DNATed whole, routed or bridged, and answered through its conntrack entry', () => {
    for (const f of ['to-other-node', 'same-bridge']) expect(res.flows.find((x) => x.flow === f)!.verdict).toBe('delivered');
    // Three fragments went in at cbr0; one nat event for the whole datagram per flow (its first and only binding).
    const nat = res.events.filter((e) => e.kind === 'nat' && e.at === 'node1' && e.first && e.manip === 'dst');
    expect(nat).toHaveLength(2);
  });

  it('leaves in fragments no larger than the largest it came in (frag_max_size), on the routed and the bridged way', () => {
    const largestIn = Math.max(...res.events.filter((e) => e.kind === 'tx' && e.at === 'default/client:eth0' && e.frame.dst === '10.96.0.12').map((e) => (e.kind === 'tx' ? e.frame.len : 0)));
    const bridgedOut = res.events.filter((e) => e.kind === 'tx' && e.at.startsWith('node1:veth') && e.frame.dst === '10.244.1.3' && e.frame.type === 'ipv4');
    expect(bridgedOut.length).toBe(3);
    for (const e of bridgedOut) if (e.kind === 'tx') expect(e.frame.len).toBeLessThanOrEqual(largestIn);
    const overlay = res.events.filter((e) => e.kind === 'tx' && e.at === 'node2:flannel.1' && e.frame.dst === '10.244.2.2');
    expect(overlay.length).toBe(0); // node2 receives on flannel.1 (rx), it does not send there
    const routedOut = res.events.filter((e) => e.kind === 'tx' && e.at === 'node1:flannel.1' && e.frame.dst === '10.244.2.2');
    expect(routedOut.length).toBe(3);
    for (const e of routedOut) if (e.kind === 'tx') expect(e.frame.len).toBeLessThanOrEqual(largestIn);
  });
});

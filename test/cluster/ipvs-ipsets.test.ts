import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Simulation } from '../../src/api/simulation.js';
import { applyIpsets } from '../../src/cluster/kube-proxy/ipvs/ipvs-ipsets.js';
import type { Netfilter } from '../../src/kernel/netfilter/netfilter.js';

describe('ipvs mode: an ipset entry the kernel refuses (syncIPSetEntries)', () => {
  it('is logged as a proxy-sync change and the entries after it are added: no failure of the run', () => {
    const sim = Simulation.fromFile(join(import.meta.dirname, '..', '..', 'scenarios', 'ipvs-loadbalancer-node-access.yaml'));
    const node1 = sim.cluster.netns.get('node1')!;
    const sets = (node1.nf!.engine as Netfilter).ipsets;
    const changes: string[] = [];
    sim.cluster.world.tracer.attach({ event: (e) => e.kind === 'change' && changes.push(e.detail) });
    applyIpsets(node1, sets, 'add KUBE-LOAD-BALANCER-SOURCE-CIDR 203.0.113.10,tcp:80,0.0.0.0/0\nadd KUBE-CLUSTER-IP 10.96.9.9,tcp:80\n');
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatch(/^ipset add KUBE-LOAD-BALANCER-SOURCE-CIDR 203\.0\.113\.10,tcp:80,0\.0\.0\.0\/0: .*kube-proxy logs it and goes on/);
    expect(sets.get('KUBE-CLUSTER-IP')!.test('10.96.9.9,tcp:80')).toBe(true);
  });
});

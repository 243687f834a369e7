import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Simulation } from '../../src/api/simulation.js';
import type { Netfilter } from '../../src/kernel/netfilter/netfilter.js';

const file = join(import.meta.dirname, '..', '..', 'scenarios', 'ipvs-loadbalancer-node-access.yaml');

/** scenarios/ipvs-loadbalancer-node-access.yaml: a node's own connection to a LoadBalancer IP its source ranges leave out. */
describe('a node`s own connection to a load-balancer IP outside its loadBalancerSourceRanges (kubernetes#119656)', () => {
  it('ipvs mode: IPVS schedules it at LOCAL_OUT, then KUBE-IPVS-OUT-FILTER drops it in filter OUTPUT by its IPVS connection', () => {
    const sim = Simulation.fromFile(file);
    const res = sim.run();
    const f = res.flow('node-outside-range');
    expect(f.dropDetail).toBe('-A KUBE-IPVS-OUT-FILTER -s 203.0.113.10/32 -m ipvs --vproto 6 --vaddr 203.0.113.10 --vport 80 -j DROP');
    const node1 = sim.cluster.netns.get('node1')!;
    // The SYN and its 10 retransmissions, each found on the IPVS connection the first one opened.
    const saved = (node1.nf!.engine as Netfilter).save({ counters: true });
    expect(saved).toMatch(/\[11:\d+\] -A KUBE-IPVS-OUT-FILTER -s 203\.0\.113\.10\/32 -m ipvs/);
    const ipvs = res.events.flatMap((e) => (e.kind === 'ipvs' && e.conn?.startsWith('TCP 203.0.113.10:33548 -> 203.0.113.10:80 -> 10.244.2.2:8080') ? [e.action] : []));
    expect(ipvs).toEqual(['schedule', ...Array<string>(10).fill('existing')]);
    // The pod is stopped at INPUT by the source-range sets, the node inside the range goes through.
    expect(res.flow('pod-outside-range').dropDetail).toBe('-A KUBE-SOURCE-RANGES-FIREWALL -j DROP');
    expect(res.flow('node-inside-range').verdict).toBe('delivered');
  });

  it('iptables and nftables modes: dropped before any DNAT, by the firewall rules that see the load-balancer IP', () => {
    const ipt = Simulation.fromFile(file, { proxyMode: 'iptables' }).run().flow('node-outside-range');
    expect(ipt.dropDetail).toContain('-A KUBE-PROXY-FIREWALL -d 203.0.113.10/32 -p tcp');
    const nft = Simulation.fromFile(file, { proxyMode: 'nftables' }).run().flow('node-outside-range');
    expect(nft.dropDetail).toContain('ip saddr != 192.168.56.100 drop');
  });
});

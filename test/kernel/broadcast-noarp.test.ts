import { describe, expect, it } from 'vitest';
import type { Cluster } from '../../src/cluster/index.js';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';
import { formatMac, parseIpv4 } from '../../src/wire/addr.js';
import { encodeIpv4, IPPROTO_UDP, type Ipv4Packet } from '../../src/wire/ipv4.js';
import { encodeUdp } from '../../src/wire/udp.js';

const scenario = `
apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: noarp}
cluster:
  network: host-gw
  nodes: [{name: node1}]
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {nodeName: node1, containers: [{name: c, image: busybox}]}}
`;

// What a socket with SO_BROADCAST would have its datagram do (no scenario sets it: sockets get EACCES first):
// arp_constructor gives a neighbour of a broadcast address NUD_NOARP and the device's broadcast address.
describe('a packet output on a broadcast route', () => {
  it('is framed to ff:ff:ff:ff:ff:ff with no ARP and no neighbour entry', () => {
    const r = loadScenarioText(scenario, 'noarp.yaml');
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    let cluster: Cluster | undefined;
    simulate(r.scenario, { onBuilt: (c) => (cluster = c) });
    const c = cluster!;
    const ns = c.nodes.get('node1')!;
    const dst = parseIpv4('10.244.1.255')!;
    const src = parseIpv4('10.244.1.1')!;
    const route = ns.fib.lookup(dst)!;
    expect(route.type).toBe('broadcast');
    const dsts: string[] = [];
    const arps: string[] = [];
    c.world.tracer.attach({
      event: (e) => {
        if (e.kind === 'arp') arps.push(e.action);
      },
      frame: (kind, _t, _pkt, at, mem, off) => {
        if (kind === 'tx' && at === 'node1:cbr0') dsts.push(formatMac(mem, off));
      },
    });
    const pkt: Ipv4Packet = { tos: 0, id: 1, df: false, mf: false, fragmentOffset: 0, ttl: 64, protocol: IPPROTO_UDP, src, dst, payload: encodeUdp({ srcPort: 5000, dstPort: 9000, payload: new Uint8Array(4) }, src, dst) };
    const skb = c.world.newSkb(encodeIpv4(pkt), 'node1', 'app', undefined, undefined, true);
    ns.stack.output(skb, pkt, route);
    c.sched.run();
    expect(dsts[0]).toBe('ff:ff:ff:ff:ff:ff');
    expect(arps).not.toContain('request');
    expect(ns.neigh.list().some((e) => e.ip === dst)).toBe(false);
  });
});

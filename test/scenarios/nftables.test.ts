import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';
import type { FlowResult } from '../../src/scenario/run/flows.js';

const dir = join(import.meta.dirname, '..', '..', 'scenarios');

/**
 * Where kube-proxy's nftables mode behaves differently from iptables mode
 * (docs/nftables.md), as `file: flow` → what nftables mode does instead.
 */
const DIFFERENCES: Record<string, (ipt: FlowResult, nft: FlowResult) => void> = {
  // Written for ipvs mode's round robin; the random draws of iptables and nftables modes pick different pods for
  // connections that are reused (no first DNAT to compare on later packets). Both modes end each packet alike.
  ...Object.fromEntries(
    ['long-lived', 'new-conns', 'metrics-a', 'metrics-b', 'metrics-a-stale', 'metrics-a-later', 'metrics-b-after'].map((flow) => [
      `ipvs-graceful-termination.yaml: ${flow}`,
      (ipt: FlowResult, nft: FlowResult) => expect([nft.verdict, nft.dropReason]).toEqual([ipt.verdict, ipt.dropReason]),
    ]),
  ),
  // cluster-ips-check: a packet to a ClusterIP that matched no service port is rejected (iptables mode routes it on).
  // nftables mode has no localhost NodePorts (upstream: only iptables mode serves 127.0.0.1): nothing listens there.
  'sysctl-route-localnet.yaml: localhost-nodeport': (ipt, nft) => {
    expect(ipt.dropReason).toBe('martian');
    expect(nft.dropReason).toBe('tcp-reset');
  },
  'service-ipvs.yaml: ping-the-cluster-ip': (ipt, nft) => {
    expect(ipt.dropReason).toBe('no-route');
    expect(nft).toMatchObject({ verdict: 'dropped', dropReason: 'netfilter-reject' });
    expect(nft.dropDetail).toContain('cluster-ips-check: ip daddr @cluster-ips reject');
  },
  'service-ipvs.yaml: not-a-service-port': (ipt, nft) => {
    expect(ipt.dropReason).toBe('no-route');
    expect(nft).toMatchObject({ verdict: 'dropped', dropReason: 'netfilter-reject' });
  },
  'service-nftables.yaml: ping-the-cluster-ip': (ipt, nft) => {
    expect(ipt.dropReason).toBe('no-route');
    expect(nft).toMatchObject({ verdict: 'dropped', dropReason: 'netfilter-reject' });
  },
  'service-nftables.yaml: not-a-service-port': (ipt, nft) => {
    expect(ipt.dropReason).toBe('no-route');
    expect(nft).toMatchObject({ verdict: 'dropped', dropReason: 'netfilter-reject' });
  },
  // ingress-nginx's service-upstream to a cluster IP port the Service lacks: rejected on the node (iptables mode routes
  // it on to the gateway, which has no route); nginx answers 502 either way.
  'ingress-backend-port.yaml: service-upstream-unchecked-number': (ipt, nft) => {
    // iptables mode: the gateway's ICMP rate limit withholds the third try's net unreachable, which times out (504).
    expect([ipt.dropReason, ipt.http?.status]).toEqual(['no-route', 504]);
    expect([nft.dropReason, nft.http?.status]).toEqual(['netfilter-reject', 502]);
    expect(nft.dropDetail).toContain('cluster-ips-check: ip daddr @cluster-ips reject');
  },
  // cluster-ips-check: an address of the service CIDR that no Service holds is dropped.
  // A deleted Service's cluster IP: routed on in iptables mode, dropped by cluster-ips-check (unallocated, in the service CIDR).
  'service-loadbalancer-added.yaml: cluster-ip-after': (ipt, nft) => {
    expect(ipt.dropReason).toBe('no-route');
    expect(nft).toMatchObject({ verdict: 'dropped', dropReason: 'netfilter-drop' });
  },
  'service-nftables.yaml: unallocated-cluster-ip': (ipt, nft) => {
    expect(ipt.dropReason).toBe('no-route');
    expect(nft).toMatchObject({ verdict: 'dropped', dropReason: 'netfilter-drop' });
    expect(nft.dropDetail).toContain('cluster-ips-check: ip daddr 10.96.0.0/12 drop');
  },
  // --nodeport-addresses defaults to `primary` in nftables mode: the bridge address is not a NodePort address.
  'service-nftables.yaml: nodeport-on-bridge-address': (ipt, nft) => {
    expect(ipt.verdict).toBe('delivered');
    expect(nft).toMatchObject({ verdict: 'dropped', dropReason: 'tcp-reset' });
  },
  // Equal priorities, newest hook first: kube-proxy's filter-forward (registered after the iptables filter table the
  // policy agent writes) rejects the Service without endpoints before the policy's DROP is reached.
  'service-no-endpoints.yaml: egress-denied': (ipt, nft) => {
    expect([ipt.dropReason, ipt.connection?.outcome]).toEqual(['policy-denied', 'timeout']);
    expect([nft.dropReason, nft.connection?.outcome]).toEqual(['netfilter-reject', 'refused']);
    expect(nft.dropDetail).toContain('reject-chain: reject');
  },
  // Two Services on one external IP and port: iptables mode's first KUBE-SERVICES rule (sa) takes the packet,
  // nftables mode holds one service-ips element, the later Service's (sb).
  'service-external-ip-shared.yaml: node-to-shared-ip': (ipt, nft) => expect([ipt.deliveredTo, nft.deliveredTo]).toEqual(['pod/default/a', 'pod/default/b']),
  // The name resolves to every workers pod, and the first answer is CoreDNS's loadbalance shuffle in the replica the
  // query reached: which of the two coredns pods the DNS Service's DNAT picks is a random draw that differs between
  // the modes (iptables' statistic ladder, nftables' numgen). Another worker, delivered alike.
  ...Object.fromEntries(
    ['truncated-then-tcp', 'use-vc', 'edns0-fits'].map((flow) => [
      `dns-tcp-fallback.yaml: ${flow}`,
      (ipt: FlowResult, nft: FlowResult) => {
        expect([nft.verdict, nft.dropReason]).toEqual([ipt.verdict, ipt.dropReason]);
        expect([ipt.deliveredTo, nft.deliveredTo].every((to) => to === undefined || to.startsWith('pod/default/workers-'))).toBe(true);
      },
    ]),
  ),
  'service-external-ip-shared.yaml: pod-to-shared-ip': (ipt, nft) => expect([ipt.deliveredTo, nft.deliveredTo]).toEqual(['pod/default/a', 'pod/default/b']),
};

function run(file: string, mode: 'iptables' | 'nftables'): FlowResult[] {
  const r = loadScenarioFile(join(dir, file), { proxyMode: mode });
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
  return simulate(r.scenario).flows;
}

describe('every scenario in nftables mode (--proxy-mode nftables): same outcomes as iptables mode except the documented differences', () => {
  // Every scenario, the gallery's too (its change steps make kube-proxy re-sync: one more `nft -f`).
  const files = [...readdirSync(dir).filter((x) => x.endsWith('.yaml')), ...readdirSync(join(dir, 'gallery')).filter((x) => x.endsWith('.yaml')).map((x) => `gallery/${x}`)];
  for (const f of files) {
    it(f, () => {
      const ipt = run(f, 'iptables');
      const nft = run(f, 'nftables');
      expect(nft.map((x) => x.flow)).toEqual(ipt.map((x) => x.flow));
      for (let i = 0; i < ipt.length; i++) {
        const a = ipt[i]!;
        const b = nft[i]!;
        const key = `${f}: ${a.flow.replace(/#\d+$/, '')}`;
        if (DIFFERENCES[key]) {
          DIFFERENCES[key](a, b);
          continue;
        }
        // Both modes pick an endpoint at random (a statistic ladder, numgen random mod N): the draws differ,
        // the candidates do not. Where the picks differ, so may everything after (a terminating endpoint
        // refuses, another answers): the pick must then be one the Service's chain offered in both modes.
        const target = (f: FlowResult): string | undefined => (f.nat ?? []).find((n) => n.type === 'DNAT' && n.first)?.after;
        if (target(a) !== target(b)) {
          const candidates = (b.nat ?? []).find((n) => n.candidates)?.candidates ?? [];
          expect(candidates.length).toBeGreaterThan(1);
          expect((a.nat ?? []).find((n) => n.candidates)?.candidates).toEqual(candidates);
          expect(candidates).toContain(target(b)!.split(' > ')[1]);
          continue;
        }
        expect({ flow: b.flow, verdict: b.verdict, dropReason: b.dropReason, deliveredTo: b.deliveredTo, seenSource: b.seenSource }).toEqual({ flow: a.flow, verdict: a.verdict, dropReason: a.dropReason, deliveredTo: a.deliveredTo, seenSource: a.seenSource });
      }
    });
  }
});

describe('nftables mode through the library API and the trace', () => {
  it('state().nft() prints the kube-proxy table; iptables holds only kubelet\'s KUBE- chains; the trace names the map element taken', async () => {
    const { Simulation } = await import('../../src/api/index.js');
    const sim = Simulation.fromFile(join(dir, 'service-clusterip.yaml'), { proxyMode: 'nftables' });
    const results = sim.run();
    const nft = sim.state('node1').nft();
    expect(nft).toMatch(/^table ip kube-proxy \{\n\tcomment "rules for kube-proxy"/);
    expect(nft).toContain('type nat hook prerouting priority dstnat; policy accept;');
    // kube-proxy writes no iptables in this mode; kubelet still has its hint, canary and KUBE-FIREWALL.
    const chains = new Set([...sim.state('node1').iptables().matchAll(/KUBE-[A-Z-]+/g)].map((m) => m[0]));
    expect([...chains].sort()).toEqual(['KUBE-FIREWALL', 'KUBE-IPTABLES-HINT', 'KUBE-KUBELET-CANARY']);
    const ev = results.events.find((e) => e.kind === 'nftables' && e.chain === 'nat-prerouting' && e.elements.length > 0);
    expect(ev).toBeDefined();
    if (ev?.kind !== 'nftables') return;
    expect(ev.elements[0]).toMatch(/^@service-ips: 10\.96\.0\.11 \. tcp \. 80 : goto service-[A-Z2-7]{8}-default\/web\/tcp\/$/);
    expect(ev.rules).toContain('nat-prerouting: jump services');
    const dnat = results.events.find((e) => e.kind === 'nat' && e.type === 'DNAT');
    expect(dnat).toMatchObject({ by: 'nftables', first: true });
    const iptables = Simulation.fromFile(join(dir, 'service-clusterip.yaml'), { proxyMode: 'iptables' });
    iptables.run();
    expect(iptables.state('node1').nft()).toBe('');
  });

  it('ClientIP affinity: the first connection fills the endpoint set, later ones follow it while its timeout runs', () => {
    const r = loadScenarioFile(join(dir, 'service-nftables.yaml'));
    if (!r.ok) throw new Error('load');
    const res = simulate(r.scenario);
    const sticky = res.flows.filter((f) => f.flow.startsWith('sticky#'));
    expect(new Set(sticky.map((f) => f.deliveredTo)).size).toBe(1);
    // From the second connection on, the affinity set decides before numgen.
    const second = res.events.filter((e) => e.kind === 'nftables' && e.elements.some((x) => x.startsWith('@affinity-')));
    expect(second.length).toBeGreaterThanOrEqual(3);
  });
});

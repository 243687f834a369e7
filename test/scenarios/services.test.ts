import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { showIptables } from '../../src/kernel/show.js';
import { Netfilter } from '../../src/kernel/netfilter/netfilter.js';
import { formatProblem, loadScenarioFile } from '../../src/scenario/load/parse.js';
import { simulate, type SimulateOptions } from '../../src/scenario/run/simulate.js';
import { renderJsonLines } from '../../src/trace/jsonl.js';

const dir = join(import.meta.dirname, '..', '..', 'scenarios');

function run(file: string, opts: SimulateOptions = {}) {
  const r = loadScenarioFile(join(dir, file));
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return simulate(r.scenario, opts);
}

describe('Services through kube-proxy (iptables mode)', () => {
  it("replies are reverse-NATed: the client's socket sees the cluster IP as its peer", () => {
    const result = run('service-clusterip.yaml');
    const clusterIP = result.scenario.services.find((s) => s.name === 'web-far')!.clusterIP!;
    const flow = result.flows.find((f) => f.flow === 'cross-node-endpoint')!;
    const answers = result.events.filter((e) => e.kind === 'deliver' && e.at === 'default/client:eth0' && e.to === 'tcp');
    expect(answers.length).toBeGreaterThan(0);
    expect(new Set(answers.map((e) => (e.kind === 'deliver' ? e.src : '')))).toContain(clusterIP);
    expect(flow.rttNs).toBeGreaterThan(0);
    // The endpoint itself sees the client's own address (no masquerade for pod traffic).
    expect(flow.seenSource).toBe('10.244.1.2');
  });

  it('masquerades exactly where kube-proxy does: node -> ClusterIP, external -> NodePort (eTP Cluster), hairpin', () => {
    expect(run('service-clusterip.yaml').flows.find((f) => f.flow === 'node-to-service')!.seenSource).toBe('10.244.1.0');
    const np = run('service-nodeport.yaml').flows;
    expect(np.find((f) => f.flow === 'etp-cluster-via-node1')!.seenSource).toBe('10.244.1.0');
    expect(np.find((f) => f.flow === 'etp-local-on-endpoint-node')!.seenSource).toBe('192.168.56.100');
    expect(run('service-hairpin.yaml').flows[0]!.seenSource).toBe('10.244.1.1');
  });

  it('a bridged DNAT keeps TTL 64 and the sender MAC; the trace names the candidates and the chosen endpoint', () => {
    const result = run('service-clusterip.yaml');
    const nat = result.events.find((e) => e.kind === 'nat' && e.first && e.candidates);
    expect(nat && nat.kind === 'nat' ? nat.candidates : []).toEqual(['10.244.1.3:8080', '10.244.2.2:8080']);
    const rx = result.events.find((e) => e.kind === 'rx' && e.at === 'default/web-a:eth0' && e.frame.info.includes('[S]'));
    expect(rx && rx.kind === 'rx' ? rx.frame.ttl : 0).toBe(64);
    const rules = result.events.filter((e) => e.kind === 'netfilter' && e.table === 'nat' && e.chain === 'PREROUTING').flatMap((e) => (e.kind === 'netfilter' ? e.rules : []));
    expect(rules.some((r) => r.startsWith('-A KUBE-SERVICES -d 10.96.0.11/32 -p tcp'))).toBe(true);
    expect(rules.some((r) => r.includes('-j DNAT --to-destination'))).toBe(true);
  });

  it('a full conntrack table drops new connections with a clear reason', () => {
    const result = run('service-clusterip.yaml', {
      onBuilt: (c) => {
        c.nodes.get('node1')!.nf!.conntrack.max = 0;
      },
    });
    expect(result.flows[0]).toMatchObject({ verdict: 'dropped', dropReason: 'conntrack-full' });
  });

  it("each node's iptables-save re-loads into the same rule set (restore -> save round trip)", () => {
    const result = run('service-loadbalancer.yaml');
    let counted = false;
    for (const ns of result.cluster.nodes.values()) {
      const saved = `${showIptables(ns)}\n`;
      const again = new Netfilter();
      again.restore(saved);
      // Policy counters count the run's packets; iptables-restore without -c starts them from zero.
      expect(again.save()).toBe(saved.replace(/ \[\d+:\d+\]$/gm, ' [0:0]'));
      counted ||= /^:[A-Z]+ ACCEPT \[[1-9]\d*:\d+\]$/m.test(saved);
      expect(saved).toContain('-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000');
    }
    expect(counted).toBe(true);
  });

  it('same scenario and seed give a byte-identical trace', () => {
    const a = run('service-affinity.yaml');
    const b = run('service-affinity.yaml');
    expect(renderJsonLines(b.events, { scenario: 'x', seed: 1 })).toBe(renderJsonLines(a.events, { scenario: 'x', seed: 1 }));
  });
});

describe('bridged DNAT and the neighbour cache (br_nf_pre_routing_finish_bridge)', () => {
  it('goes through cbr0 neighbour output until the endpoint entry is REACHABLE, then straight to its port', () => {
    const result = run('service-bridged-dnat.yaml');
    const cbr0Tx = result.flows.map((f) => result.events.filter((e) => e.kind === 'tx' && e.pkt === f.pkt && e.at === 'node1:cbr0').length);
    expect(cbr0Tx).toEqual([1, 0, 0]);
    // Either way the endpoint gets the frame with the client's own MAC as source, TTL untouched.
    for (const f of result.flows) expect(f.verdict).toBe('delivered');
  });
});

describe('the stub resolver asks A and AAAA (getaddrinfo AF_UNSPEC)', () => {
  it('sends both queries per candidate from one socket; CoreDNS answers AAAA with NODATA (NOERROR, no answer, SOA)', () => {
    const result = run('dns-lookup.yaml');
    const sent = result.events.filter((e) => e.kind === 'tx' && e.at === 'default/client:eth0' && e.frame.dport === 53);
    const received = result.events.filter((e) => e.kind === 'rx' && e.at === 'default/client:eth0' && e.frame.sport === 53);
    const info = (e: (typeof sent)[number]): string => (e.kind === 'tx' || e.kind === 'rx' ? e.frame.info : '');
    const a = sent.filter((e) => / A\? /.test(info(e)));
    const aaaa = sent.filter((e) => / AAAA\? /.test(info(e)));
    expect(a.length).toBeGreaterThan(0);
    expect(aaaa.length).toBe(a.length);
    // Same socket: one source port for both queries of a candidate.
    expect(sent[0]!.kind === 'tx' && sent[1]!.kind === 'tx' && sent[0]!.frame.sport === sent[1]!.frame.sport).toBe(true);
    // The found name's AAAA answer: NOERROR, 0 answers, 1 authority (the SOA).
    expect(received.some((e) => / 0\/1\/0 /.test(info(e)) && !/NXDomain/.test(info(e)))).toBe(true);
  });
});

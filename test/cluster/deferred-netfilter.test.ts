import { describe, expect, it } from 'vitest';
import { DeferredNetfilter } from '../../src/cluster/kube-proxy/iptables/deferred-netfilter.js';
import { Netfilter } from '../../src/kernel/netfilter/netfilter.js';
import { scaleScenario } from '../../src/bench/scale.js';
import { loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

const TEXT = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-X - [0:0]
-A FORWARD -j KUBE-X
-A KUBE-X -p udp --dport 53 -j ACCEPT
COMMIT
`;

describe('DeferredNetfilter: kube-proxy programming deferred to first use', () => {
  it('runs the programming once, on the first call of any engine method, and then behaves like an eager engine', () => {
    let runs = 0;
    const lazy = new DeferredNetfilter((nf) => {
      runs++;
      nf.restore(TEXT, { noflush: true });
    });
    expect(runs).toBe(0);
    expect(lazy.programmed).toBe(false);
    const eager = new Netfilter();
    eager.restore(TEXT, { noflush: true });
    expect(lazy.save()).toBe(eager.save());
    expect(lazy.ruleCount()).toBe(eager.ruleCount());
    expect(lazy.idle('filter', 'FORWARD')).toBe(false);
    expect(runs).toBe(1);
    expect(lazy.programmed).toBe(true);
    expect(lazy).toBeInstanceOf(Netfilter);
  });

  it('a later restore lands after the deferred one (order kept)', () => {
    const lazy = new DeferredNetfilter((nf) => nf.restore(TEXT, { noflush: true }));
    lazy.restore('*filter\n-A KUBE-X -j DROP\nCOMMIT\n', { noflush: true });
    expect(lazy.list('filter', 'KUBE-X')[0]!.rules).toEqual(['-A KUBE-X -p udp -m udp --dport 53 -j ACCEPT', '-A KUBE-X -j DROP']);
  });

  it('in a cluster, only the nodes a packet crosses get programmed; verdicts are unchanged', () => {
    const loaded = loadScenarioText(scaleScenario({ nodes: 6, pods: 12, services: 4 }, 3), 'scale.yaml');
    if (!loaded.ok) throw new Error('scenario');
    const r = simulate(loaded.scenario, { detailed: false });
    expect(r.flows.every((f) => f.verdict === 'delivered')).toBe(true);
    const programmed = [...r.cluster.nodes.values()].filter((ns) => (ns.nf!.engine as DeferredNetfilter).programmed).map((ns) => ns.name);
    expect(programmed).toContain('n0');
    expect(programmed.length).toBeLessThan(6);
    // Asking for the rules (show iptables) programs the node on demand.
    const n5 = r.cluster.nodes.get('n5')!;
    expect(n5.nf!.engine.save()).toContain('KUBE-SERVICES');
  });
});

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile, loadScenarioText } from '../../src/scenario/load/parse.js';
import { compareMatrix, formatMatrix, parseMatrix, probeMatrix, type MatrixOptions } from '../../src/scenario/run/matrix.js';
import { simulate } from '../../src/scenario/run/simulate.js';
import { showIptables } from '../../src/kernel/show.js';

/**
 * Cases from the upstream e2e NetworkPolicy suite (kubernetes
 * test/e2e/network/netpol/network_policy.go), on its model: namespaces x, y,
 * z labelled ns=<name>, pods a, b, c labelled pod=<name>, each serving TCP
 * and UDP on 80 and 81 (ports named serve-<port>-<proto>), spread over
 * three nodes so that same-node and cross-node pairs both occur. Each case
 * states its expected truth table the way upstream does (all allowed, then
 * ExpectPeer/Expect adjustments); loopback pairs are ignored, as upstream.
 */

const NS = ['x', 'y', 'z'];
const PODS = ['a', 'b', 'c'];

function model(policies: string, extra = ''): string {
  const nodes = ['node1', 'node2', 'node3'];
  let i = 0;
  const resources: string[] = [];
  for (const ns of NS) {
    resources.push(`  - {apiVersion: v1, kind: Namespace, metadata: {name: ${ns}, labels: {ns: ${ns}}}}`);
    for (const p of PODS) {
      const ports = [80, 81].flatMap((port) => ['TCP', 'UDP'].map((proto) => `{containerPort: ${port}, protocol: ${proto}, name: serve-${port}-${proto.toLowerCase()}}`)).join(', ');
      resources.push(`  - {apiVersion: v1, kind: Pod, metadata: {name: ${p}, namespace: ${ns}, labels: {pod: ${p}}}, spec: {nodeName: ${nodes[i++ % 3]}, containers: [{name: c, image: agnhost, ports: [${ports}]}]}}`);
      resources.push(`  - {apiVersion: v1, kind: Service, metadata: {name: s-${ns}-${p}, namespace: ${ns}}, spec: {selector: {pod: ${p}}, ports: [{name: tcp-80, port: 80}, {name: tcp-81, port: 81}, {name: udp-80, port: 80, protocol: UDP}]}}`);
    }
  }
  return `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: netpol-e2e}
cluster:
  network: flannel-vxlan
${extra}  nodes: [{name: node1}, {name: node2}, {name: node3}]
resources:
${resources.join('\n')}
${policies}
`;
}

type Peer = { ns?: string; pod?: string };
/** The e2e suite's Reachability: everything allowed, then adjustments. */
class Reachability {
  readonly pods = NS.flatMap((ns) => PODS.map((p) => `${ns}/${p}`));
  readonly rows = new Map(this.pods.map((f) => [f, new Map(this.pods.map((t) => [t, '.' as '.' | 'X']))]));
  expectPeer(from: Peer, to: Peer, allowed: boolean): this {
    const m = (k: string, p: Peer): boolean => (p.ns === undefined || k.startsWith(`${p.ns}/`)) && (p.pod === undefined || k.endsWith(`/${p.pod}`));
    for (const f of this.pods) for (const t of this.pods) if (m(f, from) && m(t, to)) this.rows.get(f)!.set(t, allowed ? '.' : 'X');
    return this;
  }
  expect(from: string, to: string, allowed: boolean): this {
    this.rows.get(from)!.set(to, allowed ? '.' : 'X');
    return this;
  }
  allIngress(to: string, allowed: boolean): this {
    for (const f of this.pods) this.rows.get(f)!.set(to, allowed ? '.' : 'X');
    return this;
  }
  allEgress(from: string, allowed: boolean): this {
    for (const t of this.pods) this.rows.get(from)!.set(t, allowed ? '.' : 'X');
    return this;
  }
}

function probe(policies: string, opts: Partial<MatrixOptions> = {}, extra = '') {
  const r = loadScenarioText(model(policies, extra), 'netpol-e2e.yaml');
  if (!r.ok) throw new Error(r.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return probeMatrix(r.scenario, { port: 80, protocol: 'TCP', via: 'pod', ...opts });
}

function check(policies: string, want: Reachability, opts: Partial<MatrixOptions> = {}, extra = ''): void {
  const m = probe(policies, opts, extra);
  const diffs = compareMatrix(m, want);
  expect(diffs, formatMatrix(m)).toEqual([]);
}

const np = (ns: string, name: string, spec: string): string => `  - apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: ${name}, namespace: ${ns}}
    spec: ${spec}`;

describe('NetworkPolicy: upstream e2e truth tables', () => {
  it('no policy: everything reaches everything', () => {
    check('', new Reachability());
  });

  it("'default-deny-ingress' in x: nothing reaches x", () => {
    check(np('x', 'deny-ingress', '{podSelector: {}, policyTypes: [Ingress]}'), new Reachability().expectPeer({}, { ns: 'x' }, false));
  });

  it("'default-deny-all' in x: x reaches nothing and nothing reaches x", () => {
    check(np('x', 'deny-all', '{podSelector: {}, policyTypes: [Ingress, Egress]}'), new Reachability().expectPeer({}, { ns: 'x' }, false).expectPeer({ ns: 'x' }, {}, false));
  });

  it('allow traffic from pods within the server namespace based on PodSelector', () => {
    check(np('x', 'x-a-allows-x-b', '{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]}'), new Reachability().allIngress('x/a', false).expect('x/b', 'x/a', true));
  });

  it('allow ingress for a target despite a namespace-wide deny (union of policies)', () => {
    const policies = [np('x', 'deny-all', '{podSelector: {}, policyTypes: [Ingress]}'), np('x', 'allow-all-to-a', '{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{podSelector: {}, namespaceSelector: {}}]}]}')].join('\n');
    check(policies, new Reachability().allIngress('x/a', true).allIngress('x/b', false).allIngress('x/c', false));
  });

  it('allow ingress from pods in all namespaces (empty namespaceSelector)', () => {
    check(np('x', 'allow-from-another-ns', '{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{namespaceSelector: {matchLabels: {}}}]}]}'), new Reachability());
  });

  it('allow only from a different namespace, by the kubernetes.io/metadata.name label', () => {
    check(
      np('x', 'allow-client-a-via-ns-selector', "{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{namespaceSelector: {matchLabels: {'kubernetes.io/metadata.name': y}}}]}]}"),
      new Reachability().expectPeer({ ns: 'x' }, { ns: 'x', pod: 'a' }, false).expectPeer({ ns: 'z' }, { ns: 'x', pod: 'a' }, false),
    );
  });

  it('PodSelector with MatchExpressions (In)', () => {
    check(np('x', 'x-a-allows-x-b', '{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{podSelector: {matchExpressions: [{key: pod, operator: In, values: [b]}]}}]}]}'), new Reachability().allIngress('x/a', false).expect('x/b', 'x/a', true));
  });

  it('PodSelector OR NamespaceSelector (two peers)', () => {
    check(
      np('x', 'allow-ns-y-match-selector', "{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{namespaceSelector: {matchExpressions: [{key: 'kubernetes.io/metadata.name', operator: NotIn, values: [x]}]}}, {podSelector: {matchLabels: {pod: b}}}]}]}"),
      new Reachability().expect('x/a', 'x/a', false).expect('x/c', 'x/a', false),
    );
  });

  it('PodSelector AND NamespaceSelector (one peer)', () => {
    check(
      np('x', 'allow-ns-y-podselector-and-nsselector', "{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{namespaceSelector: {matchExpressions: [{key: 'kubernetes.io/metadata.name', operator: NotIn, values: [x]}]}, podSelector: {matchLabels: {pod: b}}}]}]}"),
      new Reachability().allIngress('x/a', false).expect('y/b', 'x/a', true).expect('z/b', 'x/a', true),
    );
  });

  it('ingress on a named port: port 81 by name allows 81, not 80', () => {
    const policy = np('x', 'allow-all-81', '{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{namespaceSelector: {}}], ports: [{port: serve-81-tcp}]}]}');
    check(policy, new Reachability(), { port: 81 });
    check(policy, new Reachability().allIngress('x/a', false), { port: 80 });
  });

  it('endPort: a port range 80-81 allows both, 80-80 only 80', () => {
    check(np('x', 'range', '{podSelector: {}, ingress: [{from: [{namespaceSelector: {}}], ports: [{port: 80, endPort: 81}]}]}'), new Reachability(), { port: 81 });
    check(np('x', 'range', '{podSelector: {}, ingress: [{from: [{namespaceSelector: {}}], ports: [{port: 80, endPort: 80}]}]}'), new Reachability().expectPeer({}, { ns: 'x' }, false), { port: 81 });
  });

  it('a rule for UDP does not allow TCP, and allows UDP', () => {
    const policy = np('x', 'udp-only', '{podSelector: {}, ingress: [{ports: [{protocol: UDP, port: 80}]}]}');
    check(policy, new Reachability().expectPeer({}, { ns: 'x' }, false), { protocol: 'TCP' });
    check(policy, new Reachability(), { protocol: 'UDP' });
  });

  it('egress deny-all in x: the SYN never leaves the client node towards other nodes', () => {
    const m = probe(np('x', 'deny-egress', '{podSelector: {}, policyTypes: [Egress]}'));
    expect(compareMatrix(m, new Reachability().expectPeer({ ns: 'x' }, {}, false))).toEqual([]);
    // x/a runs on node1; y/b on node2: the denied SYN is dropped on node1 and never crosses VXLAN.
    const cell = m.cells[0]![4]!;
    expect(cell.to).toBe('y/b');
    expect(cell.flow!.dropReason).toBe('policy-denied');
    expect(cell.flow!.path).not.toContain('node2:flannel.1');
  });

  it('egress to an ipBlock with except (pod IPs match ipBlock, as the suite expects)', () => {
    // x/a is 10.244.1.2 (node1); allow egress to the cluster CIDR except node2's pod /24.
    const policy = np('x', 'egress-except', "{podSelector: {matchLabels: {pod: a}}, policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 10.244.0.0/16, except: ['10.244.2.0/24']}}]}]}");
    const m = probe(policy);
    const node2 = m.pods.filter((_, j) => m.cells[0]![j]!.flow?.path.some((p) => p.startsWith('node2')) || ['x/b', 'y/b', 'z/b'].includes(m.pods[j]!));
    const want = new Reachability();
    for (const p of node2) want.expect('x/a', p, false);
    expect(compareMatrix(m, want)).toEqual([]);
  });

  it('egress to a named port resolves the name on each destination pod', () => {
    check(np('x', 'egress-named', '{podSelector: {matchLabels: {pod: a}}, policyTypes: [Egress], egress: [{ports: [{port: serve-81-tcp}]}]}'), new Reachability().allEgress('x/a', false), { port: 80 });
    check(np('x', 'egress-named', '{podSelector: {matchLabels: {pod: a}}, policyTypes: [Egress], egress: [{ports: [{port: serve-81-tcp}]}]}'), new Reachability(), { port: 81 });
  });

  it('a Service-addressed probe is judged on the backend pod after DNAT', () => {
    check(np('x', 'x-a-allows-x-b', '{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]}'), new Reachability().allIngress('x/a', false).expect('x/b', 'x/a', true), { via: 'service' });
  });

  it('deny ingress with denyAction: reject answers with ICMP instead of silence', () => {
    const m = probe(np('x', 'deny-ingress', '{podSelector: {}, policyTypes: [Ingress]}'), { protocol: 'UDP' }, '  networkPolicy: {denyAction: reject}\n');
    const cell = m.cells[3]![0]!; // y/a -> x/a
    expect(cell.allowed).toBe(false);
    expect(cell.flow!.dropReason).toBe('policy-denied');
    expect(cell.flow!.dropDetail).toMatch(/-j REJECT --reject-with icmp-port-unreachable$/);
  });
});

describe('matrix text format', () => {
  it('prints and parses the upstream PrettyPrint layout', () => {
    const text = '-\tx/a\tx/b\nx/a\t.\tX\nx/b\t.\t.\n';
    const parsed = parseMatrix(text);
    expect(typeof parsed).not.toBe('string');
    if (typeof parsed === 'string') return;
    expect(parsed.pods).toEqual(['x/a', 'x/b']);
    expect(parsed.rows.get('x/a')!.get('x/b')).toBe('X');
    expect(parseMatrix('x/a .')).toMatch(/header/);
  });
});

describe('NetworkPolicy: datapath properties', () => {
  it('replies of an allowed connection pass a default-deny ingress on the client (conntrack)', () => {
    // x is default-deny ingress; x/a (node1) connects to y/b (node2): the SYN-ACK comes back into x/a.
    const m = probe(np('x', 'deny-ingress', '{podSelector: {}, policyTypes: [Ingress]}'));
    const cell = m.cells[m.pods.indexOf('x/a')]![m.pods.indexOf('y/b')]!;
    expect(cell.allowed).toBe(true);
    expect(cell.flow!.rttNs).toBeGreaterThan(0); // the answer reached x/a through its isolated ingress
  });
});

describe('scenario files with an expected matrix', () => {
  const dir = join(import.meta.dirname, '..', '..', 'scenarios');
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml'))) {
    const r = loadScenarioFile(join(dir, f));
    if (!r.ok || !r.scenario.matrix?.expect) continue;
    const spec = r.scenario.matrix;
    it(`${f}: podwalk matrix meets the expected table`, () => {
      const m = probeMatrix(r.scenario, { port: spec.port, protocol: spec.protocol, via: spec.via });
      expect(compareMatrix(m, spec.expect!), formatMatrix(m)).toEqual([]);
    });
  }
});

describe('NetworkPolicy: switches for what the API leaves open', () => {
  const hairpin = (extra: string) => `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: hairpin}
cluster:
  network: host-gw
${extra}  nodes: [{name: node1}]
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: web, labels: {app: web}}, spec: {nodeName: node1, containers: [{name: c, image: nginx, ports: [{containerPort: 8080}]}]}}
  - {apiVersion: v1, kind: Service, metadata: {name: web}, spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}}
  - {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: deny}, spec: {podSelector: {}, policyTypes: [Ingress]}}
traffic:
  - {name: self, from: pod/web, to: service/web, port: 80}
`;
  const load = (text: string) => {
    const r = loadScenarioText(text, 'h.yaml');
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    return r.scenario;
  };
  const run = (extra: string) => simulate(load(hairpin(extra)));

  it('selfViaService: allow (default) lets a pod reach itself through its Service under deny-all', () => {
    const res = run('');
    expect(res.flows[0]!.verdict).toBe('delivered');
    expect(res.events.some((e) => e.kind === 'policy' && e.because === 'self' && e.verdict === 'allow')).toBe(true);
  });

  it('selfViaService: allow covers the hairpin\'s egress too (deny-all both ways)', () => {
    const res = simulate(load(hairpin('').replace('policyTypes: [Ingress]', 'policyTypes: [Ingress, Egress]')));
    expect(res.flows[0]!.verdict).toBe('delivered');
    const self = res.events.filter((e) => e.kind === 'policy' && e.because === 'self' && e.verdict === 'allow');
    expect(self.map((e) => e.kind === 'policy' && e.direction).sort()).toEqual(['egress', 'ingress']);
  });

  it('selfViaService: enforce judges the hairpin by the pod\'s own policies', () => {
    const res = run('  networkPolicy: {selfViaService: enforce}\n');
    expect(res.flows[0]!.dropReason).toBe('policy-denied');
  });

  it('a pod reaching its own node\'s NodePort is judged by its egress policy after the proxy, in every mode (kube-router)', () => {
    // The egress policy allows the backend only; in ipvs mode the node port is a local address, so without the
    // agent's node-port RETURN in INPUT the pod's egress chain would judge the node IP before IPVS picks the backend.
    for (const mode of ['iptables', 'ipvs', 'nftables']) {
      const text = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: nodeport-egress}
cluster: {network: host-gw, proxyMode: ${mode}, serviceNodePortRange: 31000-31999, nodes: [{name: node1}, {name: node2}]}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: client, labels: {app: client}}, spec: {nodeName: node1, containers: [{name: c, image: c}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: web, labels: {app: web}}, spec: {nodeName: node2, containers: [{name: c, image: web, ports: [{containerPort: 8080}]}]}}
  - {apiVersion: v1, kind: Service, metadata: {name: web}, spec: {type: NodePort, selector: {app: web}, ports: [{port: 80, targetPort: 8080, nodePort: 31080}]}}
  - {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: client-egress}, spec: {podSelector: {matchLabels: {app: client}}, policyTypes: [Egress], egress: [{to: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 8080}]}]}}
traffic:
  - {name: own-node, from: pod/client, to: node/node1, port: 31080}
  - {name: other-node, from: pod/client, to: node/node2, port: 31080, at: 1ms}
`;
      const res = simulate(load(text));
      const flow = (n: string) => res.flows.find((f) => f.flow === n)!;
      expect(flow('own-node').verdict, mode).toBe('delivered');
      // To another node's address the packet is forwarded, and its destination (node2) is not allowed.
      expect(flow('other-node').dropReason, mode).toBe('policy-denied');
      const rules = showIptables(res.cluster.nodes.get('node1')!);
      expect(rules, mode).toContain('-m addrtype --dst-type LOCAL -m multiport --dports 31000:31999 -j RETURN');
      // kube-router v2.8.0 and later: one RETURN each for tcp, udp and sctp (npc_iptables.go, ensureTopLevelChains)
      expect(rules.split('\n').flatMap((l) => (l.includes('--dports 31000:31999') ? [l.split(' ')[3]] : [])), mode).toEqual(['tcp', 'udp', 'sctp']);
    }
  });

  it('a pod isolated for egress reaching an address of its own node is judged by its egress policy (kube-router, Calico; not kubernetes.io\'s "always allowed")', () => {
    const text = (egress: string) => `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: own-node-egress}
cluster: {network: flannel-vxlan, nodes: [{name: node1}]}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: client, labels: {app: client}}, spec: {nodeName: node1, containers: [{name: c, image: c}]}}
  - {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: client-out}, spec: {podSelector: {matchLabels: {app: client}}, policyTypes: [Egress], egress: ${egress}}}
traffic:
  - {name: kubelet, from: pod/client, to: node/node1, port: 10250}
`;
    const denied = simulate(load(text('[]'))).flows[0]!;
    expect(denied.dropReason).toBe('policy-denied');
    expect(simulate(load(text('[{to: [{ipBlock: {cidr: 192.168.56.0/24}}]}]'))).flows[0]!.dropReason).not.toBe('policy-denied');
  });

  it('a port name two containers repeat: ingress and egress both allow each of its numbers (kube-router collects every container port)', () => {
    const text = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: repeated-port-name}
cluster: {network: flannel-vxlan, nodes: [{name: node1}, {name: node2}]}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: b, labels: {app: b}}, spec: {nodeName: node1, containers: [{name: c, image: x, ports: [{containerPort: 80, name: http}]}, {name: d, image: x, ports: [{containerPort: 81, name: http}]}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: a, labels: {app: a}}, spec: {nodeName: node2, containers: [{name: c, image: x}]}}
  - {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: ing-http}, spec: {podSelector: {matchLabels: {app: b}}, ingress: [{ports: [{port: http}]}]}}
  - {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: egr-http}, spec: {podSelector: {matchLabels: {app: a}}, policyTypes: [Egress], egress: [{ports: [{port: http}]}]}}
traffic:
  - {name: to-80, from: pod/a, to: pod/b, port: 80, timeout: 1ms}
  - {name: to-81, from: pod/a, to: pod/b, port: 81, at: 2ms, timeout: 1ms}
  - {name: to-82, from: pod/a, to: pod/b, port: 82, at: 4ms, timeout: 1ms}
`;
    const res = simulate(load(text));
    const flow = (n: string) => res.flows.find((f) => f.flow === n)!;
    expect(flow('to-80').verdict).toBe('delivered');
    expect(flow('to-81').verdict).toBe('delivered');
    // 82 is no container's "http": the egress set lacks it, so the client's node drops it.
    expect(flow('to-82').dropReason).toBe('policy-denied');
    expect((flow('to-81').policies ?? []).map((e) => `${e.direction} ${e.verdict} ${e.policy}`)).toEqual(['egress allow default/egr-http', 'ingress allow default/ing-http']);
  });

  it('ipvs: a Service endpoint on the client\'s own node is delivered without LOCAL_OUT, so the client\'s egress policy never judges it (iptables/nftables deny it)', () => {
    const text = (mode: string) => `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: ipvs-local-real-server}
cluster:
  network: flannel-vxlan
  proxyMode: ${mode}
  nodes:
    - {name: node1, labels: {node-role.kubernetes.io/control-plane: ""}}
    - {name: node2}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: op1, labels: {app: op}}, spec: {nodeName: node1, containers: [{name: app, image: operator}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: op2, labels: {app: op}}, spec: {nodeName: node2, containers: [{name: app, image: operator}]}}
  - {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: api-only}, spec: {podSelector: {matchLabels: {app: op}}, policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 10.96.0.1/32}}], ports: [{port: 443}]}]}}
traffic:
  - {name: same-node, from: pod/op1, to: service/default/kubernetes, port: 443, timeout: 2ms}
  - {name: other-node, from: pod/op2, to: service/default/kubernetes, port: 443, at: 3ms, timeout: 2ms}
`;
    for (const mode of ['iptables', 'ipvs', 'nftables']) {
      const res = simulate(load(text(mode)));
      const flow = (n: string) => res.flows.find((f) => f.flow === n)!;
      // The rule names the ClusterIP, which never matches after DNAT: the API server on another node is denied everywhere.
      expect(flow('other-node').dropReason, mode).toBe('policy-denied');
      const same = flow('same-node');
      if (mode !== 'ipvs') {
        expect(same.dropReason, mode).toBe('policy-denied');
        continue;
      }
      expect(same.deliveredTo).toBe('node/node1');
      expect(same.policies ?? []).toEqual([]);
      expect(res.events.some((e) => e.kind === 'route' && e.pkt === same.pkt && e.ipvsLocal === true)).toBe(true);
    }
  });

  it('ipBlockMatchesPods: false keeps pod IPs out of an ipBlock', () => {
    const policy = np('x', 'egress-cluster', '{podSelector: {matchLabels: {pod: a}}, policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 10.244.0.0/16}}]}]}');
    expect(compareMatrix(probe(policy), new Reachability())).toEqual([]);
    expect(compareMatrix(probe(policy, {}, '  networkPolicy: {ipBlockMatchesPods: false}\n'), new Reachability().allEgress('x/a', false))).toEqual([]);
  });

  it('policy events name the policy, rule index and peer that allowed a packet', () => {
    const m = probe(np('x', 'x-a-allows-x-b', '{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{podSelector: {matchLabels: {pod: c}}}]}, {from: [{podSelector: {matchLabels: {pod: b}}}], ports: [{port: 80}]}]}'));
    const cell = m.cells[m.pods.indexOf('x/b')]![m.pods.indexOf('x/a')]!;
    expect(cell.allowed).toBe(true);
    const r = loadScenarioText(model(np('x', 'x-a-allows-x-b', '{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{podSelector: {matchLabels: {pod: c}}}]}, {from: [{podSelector: {matchLabels: {pod: b}}}], ports: [{port: 80}]}]}')).replace('resources:', 'resources:') + 'traffic:\n  - {name: t, from: pod/x/b, to: pod/x/a, port: 80}\n', 'p.yaml');
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const ev = simulate(r.scenario).events.find((e) => e.kind === 'policy');
    expect(ev).toMatchObject({ kind: 'policy', direction: 'ingress', pod: 'x/a', verdict: 'allow', because: 'rule', policy: 'x/x-a-allows-x-b', rule: 1, peer: 'from[0] podSelector pod=b, ports[0] TCP/80', isolatedBy: ['x/x-a-allows-x-b'] });
  });
});

describe('NetworkPolicy: upstream e2e update cases (steps, then a matrix after them)', () => {
  const after = (policies: string, steps: string, want: Reachability): void => {
    const r = loadScenarioText(`${model(policies)}steps:\n${steps}\n`, 'netpol-e2e.yaml');
    if (!r.ok) throw new Error(r.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
    const m = probeMatrix(r.scenario, { port: 80, protocol: 'TCP', via: 'pod', atNs: 10_000_000 });
    expect(compareMatrix(m, want), formatMatrix(m)).toEqual([]);
  };

  it('should allow ingress access from updated namespace', () => {
    after(np('x', 'allow-client-a-via-ns-selector', '{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{namespaceSelector: {matchLabels: {ns2: updated}}}]}]}'), '  - {at: 1ms, label: {namespace: y, labels: {ns2: updated}}}', new Reachability().allIngress('x/a', false).expectPeer({ ns: 'y' }, { ns: 'x', pod: 'a' }, true));
  });

  it('should allow ingress access from updated pod', () => {
    after(np('x', 'x-a-allows-x-b', '{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{podSelector: {matchLabels: {podupdate: updated}}}]}]}'), '  - {at: 1ms, label: {pod: x/b, labels: {podupdate: updated}}}', new Reachability().allIngress('x/a', false).expect('x/b', 'x/a', true));
  });

  it('should deny ingress access to updated pod', () => {
    after(np('x', 'deny-ingress-via-label-selector', '{podSelector: {matchLabels: {target: isolated}}, policyTypes: [Ingress]}'), '  - {at: 1ms, label: {pod: x/a, labels: {target: isolated}}}', new Reachability().allIngress('x/a', false));
  });

  it('should enforce updated policy (an allow replaced by a deny)', () => {
    const steps = ['  - at: 1ms', '    apply: {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: allow-all, namespace: x}, spec: {podSelector: {}, policyTypes: [Ingress]}}'].join('\n');
    after(np('x', 'allow-all', '{podSelector: {}, ingress: [{}]}'), steps, new Reachability().expectPeer({}, { ns: 'x' }, false));
  });

  it('deleting a deny policy restores access', () => {
    after(np('x', 'deny-ingress', '{podSelector: {}, policyTypes: [Ingress]}'), '  - {at: 1ms, delete: networkpolicy/x/deny-ingress}', new Reachability());
  });
});

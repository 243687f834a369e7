import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScenarioError, Simulation, toNs, UsageError } from '../../src/api/index.js';
import { loadScenarioFile } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

const scenarios = join(import.meta.dirname, '..', '..', 'scenarios');

const twoNodes = {
  apiVersion: 'podwalk/v1alpha1',
  kind: 'Scenario',
  metadata: { name: 'api-object' },
  cluster: { network: 'flannel-vxlan', nodes: [{ name: 'node1' }, { name: 'node2' }] },
  resources: [
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'client', labels: { app: 'client' } }, spec: { nodeName: 'node1', containers: [{ name: 'c', image: 'busybox' }] } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', labels: { app: 'web' } }, spec: { nodeName: 'node2', containers: [{ name: 'w', image: 'nginx', ports: [{ containerPort: 8080 }] }] } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
  ],
};

describe('library API: Simulation', () => {
  it('loads from a file, a YAML string and a plain object alike', () => {
    const a = Simulation.fromFile(join(scenarios, 'cross-node-vxlan.yaml')).run();
    expect(a.flows.length).toBeGreaterThan(0);
    expect(a.mismatches()).toEqual([]);
    const b = Simulation.fromObject(twoNodes).run();
    expect(b.flows).toEqual([]);
    const c = Simulation.fromYaml('apiVersion: podwalk/v1alpha1\nkind: Scenario\nmetadata: {name: y}\ncluster: {nodes: [{name: n1}]}\n');
    expect(c.scenario.name).toBe('y');
  });

  it('reports invalid input as ScenarioError with file:line:col and the field path', () => {
    expect(() => Simulation.fromYaml('apiVersion: podwalk/v1alpha1\nkind: Scenario\nmetadata: {name: y}\ncluster: {netwrk: x}\n', { file: 'mine.yaml' })).toThrow(/mine\.yaml:4:11: cluster\.netwrk: unknown field netwrk \(did you mean network\?\)/);
    const sim = Simulation.fromObject(twoNodes);
    try {
      sim.send({ from: 'pod/client', to: 'service/web', port: 81 });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ScenarioError);
      expect((e as ScenarioError).problems[0]!.path).toBe('send.port');
      expect((e as Error).message).toMatch(/Service default\/web has no TCP port 81/);
    }
    expect(() => sim.send({ from: 'pod/nope', to: 'pod/web', port: 8080 })).toThrow(/send\.from: no pod default\/nope/);
  });

  it('sends at chosen simulated times and answers per flow: verdict, hops, NAT, rules', () => {
    const sim = Simulation.fromObject(twoNodes);
    const name = sim.send({ name: 'svc', from: 'pod/client', to: 'service/web', port: 80, payload: 100, at: '2ms' });
    sim.send({ name: 'closed', from: 'pod/client', to: 'pod/web', protocol: 'UDP', port: 9999, at: 3_000_000 });
    const r = sim.run();
    const f = r.flow(name);
    expect(f.verdict).toBe('delivered');
    expect(f.deliveredTo).toBe('pod/default/web');
    expect(f.seenSource).toBe('10.244.1.2');
    expect(f.requestEvents[0]!.t).toBe(2_000_000);
    expect(f.natted).toBe(true);
    expect(f.nat[0]!.after).toMatch(/> 10\.244\.2\.2:8080$/);
    expect(f.rules.some((x) => x.rule.startsWith('-A KUBE-SERVICES') && x.table === 'nat')).toBe(true);
    expect(f.path).toContain('node1:flannel.1');
    expect(f.hops({ device: 'flannel.1', kind: 'encap' }).map((e) => e.at)).toEqual(['node1:flannel.1']);
    expect(f.hops({ node: 'node2', kind: 'rx' }).map((e) => e.at)).toEqual(['node2:eth0', 'node2:flannel.1']);
    expect(f.rttNs).toBeGreaterThan(0);
    const packets = f.packets();
    expect(packets[0]!.role).toBe('request');
    expect(packets.some((p) => p.role === 'answer' && p.by === 'tcp')).toBe(true);
    expect(packets.every((p) => p.fate !== undefined)).toBe(true);
    const closed = r.flow('closed');
    expect(closed.dropReason).toBe('port-unreachable');
    expect(closed.outcome?.kind).toBe('drop');
    expect(closed.table()).toMatch(/DROP port-unreachable/);
    expect(() => r.flow('nope')).toThrow(/^name: no flow nope \(have: svc, closed\)$/);
  });

  it('shows kernel state at any simulated time', () => {
    const sim = Simulation.fromObject(twoNodes);
    sim.send({ from: 'pod/client', to: 'service/web', port: 80, at: '1ms' });
    expect(sim.state('node1').conntrack()).toBe(''); // conntrack -L's standard output: no entries yet
    let during = '';
    sim.at('1ms', (s) => (during = s.state('default/client').neigh()));
    sim.runUntil('5ms');
    expect(sim.now).toBe(toNs('5ms'));
    expect(during).toBe('10.244.1.1 dev eth0 INCOMPLETE '); // ip neigh ends a line with a blank; // the send at 1ms ran first and is waiting for ARP
    expect(sim.state('node1').conntrack()).toMatch(/ESTABLISHED|SYN_RECV|TIME_WAIT|tcp/);
    expect(sim.state('default/client').neigh()).toMatch(/10\.244\.1\.1 dev eth0 lladdr/);
    expect(sim.state('node1').routes()).toMatch(/10\.244\.2\.0\/24 via 10\.244\.2\.0 dev flannel\.1 onlink/);
    expect(sim.state('node1').iptables()).toMatch(/KUBE-SERVICES/);
    expect(() => sim.send({ from: 'pod/client', to: 'pod/web', port: 8080, at: '1ms' })).toThrow(/in the past/);
    sim.send({ name: 'later', from: 'pod/client', to: 'pod/web', port: 8080, at: '6ms', expect: { verdict: 'delivered', hops: { max: 2 } } });
    const r = sim.run();
    expect(r.flow('later').delivered).toBe(true);
    expect(r.mismatches().map((m) => m.field)).toEqual(['hops']);
    expect(() => sim.send({ from: 'pod/client', to: 'pod/web', port: 8080 })).toThrow(/send before run/);
  });

  it('streams: onEvent sees every event as it happens, the same trace run() returns', () => {
    const seen: string[] = [];
    const sim = Simulation.fromFile(join(scenarios, 'cross-node-vxlan.yaml'), { onEvent: (e) => seen.push(JSON.stringify(e)) });
    sim.runUntil('1ns');
    const early = seen.length;
    const results = sim.run();
    expect(early).toBeGreaterThan(0);
    expect(seen.length).toBeGreaterThan(early);
    expect(seen).toEqual(results.events.map((e) => JSON.stringify(e)));
  });

  it('simulate with keepTrace false: flows and onEvent, no kept trace', () => {
    const loaded = loadScenarioFile(join(scenarios, 'cross-node-vxlan.yaml'));
    if (!loaded.ok) throw new Error('fixture');
    let n = 0;
    const streamed = simulate(loaded.scenario, { keepTrace: false, onEvent: () => n++ });
    const kept = simulate(loaded.scenario);
    expect(streamed.flows).toEqual(kept.flows);
    expect(n).toBe(kept.events.length);
    expect(() => streamed.events).toThrow(/not kept/);
  });

  it('refuses a send whose expect names a device no namespace has, at send() (not after the run)', () => {
    const sim = Simulation.fromFile(join(scenarios, 'cross-node-vxlan.yaml'), { traffic: false });
    let err: unknown;
    try {
      sim.send({ name: 'badvia', from: 'pod/pod1', to: 'pod/pod4', port: 80, expect: { via: ['node1:cni0'] } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScenarioError);
    expect((err as Error).message).toMatch(/^send\(badvia\):\d+:\d+: send\.expect\.via\[0\]: no device node1:cni0 \(devices of node1: lo, eth0, cbr0, flannel\.1, /);
    expect(sim.now).toBe(0); // nothing ran
    sim.send({ name: 'ok', from: 'pod/pod1', to: 'pod/pod4', port: 80, expect: { via: ['node1:cbr0', 'node2:cbr0'] } });
    expect(sim.run().mismatches()).toEqual([]);
  });

  it('names what it does not know with a UsageError: flows of a many-packet item by their name#k, namespaces once each', () => {
    const sim = Simulation.fromObject(twoNodes);
    sim.send({ name: 'many', from: 'pod/client', to: 'service/web', port: 80, count: 40, interval: '100us' });
    const missing = (fn: () => unknown): UsageError => {
      try {
        fn();
      } catch (e) {
        return e as UsageError;
      }
      throw new Error('did not throw');
    };
    const byItem = missing(() => sim.run().flow('many'));
    expect(byItem).toBeInstanceOf(UsageError);
    expect(byItem.argument).toBe('name');
    expect(byItem.message).toBe('name: no flow many: that item sent 40 packets, each its own flow: many#1 … many#40');
    const typo = missing(() => sim.run().flow('mny'));
    expect(typo.message).toMatch(/^name: no flow mny \(have: many#1, many#2, .*many#12 and 28 more\)$/);
    const ns = missing(() => Simulation.fromObject(twoNodes).state('node9'));
    expect(ns).toBeInstanceOf(UsageError);
    expect(ns.argument).toBe('netns');
    const listed = /\(have: (.*?)( and \d+ more)?\)$/.exec(ns.message)![1]!.split(', ');
    expect(new Set(listed).size).toBe(listed.length);
  });

  it('is deterministic: the same sends give the same trace', () => {
    const go = (): string => {
      const sim = Simulation.fromObject(twoNodes);
      sim.send({ from: 'pod/client', to: 'service/web', port: 80, count: 3, interval: '100us' });
      return JSON.stringify(sim.run().events);
    };
    expect(go()).toBe(go());
  });
});

describe('library API: golden traces', () => {
  const golden = join(import.meta.dirname, '..', 'golden');

  it('results.golden() is what podwalk run --golden --update writes, proxy mode in its header', () => {
    for (const name of ['classic-walk', 'ipvs-loadbalancer-node-access']) {
      const text = Simulation.fromFile(join(scenarios, `${name}.yaml`)).run().golden();
      expect(text).toBe(readFileSync(join(golden, `${name}.trace`), 'utf8'));
    }
    expect(Simulation.fromFile(join(scenarios, 'classic-walk.yaml'), { proxyMode: 'nftables' }).run().golden().split('\n')[1]).toBe('# proxy-mode: nftables');
    const bare = Simulation.fromFile(join(scenarios, 'classic-walk.yaml'), { detailed: false }).run();
    expect(() => bare.golden()).toThrow(UsageError);
  });

  it('results.checkGolden(file) compares as the CLI does: match, missing, differ with the mode named first', () => {
    const file = join(golden, 'classic-walk.trace');
    expect(Simulation.fromFile(join(scenarios, 'classic-walk.yaml')).run().checkGolden(file)).toEqual({ status: 'match', report: `golden: ${file} matches\n` });
    const ipvs = Simulation.fromFile(join(scenarios, 'classic-walk.yaml'), { proxyMode: 'ipvs' }).run().checkGolden(file);
    expect(ipvs.status).toBe('differ');
    expect(ipvs.report.split('\n')[0]).toMatch(/^golden: recorded with proxy mode iptables, this run uses ipvs: /);
    expect(ipvs.report).toContain('+++ results.golden() of classic-walk');
    const dir = mkdtempSync(join(tmpdir(), 'podwalk-api-golden-'));
    expect(Simulation.fromFile(join(scenarios, 'classic-walk.yaml')).run().checkGolden(join(dir, 'x.trace')).status).toBe('missing');
    expect(() => Simulation.fromFile(join(scenarios, 'classic-walk.yaml')).run().checkGolden(dir)).toThrow(/^file: .*a directory/);
  });
});

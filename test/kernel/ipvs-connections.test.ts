import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dhBucket, schedule, shBucket, type Dest } from '../../src/kernel/ipvs/schedulers.js';
import { isActive, nextTcpState, type IpvsTcpState } from '../../src/kernel/ipvs/tcp-states.js';
import { showIpvs } from '../../src/kernel/show.js';
import { loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../../src/wire/tcp.js';

/** A client pod on node1, a web pod on node2 behind 10.96.0.50 (TCP 80 → 8080, UDP 53 → 5353 where nothing listens). */
function run(traffic: string, proxyMode: 'ipvs' | 'iptables' = 'ipvs', extraPorts = '') {
  const yaml = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: ipvs-conn}
cluster: {network: flannel-vxlan, proxyMode: ${proxyMode}, nodes: [{name: node1}, {name: node2}]}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: client}, spec: {nodeName: node1, containers: [{name: c, image: i}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: web, labels: {app: web}}, spec: {nodeName: node2, containers: [{name: c, image: i, ports: [{containerPort: 8080}]}]}}
  - apiVersion: v1
    kind: Service
    metadata: {name: web}
    spec:
      clusterIP: 10.96.0.50
      selector: {app: web}
      ports: [{name: http, port: 80, targetPort: 8080}, {name: dns, port: 53, protocol: UDP, targetPort: 5353}${extraPorts}]
traffic:
${traffic}`;
  const r = loadScenarioText(yaml, 'ipvs-conn.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return simulate(r.scenario);
}

const node1Ipvs = (res: ReturnType<typeof run>): string => showIpvs(res.cluster.netns.get('node1')!);

describe('IPVS TCP state tracking (ip_vs_proto_tcp)', () => {
  const walk = (steps: ['input' | 'output', number][]): IpvsTcpState[] => {
    let s: IpvsTcpState = 'NONE';
    return steps.map(([dir, flags]) => (s = nextTcpState(s, dir, flags)));
  };

  it('a handshake goes SYN_RECV then ESTABLISHED; both count as active (Linux >= 4.8)', () => {
    expect(walk([['input', TCP_SYN], ['output', TCP_SYN | TCP_ACK], ['input', TCP_ACK], ['input', TCP_PSH | TCP_ACK]])).toEqual(['SYN_RECV', 'SYN_RECV', 'ESTABLISHED', 'ESTABLISHED']);
    expect(isActive('SYN_RECV')).toBe(true);
    expect(isActive('ESTABLISHED')).toBe(true);
  });

  it('a real server refusing (RST) closes the entry, which then counts as inactive', () => {
    expect(walk([['input', TCP_SYN], ['output', TCP_RST | TCP_ACK]])).toEqual(['SYN_RECV', 'CLOSE']);
    expect(isActive('CLOSE')).toBe(false);
  });

  it('a close by the client: FIN_WAIT is not reached from the input side, CLOSE_WAIT and LAST_ACK are', () => {
    expect(walk([['input', TCP_SYN], ['input', TCP_ACK], ['input', TCP_FIN | TCP_ACK], ['output', TCP_FIN | TCP_ACK], ['input', TCP_ACK]])).toEqual(['SYN_RECV', 'ESTABLISHED', 'CLOSE_WAIT', 'TIME_WAIT', 'TIME_WAIT']);
    expect(walk([['input', TCP_SYN], ['input', TCP_ACK], ['output', TCP_FIN | TCP_ACK]])).toEqual(['SYN_RECV', 'ESTABLISHED', 'FIN_WAIT']);
  });

  it('a segment without SYN/FIN/ACK/RST closes it', () => {
    expect(nextTcpState('ESTABLISHED', 'input', TCP_PSH)).toBe('CLOSE');
  });
});

describe('sh and dh hash tables (ip_vs_sh, ip_vs_dh)', () => {
  const dest = (ip: number, weight = 1): Dest => ({ ip, port: 80, weight, activeConns: 0, inactConns: 0 });

  it('sh indexes its 256 buckets with hash_32 of the source, dh with the low bits of the multiplicative hash', () => {
    expect(shBucket(0)).toBe(0);
    expect(shBucket(1)).toBe(0x61);
    expect(dhBucket(1)).toBe(0xb1);
    const ds = [dest(1), dest(2), dest(3)];
    const src = 0x0af40102;
    expect(schedule('sh', ds, { cursor: 0, cw: 0 }, { src, dst: 0 })!.ip).toBe(ds[shBucket(src) % 3]!.ip);
  });

  it('a source whose bucket holds a quiesced server gets no destination (no sh-fallback), another source still does', () => {
    const ds = [dest(1, 0), dest(2)];
    // Weight 0 still takes one bucket: the table alternates 1, 2, 1, 2, ...
    const onQuiesced = Array.from({ length: 256 }, (_, i) => i).find((src) => shBucket(src) % 2 === 0)!;
    const onLive = Array.from({ length: 256 }, (_, i) => i).find((src) => shBucket(src) % 2 === 1)!;
    expect(schedule('sh', ds, { cursor: 0, cw: 0 }, { src: onQuiesced, dst: 0 })).toBeUndefined();
    expect(schedule('sh', ds, { cursor: 0, cw: 0 }, { src: onLive, dst: 0 })!.ip).toBe(2);
  });

  it('sh gives a server weight-many consecutive buckets; dh ignores weights', () => {
    const ds = [dest(1, 3), dest(2, 1)];
    const srcs = Array.from({ length: 4096 }, (_, i) => 0x0a000000 + i * 7919);
    const bySh = srcs.map((src) => schedule('sh', ds, { cursor: 0, cw: 0 }, { src, dst: 0 })!.ip);
    expect(bySh.filter((x) => x === 1).length / bySh.length).toBeCloseTo(0.75, 1);
    const byDh = srcs.map((dst) => schedule('dh', ds, { cursor: 0, cw: 0 }, { src: 0, dst })!.ip);
    expect(byDh.filter((x) => x === 1).length / byDh.length).toBeCloseTo(0.5, 1);
  });
});

describe('IPVS connection entries in a cluster', () => {
  it('an ICMP error from the real server reaches the client from the VIP, quoting the VIP, as in iptables mode (ip_vs_out_icmp)', () => {
    const traffic = '  - {name: dns, from: pod/client, to: 10.96.0.50, port: 53, protocol: UDP}\n';
    for (const mode of ['ipvs', 'iptables'] as const) {
      const res = run(traffic, mode);
      expect(res.flows[0]).toMatchObject({ verdict: 'dropped', dropReason: 'port-unreachable' });
      const err = res.events.find((e) => e.kind === 'deliver' && e.at === 'default/client:eth0' && e.to === 'icmp');
      expect(err, mode).toMatchObject({ src: '10.96.0.50' });
    }
    const related = run(traffic).events.find((e) => e.kind === 'ipvs' && e.action === 'related');
    expect(related).toMatchObject({ at: 'node1', chosen: '10.244.2.2:5353' });
  });

  it('ipvsadm counts an established connection as active, a refused one (RST) as inactive in CLOSE', () => {
    const res = run(['  - {name: ok, from: pod/client, to: 10.96.0.50, port: 80}', '  - {name: refused, from: pod/client, to: 10.96.0.50, port: 81, at: 1ms}', ''].join('\n'), 'ipvs', ', {name: closed, port: 81, targetPort: 9999}');
    expect(res.flows.map((f) => f.verdict)).toEqual(['delivered', 'dropped']);
    const text = node1Ipvs(res);
    expect(text).toMatch(/TCP {2}10\.96\.0\.50:80 +rr\n {2}-> 10\.244\.2\.2:8080 +Masq +1 +1 +0/);
    expect(text).toMatch(/TCP {2}10\.96\.0\.50:81 +rr\n {2}-> 10\.244\.2\.2:9999 +Masq +1 +0 +1/);
    expect(text).toMatch(/TCP 00:\d\d +CLOSE +10\.244\.1\.2:\d+ +10\.96\.0\.50:81 +10\.244\.2\.2:9999/);
    expect(text).toMatch(/TCP 1\d:\d\d +ESTABLISHED +10\.244\.1\.2:\d+ +10\.96\.0\.50:80/);
  });

  it('an idle connection outlives its 900 s IPVS entry only in iptables mode: in ipvs mode the node resets it (the entry took its conntrack entry along)', () => {
    const traffic = [
      '  - {name: first, from: pod/client, to: service/web, port: 80}',
      '  - {name: after-10-min, from: pod/client, to: service/web, port: 80, at: 600s, reuseConnection: true}',
      '  - {name: after-16-idle-min, from: pod/client, to: service/web, port: 80, at: 1560s, reuseConnection: true}',
      '',
    ].join('\n');
    const ipvs = run(traffic);
    expect(ipvs.flows.map((f) => f.verdict)).toEqual(['delivered', 'delivered', 'dropped']);
    expect(ipvs.flows[2]).toMatchObject({ dropReason: 'tcp-reset', dropDetail: 'nothing listens on TCP 10.96.0.50:80' });
    // Not a SYN, no IPVS entry: tcp_conn_schedule does not schedule it, so it reaches the node's own TCP.
    const late = ipvs.events.filter((e) => e.t >= 1560e9);
    expect(late.some((e) => e.kind === 'ipvs')).toBe(false);
    expect(late.find((e) => e.kind === 'conntrack' && e.at === 'node1')).toMatchObject({ state: 'NEW' });
    expect(run(traffic, 'iptables').flows.map((f) => f.verdict)).toEqual(['delivered', 'delivered', 'delivered']);
  });
});

describe('IPVS persistence templates (ip_vs_sched_persist, ip_vs_conn_expire)', () => {
  /** Three web pods on node2 behind a ClientIP Service with a 5 s affinity timeout; the client on node1. */
  const sticky = (traffic: string, proxyMode: 'ipvs' | 'iptables' = 'ipvs') => {
    const yaml = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: ipvs-persist}
cluster: {network: flannel-vxlan, proxyMode: ${proxyMode}, nodes: [{name: node1}, {name: node2}]}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: client}, spec: {nodeName: node1, containers: [{name: c, image: i}]}}
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec:
      replicas: 3
      selector: {matchLabels: {app: web}}
      template: {metadata: {labels: {app: web}}, spec: {nodeSelector: {kubernetes.io/hostname: node2}, containers: [{name: c, image: i, ports: [{containerPort: 8080}]}]}}
  - apiVersion: v1
    kind: Service
    metadata: {name: sticky}
    spec: {clusterIP: 10.96.0.60, selector: {app: web}, sessionAffinity: ClientIP, sessionAffinityConfig: {clientIP: {timeoutSeconds: 5}}, ports: [{port: 80, targetPort: 8080}]}
traffic:
${traffic}`;
    const r = loadScenarioText(yaml, 'ipvs-persist.yaml');
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    return simulate(r.scenario);
  };
  const backend = (res: ReturnType<typeof sticky>, i: number): string | undefined => res.flows[i]!.deliveredTo;

  it('a template is not expired while a connection it scheduled lives: a connection 20 s later goes to the same real server', () => {
    const res = sticky(['  - {name: open, from: pod/client, to: service/sticky, port: 80}', '  - {name: later, from: pod/client, to: service/sticky, port: 80, at: 20s}', ''].join('\n'));
    expect(res.flows.map((f) => f.verdict)).toEqual(['delivered', 'delivered']);
    expect(backend(res, 1)).toBe(backend(res, 0));
    // Its timer fired at 5 s with a connection controlled (re-armed to 65 s, timeout 60 s); reused at 20 s: 60 s left.
    expect(node1Ipvs(res)).toMatch(/TCP 01:00 {2}NONE +10\.244\.1\.2:0 +10\.96\.0\.60:80 +10\.244\.\d\.\d+:0/);
  });

  it('without a controlled connection it expires at its timeout: a connection after the first closed and its entry went is scheduled afresh', () => {
    // The first connection closes at once; its IPVS entry (TIME_WAIT, 2 min) lives up to ~120 s, the template 60 s more at most.
    const traffic = (at: string): string => ['  - {name: first, from: pod/client, to: service/sticky, port: 80, close: true}', `  - {name: next, from: pod/client, to: service/sticky, port: 80, at: ${at}}`, ''].join('\n');
    const held = sticky(traffic('100s'));
    expect(backend(held, 1)).toBe(backend(held, 0));
    const fresh = sticky(traffic('200s'));
    // rr: the first connection took the first real server, a fresh schedule takes the next.
    expect(backend(fresh, 1)).not.toBe(backend(fresh, 0));
  });
});

describe('IPVS on LOCAL_OUT: the node itself connecting to a ClusterIP', () => {
  it('runs between nat OUTPUT and filter OUTPUT; filter sees the real server (ip_vs_local_request4 at NF_IP_PRI_NAT_DST + 2)', () => {
    const res = run('  - {name: node, from: node/node1, to: 10.96.0.50, port: 80}\n');
    expect(res.flows[0]).toMatchObject({ verdict: 'delivered', deliveredTo: 'pod/default/web' });
    // The SYN on node1, up to its VXLAN encapsulation (the outer packet then takes OUTPUT and POSTROUTING as well).
    const all = res.events.filter((e) => e.pkt === res.events.find((x) => x.kind === 'ipvs')!.pkt);
    const syn = all.slice(0, all.findIndex((e) => e.kind === 'encap')).filter((e) => e.at === 'node1');
    const order = syn.flatMap((e) => (e.kind === 'netfilter' ? [`${e.table} ${e.chain}`] : e.kind === 'ipvs' ? [`ipvs ${e.action}`] : []));
    expect(order).toEqual(['nat OUTPUT', 'ipvs schedule', 'filter OUTPUT', 'nat POSTROUTING']);
    const routes = syn.flatMap((e) => (e.kind === 'route' ? [e.dst] : []));
    expect(routes).toEqual(['10.96.0.50', '10.244.2.2']);
  });
});

describe('cluster.ipvs: kube-proxy ipvs settings', () => {
  const base = (ipvs: string) => `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: s}
cluster:
  proxyMode: ipvs
  ipvs: ${ipvs}
  nodes: [{name: node1}]
`;

  it('tcpTimeout raises the ESTABLISHED timeout (ipvsadm --set): the idle connection survives 16 minutes', () => {
    const r = loadScenarioText(readFileSync(join(import.meta.dirname, '..', '..', 'scenarios', 'service-ipvs-idle.yaml'), 'utf8').replace('proxyMode: ipvs', 'proxyMode: ipvs\n  ipvs: {tcpTimeout: 2h, udpTimeout: 1m}'), 'idle.yaml');
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const res = simulate(r.scenario);
    expect(res.flows.map((f) => f.verdict)).toEqual(['delivered', 'delivered', 'delivered']);
    expect(showIpvs(res.cluster.netns.get('node1')!)).toContain('Timeout (tcp tcpfin udp): 7200 120 60');
  });

  it('the scheduler goes on every virtual service', () => {
    const r = loadScenarioText(`${base('{scheduler: wlc}')}resources:\n  - {apiVersion: v1, kind: Service, metadata: {name: s}, spec: {clusterIP: 10.96.0.50, ports: [{port: 80}]}}\n`, 's.yaml');
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(showIpvs(simulate(r.scenario).cluster.netns.get('node1')!)).toMatch(/TCP {2}10\.96\.0\.50:80 +wlc/);
  });

  it('bad values are input errors with their position and field path', () => {
    const problems = (ipvs: string): string[] => {
      const r = loadScenarioText(base(ipvs), 'bad.yaml');
      return r.ok ? [] : r.problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`);
    };
    expect(problems('{scheduler: lblc}')).toEqual(['6:21 cluster.ipvs.scheduler: scheduler lblc is valid for kube-proxy but not modelled; expected one of rr, wrr, lc, wlc, sh, dh, sed, nq']);
    expect(problems('{scheduler: rrr}')[0]).toMatch(/cluster\.ipvs\.scheduler: expected one of rr, .*found rrr \(did you mean rr\?\)/);
    expect(problems('{tcpTimeout: 15 minutes}')[0]).toMatch(/^6:22 cluster\.ipvs\.tcpTimeout: expected a duration in whole seconds/);
    expect(problems('{timeout: 1s}')[0]).toMatch(/cluster\.ipvs\.timeout/);
  });
});

describe('library API in ipvs mode', () => {
  it('Simulation.fromFile replays a file in either mode; state() prints ipvsadm and ipset views', async () => {
    const { Simulation } = await import('../../src/api/index.js');
    const file = join(import.meta.dirname, '..', '..', 'scenarios', 'service-clusterip.yaml');
    const sim = Simulation.fromFile(file, { proxyMode: 'ipvs' });
    const results = sim.run();
    expect(results.events.some((e) => e.kind === 'ipvs')).toBe(true);
    expect(sim.state('node1').ipvs()).toMatch(/^IP Virtual Server version/);
    expect(sim.state('node1').ipsets()).toContain('Name: KUBE-CLUSTER-IP');
    const iptables = Simulation.fromFile(file, { proxyMode: 'iptables' });
    iptables.run();
    expect(iptables.state('node1').ipvs()).toBe('');
  });
});

import { describe, expect, it } from 'vitest';
import { loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';
import type { TraceEvent } from '../../src/trace/events.js';
import { connectionTimeout } from '../../src/trace/view/connection-end.js';

/** A client on node1, a server pod behind a Service on node2; `traffic` and `steps` added per test. */
const scenario = (traffic: string, steps = ''): string => `
apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: tcp-close}
cluster:
  network: flannel-vxlan
  nodes: [{name: node1}, {name: node2}]
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: web, labels: {app: web}}, spec: {nodeName: node2, containers: [{name: web, image: nginx, ports: [{containerPort: 8080}]}]}}
  - {apiVersion: v1, kind: Service, metadata: {name: web}, spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: client}, spec: {nodeName: node1, containers: [{name: c, image: curl}]}}
traffic:
${traffic}
${steps}`;

const run = (text: string) => {
  const r = loadScenarioText(text);
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
  return simulate(r.scenario);
};

const tcp = (events: readonly TraceEvent[], flow: string) => events.flatMap((e) => (e.kind === 'tcp' && e.flow === flow && e.at === 'default/client' ? [e] : []));
const flags = (events: readonly TraceEvent[], at: string) =>
  events.flatMap((e) => (e.kind === 'tx' && e.at === at && e.frame.proto === 'tcp' ? [e.frame.info.match(/\[([^\]]+)\]/)?.[1] ?? ''] : []));

describe('TCP close and keep-alive', () => {
  it('close: FIN, the server answers FIN+ACK at once, the last ACK; TIME_WAIT on both sides', () => {
    const res = run(scenario('  - {name: short, from: pod/client, to: service/web, port: 80, close: true, reply: 100, expect: {connection: closed}}'));
    expect(res.flows[0]!.connection?.outcome).toBe('closed');
    expect(tcp(res.events, 'short').map((e) => e.action)).toEqual(['established', 'complete', 'close', 'closed']);
    // The client's segments: SYN, ACK, request, ACK of the answer, FIN, last ACK.
    expect(flags(res.events, 'default/client:eth0')).toEqual(['S', '.', 'P.', '.', 'F.', '.']);
    expect(flags(res.events, 'default/web:eth0')).toEqual(['S.', 'P.', 'F.']);
  });

  it('conntrack follows the close: FIN_WAIT, LAST_ACK, then TIME_WAIT for nf_conntrack_tcp_timeout_time_wait (120 s)', async () => {
    const { Simulation } = await import('../../src/api/index.js');
    const sim = Simulation.fromYaml(scenario('  - {name: short, from: pod/client, to: service/web, port: 80, close: true}'));
    sim.runUntil('1s');
    const line = sim.state('node1').conntrack().split('\n').find((l) => l.includes('dport=80 '))!;
    expect(line).toMatch(/^tcp +6 11\d TIME_WAIT /);
  });

  it('keep-alive probes an idle connection and the peer answers; the connection closes when the application says', () => {
    const res = run(scenario('  - {name: idle, from: pod/client, to: service/web, port: 80, keepAlive: {idle: 10s, interval: 2s, probes: 3}, close: 35s, expect: {connection: closed}}'));
    const probes = tcp(res.events, 'idle').filter((e) => e.action === 'keepalive');
    expect(probes.map((e) => Math.round(e.t / 1e9))).toEqual([10, 20, 30]);
    expect(probes.every((e) => e.detail.startsWith('probe 1/3'))).toBe(true);
  });

  it('keep-alive finds a dead peer: the pod is gone, probes go unanswered, ETIMEDOUT after TCP_KEEPCNT', () => {
    const res = run(
      scenario('  - {name: idle, from: pod/client, to: 10.244.2.2, port: 8080, keepAlive: {idle: 10s, interval: 2s, probes: 3}, close: 3600s, expect: {connection: timeout}}', 'steps:\n  - {at: 1s, node: {name: node2, state: down}}'),
    );
    const ends = tcp(res.events, 'idle');
    expect(ends.filter((e) => e.action === 'keepalive').map((e) => e.t / 1e9)).toEqual([expect.closeTo(10, 0), expect.closeTo(12, 0), expect.closeTo(14, 0)]);
    expect(ends.at(-1)).toMatchObject({ action: 'timeout' });
    expect(ends.at(-1)!.t / 1e9).toBeCloseTo(16, 0);
  });

  it('keep-alive timeout sends a RST (tcp_send_active_reset), which takes node1`s conntrack entry out of ESTABLISHED; the walk view says it', async () => {
    const text = scenario('  - {name: k, from: pod/client, to: 10.244.2.2, port: 8080, close: 300s, keepAlive: {idle: 10s, interval: 2s, probes: 3}, expect: {connection: timeout}}', 'steps:\n  - {at: 1s, link: {machine: node2, loss: 100%}}');
    const res = run(text);
    const rst = res.events.find((e) => e.kind === 'create' && e.at === 'default/client' && e.frame.info.startsWith('TCP [R.]'));
    expect(rst?.t).toBeCloseTo(16.0006e9, -6);
    const end = tcp(res.events, 'k').at(-1)!;
    expect(end).toMatchObject({ action: 'timeout', pkt: rst!.pkt });
    expect(connectionTimeout('k', res.events)).toMatch(/^connection: timeout at 16\.0006\d\d s \(10\.244\.1\.2:\d+ > 10\.244\.2\.2:8080\): keep-alive: 3 probes unanswered .*RST sent, ETIMEDOUT$/);
    const { Simulation } = await import('../../src/api/index.js');
    const sim = Simulation.fromYaml(text);
    sim.runUntil('17s');
    const line = sim.state('node1').conntrack().split('\n').find((l) => l.includes('dport=8080 '));
    expect(line).toMatch(/^tcp +6 \d+ CLOSE /);
  });

  it('keepAlive without close is refused with a position', () => {
    const r = loadScenarioText(scenario('  - {name: idle, from: pod/client, to: service/web, port: 80, keepAlive: {idle: 10s}}'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]!.message).toMatch(/^keepAlive needs close/);
  });
});

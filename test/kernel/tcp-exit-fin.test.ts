import { describe, expect, it } from 'vitest';
import { loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

// A container's process exits: the kernel closes its sockets (tcp_close). An open connection sends its FIN and is
// left to the kernel (orphaned); the peer reads end of file then; new data for the orphan is answered with RST.

const run = (steps: string, traffic: string) => {
  const r = loadScenarioText(`apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: exit}
cluster: {nodes: [{name: node1}, {name: node2}]}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: web, labels: {app: web}}, spec: {nodeName: node2, containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: client}, spec: {nodeName: node1, containers: [{name: c, image: curl}]}}
steps:
${steps}
traffic:
${traffic}
`);
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
  return simulate(r.scenario);
};

const fins = (res: ReturnType<typeof run>, at: string) =>
  res.events.flatMap((e) => (e.kind === 'create' && e.at === at && e.frame.info.includes('[F.]') ? [e.t / 1e9] : []));

describe('a process exit closes its TCP connections with a FIN', () => {
  for (const step of ['{at: 1s, deletePod: {pod: default/web}}', '{at: 1s, restart: default/web}']) {
    it(`${step}: the server's FIN at 1 s, the client reads end of file and closes in turn; no RST`, () => {
      const res = run(`  - ${step}`, '  - {name: conn, from: pod/client, to: pod/web, port: 80, count: 2, interval: 700ms, reuseConnection: true, timeout: 20s}');
      expect(fins(res, 'default/web')).toEqual([1]);
      expect(fins(res, 'default/client').every((t) => t > 1 && t < 1.001)).toBe(true);
      const closed = res.events.find((e) => e.kind === 'tcp' && e.at === 'default/client' && e.action === 'closed');
      expect(closed && closed.kind === 'tcp' && closed.detail).toMatch(/^the peer closed \(FIN\): end of file/);
      expect(res.events.some((e) => e.kind === 'create' && e.frame.info.includes('[R'))).toBe(false);
    });
  }

  it("data that reaches the orphaned socket before the client read the FIN is answered with RST", () => {
    // node2's uplink delays what it sends by 100 ms: the FIN (1 s) reaches the client after its request (1.05 s) left.
    const res = run('  - {at: 0s, link: {machine: node2, delay: 100ms}}\n  - {at: 1s, deletePod: {pod: default/web}}', '  - {name: conn, from: pod/client, to: pod/web, port: 80, count: 2, interval: 1050ms, reuseConnection: true, timeout: 20s}');
    const second = res.flows.find((f) => f.flow === 'conn#2')!;
    expect(second).toMatchObject({ verdict: 'dropped', dropReason: 'tcp-reset' });
    expect(second.dropDetail).toMatch(/has exited \(FIN_WAIT1\): new data is answered with RST/);
  });

  it('an orphan whose FIN is never answered gives up after tcp_orphan_retries (8), silently: no application is left to tell', () => {
    const res = run('  - {at: 900ms, link: {machine: node1, loss: 100%}}\n  - {at: 1s, deletePod: {pod: default/web}}', '  - {name: conn, from: pod/client, to: pod/web, port: 80, at: 0s, timeout: 600s}');
    const server = res.events.filter((e) => e.kind === 'tcp' && e.at === 'default/web');
    expect(server.filter((e) => e.kind === 'tcp' && e.action === 'retransmit').length).toBe(8);
    expect(server.some((e) => e.kind === 'tcp' && e.action === 'timeout')).toBe(false);
  });
});

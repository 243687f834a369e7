import { describe, expect, it } from 'vitest';
import { showConntrack } from '../../src/kernel/show.js';
import { loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

// A client on node1, a server on node2 (and a Service for it), flannel's vxlan, kube-proxy's iptables mode.
function run(steps: string, traffic: string) {
  const text = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: conntrack-invalid}
cluster:
  network: flannel-vxlan
  nodes: [{name: node1}, {name: node2}]
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: client}, spec: {nodeName: node1, containers: [{name: c, image: curl}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: web, labels: {app: web}}, spec: {nodeName: node2, containers: [{name: web, image: app, ports: [{containerPort: 8080}]}]}}
  - {apiVersion: v1, kind: Service, metadata: {name: web}, spec: {clusterIP: 10.96.0.11, selector: {app: web}, ports: [{name: http, port: 80, targetPort: 8080}, {name: closed, port: 81, targetPort: 9999}]}}
${steps ? `steps:\n${steps}\n` : ''}traffic:
${traffic}
`;
  const r = loadScenarioText(text);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  const res = simulate(r.scenario);
  const tcp = (node: string) => showConntrack(res.cluster.nodes.get(node)!).split('\n').filter((l) => l.startsWith('tcp'));
  return { res, tcp };
}

const INVALID_DROP = expect.stringContaining('-A KUBE-FORWARD -m conntrack --ctstate INVALID');

describe('packets conntrack gives no connection are INVALID on every hook: KUBE-FORWARD drops them', () => {
  it('an echo reply after conntrack -F on the client\'s node: INVALID (type 0 cannot start a connection), dropped in FORWARD', () => {
    const { res } = run('  - {at: 0s, link: {machine: node2, delay: 2s}}\n  - {at: 2s, conntrack: {node: node1, flush: true}}', '  - {name: echo, from: pod/client, to: pod/web, protocol: ICMP, at: 1s}');
    const invalid = res.events.find((e) => e.kind === 'conntrack' && e.at === 'node1' && e.state === 'INVALID');
    expect(invalid).toMatchObject({ entry: expect.stringMatching(/^src=10\.244\.2\.2 dst=10\.244\.1\.2 type=0 code=0 id=\d+ \(ICMP type 0 cannot start a connection\)$/) });
    const drop = res.events.find((e) => e.kind === 'drop' && e.pkt === invalid!.pkt);
    expect(drop).toMatchObject({ at: 'node1', reason: 'netfilter-drop', detail: INVALID_DROP });
    // No entry was made for it (the vxlan underlay's own UDP entries aside).
    expect(showConntrack(res.cluster.nodes.get('node1')!)).not.toContain('type=0');
  });

  it('a TCP FIN after conntrack -F: INVALID (tcp_new), dropped, never re-DNATed to another endpoint', () => {
    const { res } = run('  - {at: 5s, conntrack: {node: node1, flush: true}}', '  - {name: svc, from: pod/client, to: service/web, port: 80, at: 1s, sourcePort: 40002, close: 10s}');
    const invalid = res.events.find((e) => e.kind === 'conntrack' && e.at === 'node1' && e.state === 'INVALID');
    expect(invalid).toMatchObject({ entry: expect.stringMatching(/sport=40002 dport=80 \(FIN for no connection\)$/) });
    expect(res.events.some((e) => e.kind === 'nat' && e.pkt === invalid!.pkt)).toBe(false);
    expect(res.events.find((e) => e.kind === 'drop' && e.pkt === invalid!.pkt)).toMatchObject({ at: 'node1', reason: 'netfilter-drop', detail: INVALID_DROP });
  });
});

describe('TCP timeouts and entries as conntrack -L shows them', () => {
  it('a SYN to a Service port whose endpoint port is closed: the RST removes the entry on both nodes', () => {
    const { tcp } = run('', '  - {name: refused, from: pod/client, to: service/web, port: 81, at: 1s, sourcePort: 40001, expect: {connection: refused}}');
    expect(tcp('node1')).toEqual([]);
    expect(tcp('node2')).toEqual([]);
  });

  it('an established connection whose peer stops answering: the unacknowledged data and its retransmissions give 300 s, not 24 h', () => {
    const { tcp } = run(
      '  - {at: 3s, link: {machine: node2, loss: 100%}}',
      '  - {name: a, from: pod/client, to: service/web, port: 80, at: 1s, sourcePort: 40020, reuseConnection: true}\n  - {name: b, from: pod/client, to: service/web, port: 80, at: 5s, sourcePort: 40020, reuseConnection: true}',
    );
    const line = tcp('node1').find((l) => l.includes('sport=40020'))!;
    expect(line).toMatch(/^tcp {6}6 (\d+) ESTABLISHED .*\[ASSURED\]/);
    expect(Number(/^tcp {6}6 (\d+)/.exec(line)![1])).toBeLessThanOrEqual(300);
  });

  it('conntrack -F mid-connection: the next segment is picked up, 300 s and not ASSURED once only answered', () => {
    const { tcp } = run(
      '  - {at: 5s, conntrack: {node: node1, flush: true}}',
      '  - {name: a, from: pod/client, to: pod/web, port: 8080, at: 1s, sourcePort: 40002, reuseConnection: true}\n  - {name: b, from: pod/client, to: pod/web, port: 8080, at: 6s, sourcePort: 40002, reuseConnection: true}',
    );
    const line = tcp('node1').find((l) => l.includes('sport=40002'))!;
    expect(line).toMatch(/^tcp {6}6 29\d ESTABLISHED src=10\.244\.1\.2 dst=10\.244\.2\.2 sport=40002 dport=8080 src=10\.244\.2\.2 dst=10\.244\.1\.2 sport=8080 dport=40002 mark=0 use=1$/);
  });
});

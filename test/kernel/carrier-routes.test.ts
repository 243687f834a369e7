import { describe, expect, it } from 'vitest';
import { Rng, Scheduler } from '../../src/engine/index.js';
import { NetNs, World } from '../../src/kernel/index.js';
import { showRoutes } from '../../src/kernel/show.js';
import { parseIpv4 } from '../../src/wire/addr.js';
import { Tracer } from '../../src/trace/tracer.js';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

// Checked in a throwaway namespace (Linux 6.18, iproute2 6.1): with the veth's peer down, `ip route get` still
// answers `via 192.168.56.12 dev nic0` (the routes only print linkdown), the REACHABLE neighbour is gone and the
// PERMANENT one stays (arp_evict_nocarrier 1); a connected UDP send succeeds and the next one fails with
// EHOSTUNREACH once ARP gave up (3 s); `ip link set nic0 down` removes the routes and lookups fail.
describe('a device without carrier keeps its routes in use; an administratively down one does not', () => {
  const ip = (s: string): number => parseIpv4(s)!;

  it('route lookups use a linkdown route; learned neighbours go, permanent ones stay', () => {
    const ns = new NetNs(new World(new Scheduler(), new Rng(1), new Tracer(true)), 'n');
    const eth0 = ns.addUplink('eth0');
    ns.addAddress(eth0, '192.168.56.11/24');
    ns.addRoute('default', { via: '192.168.56.1', dev: eth0 });
    ns.neigh.learn(eth0, ip('192.168.56.12'), '02:00:00:00:00:12', 'reply', 0);
    ns.neigh.addPermanent(eth0, ip('192.168.56.1'), '02:00:00:00:00:01');
    eth0.carrier = false;
    expect(eth0.up).toBe(false);
    expect(ns.fib.lookup(ip('8.8.8.8'))?.dev).toBe(eth0);
    expect(ns.fib.lookup(ip('192.168.56.77'))?.dev).toBe(eth0);
    expect(ns.neigh.list().map((e) => `${e.ip === ip('192.168.56.1') ? 'gw' : 'peer'} ${e.state}`)).toEqual(['gw PERMANENT']);
    eth0.carrier = true;
    eth0.adminUp = false;
    expect(ns.fib.lookup(ip('8.8.8.8'))).toBeUndefined();
  });

  const run = (network: string) => {
    const r = loadScenarioText(
      `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: carrier}
cluster: {network: ${network}, nodes: [{name: node1}, {name: node2}]}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: web}, spec: {nodeName: node1, containers: [{name: web, image: nginx, ports: [{containerPort: 8080}]}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: client}, spec: {nodeName: node2, containers: [{name: c, image: curl}]}}
steps:
  - {at: 1s, node: {name: node2, state: down}}
traffic:
  - {name: pod, from: pod/client, to: pod/web, port: 8080, protocol: UDP, at: 2s}
  - {name: node, from: node/node2, to: 192.168.56.11, port: 8080, protocol: UDP, at: 10s}
`,
      'carrier.yaml',
    );
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    return simulate(r.scenario);
  };

  it('host-gw: node2 routes its pod’s packet to node1 through eth0 without carrier; ARP fails there and the pod gets host unreachable after 3 s', () => {
    const res = run('host-gw');
    const pod = res.flows.find((f) => f.flow === 'pod')!;
    expect(pod).toMatchObject({ verdict: 'dropped', dropReason: 'neigh-failed' });
    // The ARP requests for node1 never reach the wire: lost at eth0, which has no carrier (3 for each flow: the
    // node's send at 10 s finds the entry FAILED and resolves again).
    const arpDrops = res.events.filter((e) => e.kind === 'drop' && e.reason === 'link-down' && e.at === 'node2:eth0');
    expect(arpDrops.length).toBe(6);
    expect(arpDrops.every((e) => e.kind === 'drop' && e.detail === 'eth0 has no carrier')).toBe(true);
    const unreach = res.events.find((e) => e.kind === 'icmp' && e.at === 'node2' && e.message === 'host unreachable');
    expect(unreach).toBeDefined();
    // The node's own send: a route (not ENETUNREACH at once), then the same ARP failure.
    const node = res.flows.find((f) => f.flow === 'node')!;
    expect(node).toMatchObject({ verdict: 'dropped', dropReason: 'neigh-failed' });
    expect(res.events.some((e) => e.kind === 'drop' && e.reason === 'no-route')).toBe(false);
  });

  it('flannel-vxlan: the encapsulated packet takes the linkdown underlay route and ends in the same ARP failure', () => {
    const res = run('flannel-vxlan');
    expect(res.flows.find((f) => f.flow === 'pod')).toMatchObject({ verdict: 'dropped', dropReason: 'neigh-failed' });
    expect(res.events.some((e) => e.kind === 'drop' && e.reason === 'no-route')).toBe(false);
  });
});

describe('net.ipv4.conf.all.ignore_routes_with_linkdown = 1', () => {
  it('lookups skip a route whose device has no carrier, ip route prints it `dead linkdown`; cached lookups follow the sysctl both ways', () => {
    const ns = new NetNs(new World(new Scheduler(), new Rng(1), new Tracer(true)), 'n');
    const eth0 = ns.addUplink('eth0');
    ns.addAddress(eth0, '192.168.56.11/24');
    ns.addRoute('default', { via: '192.168.56.1', dev: eth0 });
    const dst = parseIpv4('8.8.8.8')!;
    eth0.carrier = false;
    expect(ns.fib.lookup(dst)?.dev).toBe(eth0);
    ns.sysctl.write('net.ipv4.conf.all.ignore_routes_with_linkdown', 1);
    expect(ns.fib.lookup(dst)).toBeUndefined();
    expect(showRoutes(ns)).toContain('default via 192.168.56.1 dev eth0 dead linkdown \n');
    ns.sysctl.write('net.ipv4.conf.all.ignore_routes_with_linkdown', 0);
    expect(ns.fib.lookup(dst)?.dev).toBe(eth0);
    expect(showRoutes(ns)).toContain('default via 192.168.56.1 dev eth0 linkdown \n');
  });
});

import { describe, expect, it } from 'vitest';
import { Rng, Scheduler } from '../../src/engine/index.js';
import { NetNs, World } from '../../src/kernel/index.js';
import { showAddr, showRoutes } from '../../src/kernel/show.js';
import { Tracer } from '../../src/trace/tracer.js';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

// As iproute2 6.1 prints them on Linux 6.18, captured from a throwaway namespace: a veth up whose peer is down
// (no carrier) keeps its routes, flagged `linkdown` after onlink and metric; its local route is not flagged, its
// broadcast route is; a multipath route's head is flagged only when every nexthop is.
describe('ip route: linkdown on a route whose device has no carrier', () => {
  const ns = new NetNs(new World(new Scheduler(), new Rng(1), new Tracer(true)), 'n');
  const a = ns.addUplink('eth0');
  const b = ns.addUplink('eth1');
  ns.addAddress(a, '10.9.0.1/24');
  ns.addAddress(b, '10.6.0.1/24');
  ns.addRoute('10.8.0.0/16', { via: '10.9.0.2', dev: a, metric: 100, onlink: true });
  ns.addRoute('default', { via: '10.9.0.254', dev: a });
  ns.addMultipathRoute('10.4.0.0/16', [
    { via: '10.9.0.2', dev: a },
    { via: '10.6.0.2', dev: b },
  ]);

  it('flags every route through the device without carrier, and a multipath head only when all its nexthops are', () => {
    a.carrier = false;
    expect(showRoutes(ns)).toBe(
      [
        'default via 10.9.0.254 dev eth0 linkdown ',
        '10.4.0.0/16 ',
        '\tnexthop via 10.9.0.2 dev eth0 weight 1 linkdown ',
        '\tnexthop via 10.6.0.2 dev eth1 weight 1 ',
        '10.6.0.0/24 dev eth1 proto kernel scope link src 10.6.0.1 ',
        '10.8.0.0/16 via 10.9.0.2 dev eth0 metric 100 onlink linkdown ',
        '10.9.0.0/24 dev eth0 proto kernel scope link src 10.9.0.1 linkdown ',
      ].join('\n'),
    );
    expect(showRoutes(ns, 'local')).toContain('local 10.9.0.1 dev eth0 proto kernel scope host src 10.9.0.1 \nbroadcast 10.9.0.255 dev eth0 proto kernel scope link src 10.9.0.1 linkdown ');
    b.carrier = false;
    expect(showRoutes(ns)).toContain('10.4.0.0/16 linkdown \n\tnexthop via 10.9.0.2 dev eth0 weight 1 linkdown \n\tnexthop via 10.6.0.2 dev eth1 weight 1 linkdown ');
    a.carrier = true;
    b.carrier = true;
    expect(showRoutes(ns)).not.toContain('linkdown');
  });

  it('a node whose eth0 lost its link (node step): its routes through eth0 say linkdown, ip addr says NO-CARRIER', () => {
    const r = loadScenarioText(
      'apiVersion: podwalk/v1alpha1\nkind: Scenario\nmetadata: {name: d}\ncluster: {network: host-gw, nodes: [{name: node1}, {name: node2}]}\nsteps:\n  - {at: 1s, node: {name: node2, state: down}}\n',
      'd.yaml',
    );
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    const node2 = simulate(r.scenario).cluster.nodes.get('node2')!;
    const routes = showRoutes(node2);
    expect(routes).toContain('default via 192.168.56.1 dev eth0 linkdown \n');
    expect(routes).toContain('10.244.1.0/24 via 192.168.56.11 dev eth0 linkdown \n');
    expect(routes).toContain('10.244.2.0/24 dev cbr0 proto kernel scope link src 10.244.2.1 \n');
    expect(showAddr(node2)).toMatch(/^\d+: eth0: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc fq_codel state DOWN group default qlen 1000$/m);
  });
});

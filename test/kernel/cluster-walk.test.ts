import { describe, expect, it } from 'vitest';
import { buildCluster, type ClusterInput } from '../../src/cluster/index.js';
import { showNeigh, showRoutes } from '../../src/kernel/show.js';
import { describeEvent } from '../../src/trace/format.js';
import { parseIpv4 } from '../../src/wire/addr.js';

/** Kernel-level walks without the scenario layer: build, send, read the trace. */
function cluster(network: ClusterInput['network']) {
  const spec: ClusterInput = {
    network,
    proxyMode: 'iptables',
    clusterCIDR: '10.244.0.0/16',
    serviceCIDR: '10.96.0.0/12',
    bridge: 'cbr0',
    hairpinMode: true,
    seed: 1,
    underlay: { cidr: '192.168.56.0/24', mtu: 1500, bandwidthBps: 10e9, latencyNs: 50_000, gateway: '192.168.56.1' },
    nodes: [
      { name: 'node1', ip: '192.168.56.11', podCIDR: '10.244.1.0/24' },
      { name: 'node2', ip: '192.168.56.12', podCIDR: '10.244.2.0/24' },
    ],
    externalHosts: [],
  };
  return buildCluster(spec, [
    { namespace: 'default', name: 'a', nodeName: 'node1', ip: '10.244.1.2', hostNetwork: false, ports: [] },
    { namespace: 'default', name: 'b', nodeName: 'node1', ip: '10.244.1.3', hostNetwork: false, ports: [{ containerPort: 80, protocol: 'UDP' }] },
    { namespace: 'default', name: 'c', nodeName: 'node2', ip: '10.244.2.2', hostNetwork: false, ports: [{ containerPort: 80, protocol: 'UDP' }] },
  ]);
}

describe.each(['host-gw', 'flannel-vxlan', 'flannel-udp'] as const)('%s', (network) => {
  it('delivers same-node and cross-node UDP', () => {
    const c = cluster(network);
    const a = c.pods.get('default/a')!;
    c.sched.at(0, () => a.sockets.send({ dst: parseIpv4('10.244.1.3')!, protocol: 'UDP', port: 80, payload: 100, flow: 'same' }));
    c.sched.at(1_000_000, () => a.sockets.send({ dst: parseIpv4('10.244.2.2')!, protocol: 'UDP', port: 80, payload: 100, flow: 'cross' }));
    c.sched.run();
    const evs = c.world.tracer.events;
    if (process.env.PODWALK_DEBUG) console.log(evs.map((e) => `${e.t} #${e.pkt} ${e.at} ${describeEvent(e)}`).join('\n'));
    const delivered = evs.filter((e) => e.kind === 'deliver' && e.to === 'udp' && e.at.startsWith('default/')).map((e) => e.at);
    expect(delivered).toEqual(['default/b:eth0', 'default/c:eth0']);
    expect(c.world.inFlight.size).toBe(0);
  });

  it('programs routes as the backend does', () => {
    const c = cluster(network);
    const routes = showRoutes(c.nodes.get('node1')!);
    if (network === 'host-gw') expect(routes).toContain('10.244.2.0/24 via 192.168.56.12 dev eth0');
    else if (network === 'flannel-udp') expect(routes).toContain('10.244.0.0/16 dev flannel0 \n');
    else {
      expect(routes).toContain('10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink');
      expect(showNeigh(c.nodes.get('node1')!)).toMatch(/^10\.244\.2\.0 dev flannel\.1 lladdr [0-9a-f:]{17} PERMANENT $/m);
    }
    expect(routes).toContain('default via 192.168.56.1 dev eth0');
    expect(routes).toContain('10.244.1.0/24 dev cbr0 proto kernel scope link src 10.244.1.1');
  });
});

// A CNI author's test: the overlay's MTU budget, pinned per backend.
import { describe, expect, it } from 'vitest';
import { Simulation } from 'podwalk';
import 'podwalk/vitest';

function cluster(network: string, podMTU?: number): Simulation {
  return Simulation.fromObject({
    apiVersion: 'podwalk/v1alpha1',
    kind: 'Scenario',
    metadata: { name: `mtu-${network}` },
    cluster: { network, ...(podMTU ? { podMTU } : {}), nodes: [{ name: 'node1' }, { name: 'node2' }] },
    resources: [
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'sender' }, spec: { nodeName: 'node1', containers: [{ name: 'c', image: 'busybox' }] } },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'receiver' }, spec: { nodeName: 'node2', containers: [{ name: 's', image: 'dns', ports: [{ containerPort: 53, protocol: 'UDP' }] }] } },
    ],
  });
}

// Largest UDP payload that leaves the pod in one frame: pod MTU - 28 (IPv4 20 + UDP 8).
const largest = { 'host-gw': 1472, 'flannel-vxlan': 1422, 'flannel-udp': 1444 } as const;

describe('overlay MTU', () => {
  for (const [network, payload] of Object.entries(largest)) {
    it(`${network}: ${payload} B fits in one frame, ${payload + 1} B is fragmented by the sender`, () => {
      const sim = cluster(network);
      sim.send({ name: 'fits', from: 'pod/sender', to: 'pod/receiver', protocol: 'UDP', port: 53, payload });
      sim.send({ name: 'one-more', from: 'pod/sender', to: 'pod/receiver', protocol: 'UDP', port: 53, payload: payload + 1, at: '1ms' });
      const r = sim.run();
      const fits = r.flow('fits');
      expect(fits).toBeDeliveredTo('pod/receiver');
      expect(fits.hops({ device: 'default/sender:eth0', kind: 'tx' })).toHaveLength(1);
      const oneMore = r.flow('one-more');
      expect(oneMore).toBeDeliveredTo('pod/receiver');
      expect(oneMore.hops({ device: 'default/sender:eth0', kind: 'tx' })).toHaveLength(2);
    });
  }

  it('flannel-vxlan adds 50 bytes on the underlay', () => {
    const sim = cluster('flannel-vxlan');
    sim.send({ name: 'probe', from: 'pod/sender', to: 'pod/receiver', protocol: 'UDP', port: 53, payload: 100 });
    const f = sim.run().flow('probe');
    expect(f).toTraverse(['node1:cbr0', 'node1:flannel.1', 'node1:eth0', 'node2:eth0', 'node2:flannel.1']);
    const len = (dev: string): number => {
      const e = f.hops({ device: dev, kind: 'tx' })[0];
      return e && e.kind === 'tx' ? e.frame.len : -1;
    };
    expect(len('node1:eth0') - len('node1:flannel.1')).toBe(50);
  });

  it('pods left at MTU 1500 on VXLAN: a DF datagram is dropped at the overlay with frag-needed', () => {
    const sim = cluster('flannel-vxlan', 1500);
    sim.send({ name: 'df-too-big', from: 'pod/sender', to: 'pod/receiver', protocol: 'UDP', port: 53, payload: 1472 });
    const f = sim.run().flow('df-too-big');
    expect(f).toBeDropped({ reason: 'frag-needed' });
    expect(f).toTraverse(['default/sender:eth0', 'node1:cbr0']);
    expect(f).not.toTraverse(['node1:flannel.1']);
    // The sender hears why: ICMP fragmentation needed with the overlay's MTU.
    expect(f.hops({ kind: 'icmp', packets: 'all' }).map((e) => (e.kind === 'icmp' ? e.message : ''))).toContainEqual(expect.stringMatching(/frag/));
  });
});

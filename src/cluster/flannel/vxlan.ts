import { VxlanDevice } from '../../kernel/devices/vxlan.js';
import type { NetNs } from '../../kernel/netns.js';
import { VXLAN_OVERHEAD, VXLAN_PORT } from '../../wire/vxlan.js';
import { cidrHost, formatIpv4, parseCidr, parseIpv4 } from '../../wire/addr.js';
import type { ClusterInput } from '../spec.js';

/** flannel's VXLAN device name for VNI 1. */
export const FLANNEL_VXLAN_DEV = 'flannel.1';

/**
 * flanneld with the vxlan backend, programming each node as it does: a
 * `flannel.1` VXLAN device (VNI 1, port 8472, nolearning, MTU = underlay − 50)
 * holding `<subnet>.0/32`, and for every other node a permanent ARP entry
 * (`<subnet>.0` → its VTEP MAC), an FDB entry (VTEP MAC → node IP) and the
 * route `<subnet> via <subnet>.0 dev flannel.1 onlink`.
 */
export function programFlannelVxlan(nodes: Map<string, NetNs>, spec: ClusterInput): void {
  const vteps = new Map<string, VxlanDevice>();
  for (const n of spec.nodes) {
    const ns = nodes.get(n.name)!;
    // The random MAC is drawn either way: a Node's VtepMAC (its backend-data annotation) changes no other draw.
    const random = ns.randomMac();
    const dev = new VxlanDevice(ns, FLANNEL_VXLAN_DEV, n.vtepMac ?? random, spec.underlay.mtu - VXLAN_OVERHEAD, ns.allocIfindex(), {
      vni: 1,
      port: VXLAN_PORT,
      local: parseIpv4(n.ip)!,
      learning: false,
    });
    ns.attach(dev);
    ns.addAddress(dev, `${subnetZero(n.podCIDR)}/32`);
    vteps.set(n.name, dev);
  }
  for (const self of spec.nodes) {
    const ns = nodes.get(self.name)!;
    const dev = vteps.get(self.name)!;
    for (const other of spec.nodes) {
      if (other === self) continue;
      const remote = vteps.get(other.name)!;
      const gw = subnetZero(other.podCIDR);
      ns.neigh.addPermanent(dev, parseIpv4(gw)!, remote.mac);
      dev.addFdb(remote.mac, parseIpv4(other.ip)!);
      ns.addRoute(other.podCIDR, { via: gw, dev, onlink: true });
    }
  }
}

/** The MTU flannel writes into its subnet.env for the CNI bridge and pods. */
export function flannelVxlanMtu(underlayMtu: number): number {
  return underlayMtu - VXLAN_OVERHEAD;
}

function subnetZero(podCIDR: string): string {
  return formatIpv4(cidrHost(parseCidr(podCIDR)!, 0));
}

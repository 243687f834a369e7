import { addCost } from '../kernel/cost-model.js';
import type { NetNs } from '../kernel/netns.js';
import type { Skb } from '../kernel/skb.js';
import { TunDevice } from '../kernel/tun.js';
import { cidrContains, cidrHost, formatIpv4, parseCidr, parseIpv4, type Cidr } from '../wire/addr.js';
import { ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED, UNREACH_NET } from '../wire/icmp.js';
import { decodeIpv4, decrementTtl } from '../wire/ipv4.js';
import type { ClusterInput } from './spec.js';

/** flanneld's UDP port for the udp backend. */
export const FLANNEL_UDP_PORT = 8285;
/** IPv4 20 + UDP 8: no inner Ethernet header travels. */
export const FLANNEL_UDP_OVERHEAD = 28;
export const FLANNEL_TUN_DEV = 'flannel0';

/** One subnet lease as flanneld holds it: the pod subnet and the address of the node that owns it. */
interface Lease {
  cidr: Cidr;
  ip: number;
}

/** Each node's flanneld and the leases it knows (its own watch of the subnet registry). */
const leasesOf = new WeakMap<NetNs, Lease[]>();

/**
 * flannel's udp backend: a `flannel0` TUN device holding `<subnet>.0` with the
 * whole cluster prefix (so `clusterCIDR dev flannel0` is the connected route),
 * MTU = underlay − 28, and flanneld in userspace: it reads each packet from the
 * TUN, finds the node owning the destination subnet, decrements TTL (answering
 * time exceeded or net unreachable itself) and sends the bare IP packet in a
 * UDP datagram to that node's flanneld on 8285, which writes it into its own
 * flannel0.
 */
export function programFlannelUdp(nodes: Map<string, NetNs>, spec: ClusterInput, clusterCIDR: string): void {
  const cluster = parseCidr(clusterCIDR)!;
  const subnets = spec.nodes.map((n) => ({ cidr: parseCidr(n.podCIDR)!, ip: parseIpv4(n.ip)! }));
  for (const n of spec.nodes) {
    const ns = nodes.get(n.name)!;
    const tun = ns.attach(new TunDevice(ns, FLANNEL_TUN_DEV, '00:00:00:00:00:00', spec.underlay.mtu - FLANNEL_UDP_OVERHEAD, ns.allocIfindex()));
    ns.addAddress(tun, `${formatIpv4(cidrHost(parseCidr(n.podCIDR)!, 0))}/${cluster.prefix}`);
    const leases = subnets.map((s) => ({ ...s }));
    leasesOf.set(ns, leases);
    tun.reader = (skb) => forward(ns, tun, skb, leases, cluster);
    ns.sockets.addUdpTunnel(FLANNEL_UDP_PORT, (skb, _ip, payload) => {
      // The datagram ends at flanneld's socket; its payload goes into the TUN as a new packet.
      ns.world.deliver(skb, `${ns.name}:flanneld`, 'tunnel', `0.0.0.0:${FLANNEL_UDP_PORT}`);
      const inner = ns.world.newSkb(payload.slice(), `${ns.name}:flanneld`, 'app', skb.flow, skb.id, true);
      const costs = ns.world.costs;
      if (costs) {
        // The CPU work so far, plus flanneld waking up in recvfrom(2) and copying the datagram out.
        inner.cost = skb.cost ?? 0;
        addCost(inner, costs.wakeup, payload.length);
        addCost(inner, costs.syscall, payload.length);
      }
      emitTunnel(ns, inner, 'decap', payload.length, skb.data.length);
      tun.write(inner);
    });
  }
}

/**
 * A lease expired (the node stopped renewing it): this node's flanneld forgets the subnet, so packets
 * for it are answered with net unreachable instead of being sent to a node that is gone. Returns
 * how many leases went (0 or 1).
 */
export function forgetUdpLease(ns: NetNs, podCIDR: string): number {
  const leases = leasesOf.get(ns);
  const c = parseCidr(podCIDR)!;
  const i = leases?.findIndex((l) => l.cidr.network === c.network && l.cidr.prefix === c.prefix) ?? -1;
  if (i < 0) return 0;
  leases!.splice(i, 1);
  return 1;
}

/** The node renewed its lease: flanneld routes its subnet again. */
export function learnUdpLease(ns: NetNs, podCIDR: string, nodeIp: string): void {
  const leases = leasesOf.get(ns);
  if (!leases) return;
  forgetUdpLease(ns, podCIDR);
  leases.push({ cidr: parseCidr(podCIDR)!, ip: parseIpv4(nodeIp)! });
}

function forward(ns: NetNs, tun: TunDevice, skb: Skb, subnets: readonly Lease[], cluster: Cidr): void {
  const w = ns.world;
  const r = decodeIpv4(skb.data);
  if (!r.ok) return w.drop(skb, `${ns.name}:flanneld`, 'malformed', r.error);
  const ip = r.value;
  const owner = subnets.find((s) => cidrContains(s.cidr, ip.dst));
  if (!owner) {
    ns.stack.icmpError(skb.data, ICMP_DEST_UNREACH, UNREACH_NET, skb);
    return w.drop(skb, `${ns.name}:flanneld`, 'no-route', `flanneld knows no node for ${formatIpv4(ip.dst)} in ${formatIpv4(cluster.network)}/${cluster.prefix}`);
  }
  if (ip.ttl <= 1) {
    ns.stack.icmpError(skb.data, ICMP_TIME_EXCEEDED, 0, skb);
    return w.drop(skb, `${ns.name}:flanneld`, 'ttl-exceeded', 'flanneld decrements TTL like a router');
  }
  const bytes = skb.data.slice();
  decrementTtl(bytes, 0);
  // flanneld's read of the TUN ends this packet; its sendto() makes a new one.
  emitTunnel(ns, skb, 'encap', bytes.length, bytes.length + FLANNEL_UDP_OVERHEAD);
  w.deliver(skb, `${ns.name}:flanneld`, 'tunnel', `${tun.name} reader`);
  ns.sockets.sendDatagram(FLANNEL_UDP_PORT, owner.ip, FLANNEL_UDP_PORT, bytes, skb);
}

function emitTunnel(ns: NetNs, skb: Skb, kind: 'encap' | 'decap', inner: number, outer: number): void {
  const w = ns.world;
  if (w.detailed) w.emit({ kind, t: w.sched.now, pkt: skb.id, at: `${ns.name}:flanneld`, outer: `UDP ${FLANNEL_UDP_PORT}`, bytes: outer - inner });
}

import { addCost } from '../../kernel/cost-model.js';
import type { NetNs } from '../../kernel/netns.js';
import type { Skb } from '../../kernel/skb.js';
import { TunDevice } from '../../kernel/devices/tun.js';
import { cidrContains, cidrHost, formatIpv4, parseCidr, parseIpv4, type Cidr } from '../../wire/addr.js';
import { encodeIcmp, ICMP_DEST_UNREACH, UNREACH_NET } from '../../wire/icmp.js';
import { decodeIpv4, decrementTtl, encodeIpv4, IPPROTO_ICMP } from '../../wire/ipv4.js';
import type { ClusterInput } from '../spec.js';

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

/** The TTL of flanneld's own ICMP net unreachable (send_net_unreachable). */
const FLANNELD_ICMP_TTL = 8;

/**
 * flannel's udp backend as configureIface sets it up: a `flannel0` TUN device
 * holding `<subnet>.0/32` (a /32, so no prefix or broadcast routes: the
 * address is only a source for the node's own traffic into the overlay) and a
 * route `clusterCIDR dev flannel0` of universe scope added by itself, MTU =
 * underlay − 28; and flanneld in userspace (proxy_amd64.c): it reads each
 * packet from the TUN, finds the node owning the destination subnet (none: it
 * writes its own ICMP net unreachable into the TUN), decrements TTL and sends
 * the bare IP packet in a UDP datagram to that node's flanneld on 8285, which
 * decrements TTL again and writes it into its own flannel0. A TTL reaching 0
 * on either side is discarded silently (flanneld sends no time exceeded).
 */
export function programFlannelUdp(nodes: Map<string, NetNs>, spec: ClusterInput, clusterCIDR: string): void {
  const cluster = parseCidr(clusterCIDR)!;
  const subnets = spec.nodes.map((n) => ({ cidr: parseCidr(n.podCIDR)!, ip: parseIpv4(n.ip)! }));
  for (const n of spec.nodes) {
    const ns = nodes.get(n.name)!;
    const tun = ns.attach(new TunDevice(ns, FLANNEL_TUN_DEV, '00:00:00:00:00:00', spec.underlay.mtu - FLANNEL_UDP_OVERHEAD, ns.allocIfindex()));
    const tunAddr = cidrHost(parseCidr(n.podCIDR)!, 0);
    ns.addAddress(tun, `${formatIpv4(tunAddr)}/32`);
    ns.fib.add({ table: 'main', type: 'unicast', dst: { network: cluster.network, prefix: cluster.prefix, address: cluster.network }, dev: tun, proto: 'boot', scope: 'global' });
    const leases = subnets.map((s) => ({ ...s }));
    leasesOf.set(ns, leases);
    tun.reader = (skb) => forward(ns, tun, tunAddr, skb, leases, cluster);
    ns.sockets.addUdpTunnel(FLANNEL_UDP_PORT, (skb, _ip, payload) => {
      // The datagram ends at flanneld's socket; its payload goes into the TUN as a new packet. In udp_to_tun's
      // order, as the send side reads: the payload taken out (decap), the TTL decremented (a packet crossing two
      // flanneld loses two besides the kernels' two; one that reaches 0 is discarded, no new packet), then
      // tun_send_packet writes the packet flanneld made, its TTL already one less.
      emitTunnel(ns, skb, 'decap', payload.length, skb.data.length);
      if (payload.length < 20 || payload[8]! <= 1) return ns.world.drop(skb, `${ns.name}:flanneld`, 'ttl-exceeded', TTL_DISCARD);
      ns.world.deliver(skb, `${ns.name}:flanneld`, 'tunnel', `0.0.0.0:${FLANNEL_UDP_PORT}`);
      const bytes = payload.slice();
      decrementTtl(bytes, 0);
      const inner = ns.world.newSkb(bytes, `${ns.name}:flanneld`, 'app', skb.flow, skb.id, true);
      const costs = ns.world.costs;
      if (costs) {
        // The CPU work so far, plus flanneld waking up in recvfrom(2) and copying the datagram out.
        inner.cost = skb.cost ?? 0;
        addCost(inner, costs.wakeup, payload.length);
        addCost(inner, costs.syscall, payload.length);
      }
      tun.write(inner);
    });
  }
}

const TTL_DISCARD = 'TTL reached 0 in flanneld: discarded without an ICMP time exceeded (flanneld sends none)';

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

function forward(ns: NetNs, tun: TunDevice, tunAddr: number, skb: Skb, subnets: readonly Lease[], cluster: Cidr): void {
  const w = ns.world;
  const r = decodeIpv4(skb.data);
  if (!r.ok) return w.drop(skb, `${ns.name}:flanneld`, 'malformed', r.error);
  const ip = r.value;
  const owner = subnets.find((s) => cidrContains(s.cidr, ip.dst));
  if (!owner) {
    const icmp = netUnreachable(skb.data, ip, tunAddr);
    w.drop(skb, `${ns.name}:flanneld`, 'no-route', `flanneld knows no node for ${formatIpv4(ip.dst)} in ${formatIpv4(cluster.network)}/${cluster.prefix}`);
    // Written into the TUN, it comes into the node's stack on flannel0 from flannel0's own address.
    if (icmp) tun.write(w.newSkb(icmp, `${ns.name}:flanneld`, 'icmp', skb.flow, skb.id, true));
    return;
  }
  // The route lookup comes first: a TTL-1 packet for an unknown subnet still gets its net unreachable.
  if (ip.ttl <= 1) return w.drop(skb, `${ns.name}:flanneld`, 'ttl-exceeded', TTL_DISCARD);
  const bytes = skb.data.slice();
  decrementTtl(bytes, 0);
  // flanneld's read of the TUN ends this packet; its sendto() makes a new one.
  emitTunnel(ns, skb, 'encap', bytes.length, bytes.length + FLANNEL_UDP_OVERHEAD);
  w.deliver(skb, `${ns.name}:flanneld`, 'tunnel', `${tun.name} reader`);
  ns.sockets.sendDatagram(FLANNEL_UDP_PORT, owner.ip, FLANNEL_UDP_PORT, bytes, skb);
}

/**
 * flanneld's send_net_unreachable: from flannel0's address, TTL 8, quoting
 * the offender's IP header and 8 bytes; none about an ICMP message (RFC 792)
 * or a fragment other than the first.
 */
function netUnreachable(offender: Uint8Array, ip: { protocol: number; fragmentOffset: number; src: number; headerLength: number }, tunAddr: number): Uint8Array | undefined {
  if (ip.protocol === IPPROTO_ICMP || ip.fragmentOffset !== 0) return undefined;
  const payload = encodeIcmp({ type: ICMP_DEST_UNREACH, code: UNREACH_NET, rest: 0, payload: offender.slice(0, ip.headerLength + 8) });
  return encodeIpv4({ tos: 0, id: 0, df: false, mf: false, fragmentOffset: 0, ttl: FLANNELD_ICMP_TTL, protocol: IPPROTO_ICMP, src: tunAddr, dst: ip.src, payload });
}

function emitTunnel(ns: NetNs, skb: Skb, kind: 'encap' | 'decap', inner: number, outer: number): void {
  const w = ns.world;
  if (w.detailed) w.emit({ kind, t: w.sched.now, pkt: skb.id, at: `${ns.name}:flanneld`, outer: `UDP ${FLANNEL_UDP_PORT}`, bytes: outer - inner });
}

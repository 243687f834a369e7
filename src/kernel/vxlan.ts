import { formatIpv4, formatMac } from '../wire/addr.js';
import { encodeIpv4, IPPROTO_UDP, type Ipv4Packet } from '../wire/ipv4.js';
import { encodeUdp } from '../wire/udp.js';
import { decodeVxlan, encodeVxlan } from '../wire/vxlan.js';
import { addCost } from './cost-model.js';
import { NetDevice } from './device.js';
import type { NetNs } from './netns.js';
import { scrub, type Skb } from './skb.js';
import { EPHEMERAL_PORTS } from './sockets.js';

export interface VxlanConfig {
  vni: number;
  port: number; // destination UDP port (flannel: 8472)
  local: number; // outer source address
  learning: boolean; // flannel creates it with nolearning
}

/**
 * A VXLAN device (`ip link add flannel.1 type vxlan id 1 local IP dstport 8472
 * nolearning`). Transmitting looks the inner destination MAC up in the
 * device's own FDB to find the remote VTEP, wraps the frame in
 * VXLAN/UDP/IPv4 and sends it through the namespace's routing as a local
 * packet. Received UDP on the port is unwrapped and the inner frame appears on
 * this device.
 */
export class VxlanDevice extends NetDevice {
  readonly kind = 'vxlan';
  /** `bridge fdb append MAC dev flannel.1 dst IP`: VTEP MAC -> remote node IP. */
  private readonly fdb = new Map<string, number>();

  constructor(ns: NetNs, name: string, mac: string, mtu: number, ifindex: number, readonly cfg: VxlanConfig) {
    super(ns, name, mac, mtu, ifindex);
    ns.sockets.addUdpTunnel(cfg.port, (skb, ip, payload) => this.decap(skb, ip, payload));
  }

  addFdb(mac: string, dst: number): void {
    this.fdb.set(mac, dst);
  }

  /** `bridge fdb del MAC dev flannel.1`. */
  removeFdb(mac: string): boolean {
    return this.fdb.delete(mac);
  }

  fdbEntries(): { mac: string; dst: number }[] {
    return [...this.fdb].map(([mac, dst]) => ({ mac, dst }));
  }

  protected transmit(skb: Skb): void {
    const w = this.ns.world;
    const inner = skb.data;
    const dstMac = formatMac(inner, 0);
    const remote = this.fdb.get(dstMac);
    if (remote === undefined) {
      w.drop(skb, this.where, 'vxlan-fdb-miss', `no FDB entry for ${dstMac} on ${this.name} (nolearning, no default destination)`);
      return;
    }
    // Like udp_flow_src_port: a hash of the inner flow, scaled into the local port range.
    const [lo, hi] = EPHEMERAL_PORTS;
    const sport = lo + Math.floor((flowHash(inner) * (hi - lo)) / 4294967296);
    const vx = encodeVxlan(this.cfg.vni, inner);
    // flannel does not ask for a zero checksum (IFLA_VXLAN_UDP_CSUM unset), so
    // the kernel computes the outer UDP checksum, as it has since Linux 4.x.
    const udp = encodeUdp({ srcPort: sport, dstPort: this.cfg.port, payload: vx }, this.cfg.local, remote);
    const outer: Ipv4Packet = { tos: 0, id: this.ns.rng.int(0, 0xffff), df: false, mf: false, fragmentOffset: 0, ttl: 64, protocol: IPPROTO_UDP, src: this.cfg.local, dst: remote, payload: udp };
    const bytes = encodeIpv4(outer);
    if (w.detailed) w.emit({ kind: 'encap', t: w.sched.now, pkt: skb.id, at: this.where, vni: this.cfg.vni, outer: `${formatIpv4(this.cfg.local)}:${sport} > ${formatIpv4(remote)}:${this.cfg.port}`, bytes: bytes.length + 14 - inner.length });
    skb.data = bytes;
    // iptunnel_xmit scrubs the skb: the outer datagram is a connection of its own for conntrack.
    scrub(skb, false);
    this.ns.stack.sendLocal(skb, outer);
  }

  /** The UDP tunnel socket's receive hook (vxlan_rcv). */
  private decap(skb: Skb, ip: Ipv4Packet, payload: Uint8Array): void {
    const w = this.ns.world;
    const r = decodeVxlan(payload);
    if (!r.ok) {
      w.drop(skb, this.where, 'malformed', r.error);
      return;
    }
    if (r.value.vni !== this.cfg.vni) {
      w.drop(skb, this.where, 'vxlan-fdb-miss', `VNI ${r.value.vni} is not ${this.name}'s ${this.cfg.vni}`);
      return;
    }
    const inner = r.value.payload;
    if (w.detailed) w.emit({ kind: 'decap', t: w.sched.now, pkt: skb.id, at: this.where, vni: r.value.vni, outer: `${formatIpv4(ip.src)} > ${formatIpv4(ip.dst)}`, bytes: skb.data.length + 14 - inner.length });
    skb.data = inner;
    scrub(skb, false);
    if (w.costs) addCost(skb, w.costs.vxlanDecap, payload.length);
    w.handoffTo(this.ns.cpu, skb, this);
  }
}

/** FNV-1a over the inner IPv4 addresses, protocol and ports (the flow keys Linux hashes). */
function flowHash(frame: Uint8Array): number {
  let h = 0x811c9dc5;
  const ipStart = 14;
  const ihl = ((frame[ipStart] ?? 0x45) & 0x0f) * 4;
  const take = (i: number): void => {
    h = Math.imul(h ^ (frame[i] ?? 0), 0x01000193) >>> 0;
  };
  for (let i = ipStart + 12; i < ipStart + 20; i++) take(i); // saddr, daddr
  take(ipStart + 9); // protocol
  for (let i = ipStart + ihl; i < ipStart + ihl + 4; i++) take(i); // ports
  return h >>> 0;
}

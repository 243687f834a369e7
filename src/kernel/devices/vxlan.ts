import { formatIpv4, formatMac } from '../../wire/addr.js';
import { IPPROTO_UDP, type DecodedIpv4, type Ipv4Packet } from '../../wire/ipv4.js';
import { decodeVxlan, VXLAN_HEADERS, writeVxlanHeaders } from '../../wire/vxlan.js';
import { addCost } from '../cost-model.js';
import { NetDevice } from './device.js';
import type { NetNs } from '../netns.js';
import { knownIpv4, pullTo, pushHeaders, scrub, type Skb } from '../skb.js';
import { EPHEMERAL_PORTS } from '../sockets.js';

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
    // The inner frame read where it lies (skb.ts: no view made per hop).
    const innerLen = skb.len;
    const dstMac = formatMac(skb.buf, skb.off);
    const remote = this.fdb.get(dstMac);
    if (remote === undefined) {
      w.drop(skb, this.where, 'vxlan-fdb-miss', `no FDB entry for ${dstMac} on ${this.name} (nolearning, no default destination)`);
      return;
    }
    // Like udp_flow_src_port: a hash of the inner flow, scaled into the local port range.
    const lo = EPHEMERAL_PORTS[0];
    const hi = EPHEMERAL_PORTS[1];
    const sport = lo + Math.floor((flowHash(skb.buf, skb.off, innerLen) * (hi - lo)) / 4294967296);
    const id = this.ns.rng.int(0, 0xffff);
    const { local, port, vni } = this.cfg;
    // iptunnel_xmit: the outer headers pushed in front of the frame (its headroom, else a copy), written there.
    // flannel does not ask for a zero checksum (IFLA_VXLAN_UDP_CSUM unset), so
    // the kernel computes the outer UDP checksum, as it has since Linux 4.x.
    pushHeaders(skb, VXLAN_HEADERS);
    const b = skb.buf;
    const o = skb.off;
    writeVxlanHeaders(b, o, innerLen, id, local, remote, sport, port, vni);
    if (w.detailed) w.emit({ kind: 'encap', t: w.sched.now, pkt: skb.id, at: this.where, vni, outer: `${formatIpv4(local)}:${sport} > ${formatIpv4(remote)}:${port}`, bytes: skb.len + 14 - innerLen });
    // The outer header as decoding these bytes gives it: no hop decodes it again.
    const outer: DecodedIpv4 = { tos: 0, id, df: false, mf: false, fragmentOffset: 0, ttl: 64, protocol: IPPROTO_UDP, src: local, dst: remote, payload: new Uint8Array(b.buffer, o + 20, skb.len - 20), headerLength: 20, totalLength: skb.len };
    knownIpv4(skb, outer);
    // iptunnel_xmit scrubs the skb: the outer datagram is a connection of its own for conntrack.
    scrub(skb, false);
    this.ns.stack.sendLocal(skb, outer);
  }

  /** The UDP tunnel socket's receive hook (vxlan_rcv). */
  private decap(skb: Skb, ip: Ipv4Packet, payload: Uint8Array): void {
    const w = this.ns.world;
    // decodeVxlan's checks and fields, read in place (no result object, no view of the inner frame).
    if (payload.length < 8 || !(payload[0]! & 0x08)) {
      w.drop(skb, this.where, 'malformed', (decodeVxlan(payload) as { error: string }).error);
      return;
    }
    const vni = (payload[4]! << 16) | (payload[5]! << 8) | payload[6]!;
    if (vni !== this.cfg.vni) {
      w.drop(skb, this.where, 'vxlan-fdb-miss', `VNI ${vni} is not ${this.name}'s ${this.cfg.vni}`);
      return;
    }
    const innerLen = payload.length - 8;
    if (w.detailed) w.emit({ kind: 'decap', t: w.sched.now, pkt: skb.id, at: this.where, vni, outer: `${formatIpv4(ip.src)} > ${formatIpv4(ip.dst)}`, bytes: skb.len + 14 - innerLen });
    // vxlan_rcv pulls the outer headers: the inner frame where it lies (no copy), within the packet's bytes.
    const at = payload.byteOffset + 8;
    if (payload.buffer === skb.buf.buffer && at >= skb.off && at + innerLen <= skb.off + skb.len) pullTo(skb, at, innerLen);
    else skb.data = payload.subarray(8);
    scrub(skb, false);
    if (w.costs) addCost(skb, w.costs.vxlanDecap, payload.length);
    w.handoffTo(this.ns.cpu, skb, this);
  }
}

/**
 * FNV-1a over the inner IPv4 addresses, protocol and ports (the flow keys
 * Linux hashes) of the frame of `len` bytes at `off` of `b` (a byte past its
 * end reads as 0).
 */
function flowHash(b: Uint8Array, off: number, len: number): number {
  let h = 0x811c9dc5 | 0; // kept as a signed 32-bit integer: the same bits, never a boxed number
  const ipStart = 14;
  const ihl = ((ipStart < len ? b[off + ipStart]! : 0x45) & 0x0f) * 4;
  for (let i = ipStart + 12; i < ipStart + 20; i++) h = fnv(h, b, off, len, i); // saddr, daddr
  h = fnv(h, b, off, len, ipStart + 9); // protocol
  for (let i = ipStart + ihl; i < ipStart + ihl + 4; i++) h = fnv(h, b, off, len, i); // ports
  return h >>> 0;
}

/** One FNV-1a step over byte `i` of the frame (0 past its end), as a signed 32-bit integer. */
function fnv(h: number, b: Uint8Array, off: number, len: number, i: number): number {
  return Math.imul(h ^ (i < len ? b[off + i]! : 0), 0x01000193);
}

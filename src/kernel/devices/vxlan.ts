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
    // udp_flow_src_port (vxlan_xmit_one; flannel sets no port range, so the local port range): the skb's hash
    // folded (hash ^= hash << 16, "obfuscated" for the wire) and scaled into the range.
    const lo = EPHEMERAL_PORTS[0];
    const hi = EPHEMERAL_PORTS[1];
    const h = flowHash(skb.buf, skb.off, innerLen);
    const folded = (h ^ (h << 16)) >>> 0;
    const sport = lo + Math.floor((folded * (hi - lo)) / 4294967296);
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
 * The inner frame's flow hash as skb_get_hash gives it when nothing set one
 * (the flow dissector's keys, made symmetric): the inner IPv4 addresses and
 * protocol, plus the ports for TCP, UDP, UDP-Lite, SCTP and DCCP only
 * (proto_ports_offset: no ICMP case, so an echo's id and checksum are not
 * keys) and never for a fragment (the dissector reads no ports of any fragment
 * without FLOW_DISSECTOR_F_PARSE_1ST_FRAG, which skb_get_hash does not ask
 * for: every fragment of a datagram gets one hash). __flow_hash_consistentify
 * orders the (address, port) pairs, so a request and its reply hash alike.
 * Linux hashes the keys with a random siphash key; FNV-1a over them stands in
 * (a hash of the same keys: equal where Linux's are equal). The frame is `len`
 * bytes at `off` of `b`; a byte past its end reads as 0.
 */
function flowHash(b: Uint8Array, off: number, len: number): number {
  const ip = 14;
  const byte = (i: number): number => (i < len ? b[off + i]! : 0);
  const ihl = ((ip < len ? byte(ip) : 0x45) & 0x0f) * 4;
  const proto = byte(ip + 9);
  const fragment = (byte(ip + 6) & 0x3f) !== 0 || byte(ip + 7) !== 0; // MF or an offset
  const src = ((byte(ip + 12) << 24) | (byte(ip + 13) << 16) | (byte(ip + 14) << 8) | byte(ip + 15)) >>> 0;
  const dst = ((byte(ip + 16) << 24) | (byte(ip + 17) << 16) | (byte(ip + 18) << 8) | byte(ip + 19)) >>> 0;
  let sport = 0;
  let dport = 0;
  if (!fragment && PORT_PROTOCOLS.has(proto)) {
    sport = (byte(ip + ihl) << 8) | byte(ip + ihl + 1);
    dport = (byte(ip + ihl + 2) << 8) | byte(ip + ihl + 3);
  }
  // __flow_hash_consistentify: the lower (address, port) first, whichever way the packet goes.
  const swap = dst < src || (dst === src && dport < sport);
  let h = 0x811c9dc5 | 0; // kept as a signed 32-bit integer: the same bits, never a boxed number
  h = fnv32(h, swap ? dst : src);
  h = fnv32(h, swap ? src : dst);
  h = fnv32(h, ((swap ? dport : sport) << 16) | (swap ? sport : dport));
  h = Math.imul(h ^ proto, 0x01000193);
  // flow_hash_from_keys never gives 0 (0 means "no hash").
  return h >>> 0 || 1;
}

/** IP protocols whose first 4 bytes of L4 header are ports to the flow dissector: TCP, UDP, DCCP, SCTP, UDP-Lite. */
const PORT_PROTOCOLS = new Set([6, 17, 33, 132, 136]);

/** Four FNV-1a steps over a 32-bit value, high byte first, as a signed 32-bit integer. */
function fnv32(h: number, v: number): number {
  h = Math.imul(h ^ (v >>> 24), 0x01000193);
  h = Math.imul(h ^ ((v >>> 16) & 0xff), 0x01000193);
  h = Math.imul(h ^ ((v >>> 8) & 0xff), 0x01000193);
  return Math.imul(h ^ (v & 0xff), 0x01000193);
}

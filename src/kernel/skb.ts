import { writeMac } from '../wire/addr.js';
import { freshBytes, view, within } from '../wire/bytes.js';
import { decodeIpv4, decrementTtl, type DecodedIpv4 } from '../wire/ipv4.js';
import type { Decoded } from '../wire/decoded.js';
import type { CtEntry, Conntrack } from './conntrack.js';
import type { NetDevice } from './device.js';

/**
 * A packet in flight: the bytes on the wire plus the metadata Linux keeps in an
 * skb. `id` names one packet lineage in the trace; `flow` ties the packet (and
 * everything the kernel does because of it) to a traffic item.
 */
export interface Skb {
  readonly id: number;
  /** Bytes of the frame (Ethernet) or of the IPv4 packet on L3-only devices. Treated as immutable. */
  data: Uint8Array;
  readonly flow: string | undefined;
  /** Last device that handled it: where it is reported if the run ends with it still in flight. */
  at?: string;
  /** skb->mark, set by MARK targets. Scrubbed when the packet changes namespace. */
  mark?: number;
  /** skb->_nfct: the packet's connection and its direction there (0 original, 1 reply). */
  nfct?: { table: Conntrack; entry: CtEntry; dir: 0 | 1; related?: boolean };
  /** br_netfilter's physindev: the bridge port the frame came in by (kept while the host routes it; `-m physdev`). */
  physIn?: NetDevice;
  /** br_netfilter: PREROUTING already ran while the frame crossed the bridge (ip_sabotage_in). */
  brPrerouted?: boolean;
  /**
   * br_netfilter "bridged DNAT": once framed for its new destination, bridge it
   * as if it had come in on `port`, keeping the sender's source MAC.
   */
  bridgedDnat?: { port: NetDevice; srcMac: string };
  /**
   * IPCB(skb)->frag_max_size: set when nf_defrag reassembled this packet from
   * fragments, the largest of them; output fragments it again to that size.
   */
  fragMaxSize?: number;
  /** Cost model only: CPU work (ns) done on it since its last hand-off, not yet charged. */
  cost?: number;
  /**
   * The bytes this packet was made in (or last copied into): they and the HEADROOM bytes in
   * front of them are the memory this packet alone may write — its bytes (`data`, while they
   * lie inside it) and the headroom in front of them. Someone else reading the bytes (a trace
   * event, a capture, a clone) takes it away (`share`). See `cow` and `pushEthernet`.
   */
  room?: Uint8Array;
  /**
   * Whether `data` itself is the packet's alone too, not only the headroom in front: a new
   * packet's create event reads its bytes, not what is put in front of them (skb_push into a
   * fresh skb's headroom), so a socket's packet starts with its room but not owned.
   */
  owned?: boolean;
  /**
   * The IPv4 header as `ipv4Of` last decoded it (its payload a view into `data`'s buffer). It
   * holds while that view still lies where `data` puts the packet: every write in place goes
   * through `cow`, which forgets it, and new bytes live in a new buffer.
   */
  ip?: { ok: true; value: DecodedIpv4 };
  /**
   * The packet's bytes as they last were with (or without) an Ethernet header in front: pushing
   * or pulling that header again takes this view instead of making one (a walk frames and
   * unframes the same bytes at every namespace it crosses).
   */
  alt?: Uint8Array;
  /** In flight: created and not yet delivered or dropped (`World.inFlight`, a list threaded through the packets). */
  live?: boolean;
  livePrev?: Skb | undefined;
  liveNext?: Skb | undefined;
}

/**
 * A new packet's skb with every field present from the start (unset ones
 * undefined): all packets share one shape, so the hops that read and set
 * these fields stay monomorphic and never grow an object's property store.
 */
export function makeSkb(id: number, data: Uint8Array, flow: string | undefined): Skb {
  return {
    id,
    data,
    flow,
    at: undefined,
    mark: undefined,
    nfct: undefined,
    physIn: undefined,
    brPrerouted: undefined,
    bridgedDnat: undefined,
    fragMaxSize: undefined,
    cost: 0, // a number from the start: the cost model adds to it in place rather than boxing a new one per hop
    room: undefined,
    owned: undefined,
    ip: undefined,
    alt: undefined,
    live: undefined,
    livePrev: undefined,
    liveNext: undefined,
  };
}

/**
 * Bytes kept free in front of a packet copied by `cow` and `pushEthernet`: an
 * Ethernet header (14) and, for a later encapsulation, outer headers fit in
 * front without another copy (skb headroom, NET_SKB_PAD).
 */
export const HEADROOM = 64;

/**
 * Someone will read the packet's present bytes later (a trace event describes
 * them when asked, a capture, a bridge clone sharing them): from now on they
 * are copied before any write, as skb_cow does for a cloned skb.
 */
export function share(skb: Skb): void {
  skb.room = undefined;
  skb.owned = undefined;
}

/**
 * skb_cow: the packet's bytes, ready to be written. In place when they are
 * the packet's alone; otherwise a copy (with headroom in front) that it owns
 * from now on. Either way `skb.data` is the result.
 */
export function cow(skb: Skb): Uint8Array {
  const d = skb.data;
  skb.ip = undefined; // the caller is about to write: a header decoded before may change
  const room = skb.room;
  // `d === room` first: the usual case, and reading a view's buffer and offsets is not free.
  if (skb.owned && room !== undefined && (d === room || within(room, d, HEADROOM))) return d;
  return (skb.data = roomFor(skb, d.length, 0, d));
}

/**
 * Memory for a new packet of `len` bytes (zero until written), with HEADROOM
 * free bytes in front of them. A socket writes them, makes the packet and
 * gives it them as its room (`skb.room`): the link layer's header goes in
 * front without a copy.
 */
export function packetBytes(len: number): Uint8Array {
  return freshBytes(len, HEADROOM);
}

/** A new room for `skb` (`at` + `len` bytes after HEADROOM) holding `d` at `at`: the packet owns it. */
function roomFor(skb: Skb, len: number, at: number, d: Uint8Array): Uint8Array {
  const out = freshBytes(at + len, HEADROOM);
  out.set(d, at);
  skb.room = out;
  skb.owned = true;
  return out;
}

/**
 * The IPv4 packet `skb.data` carries from byte `offset` (0, or 14 behind an
 * Ethernet header), decoded once per packet rather than at every hop that
 * reads it (the bridge's netfilter, the receiving stack): the same answer as
 * `decodeIpv4` on the present bytes.
 */
export function ipv4Of(skb: Skb, offset = 0): Decoded<DecodedIpv4> {
  const known = decodedIpv4(skb, offset);
  if (known !== undefined) return known;
  const r = decodeIpv4(skb.data, offset);
  if (r.ok) skb.ip = r;
  return r;
}

/** `skb.ip` if it still describes the bytes at `offset` of `skb.data` (its payload is where they put it). */
function decodedIpv4(skb: Skb, offset: number): { ok: true; value: DecodedIpv4 } | undefined {
  const c = skb.ip;
  if (c === undefined) return undefined;
  const d = skb.data;
  const v = c.value;
  const p = v.payload;
  return p.buffer === d.buffer && p.byteOffset === d.byteOffset + offset + v.headerLength && offset + v.totalLength <= d.length ? c : undefined;
}

/**
 * ip_forward's TTL decrement (ip_decrease_ttl): the bytes made writable
 * (`cow`), the TTL lowered and the header checksum updated in place (RFC
 * 1624). Returns the new TTL. A header decoded before stays known with its
 * new TTL (and its views into the new bytes), so the next hop reads it
 * without decoding.
 */
export function decrementTtlOf(skb: Skb): number {
  const known = decodedIpv4(skb, 0);
  const before = skb.data;
  const data = cow(skb);
  const ttl = decrementTtl(data, 0);
  if (known !== undefined) {
    const v = known.value;
    // Written in place, the views into the bytes still hold; a copy needs its own.
    const moved = data !== before;
    const payload = moved ? view(data, v.headerLength, v.totalLength) : v.payload;
    // The same keys in the same order as decodeIpv4 makes of the new bytes (a literal per shape, not a spread).
    const value: DecodedIpv4 =
      v.options !== undefined
        ? { tos: v.tos, id: v.id, df: v.df, mf: v.mf, fragmentOffset: v.fragmentOffset, ttl, protocol: v.protocol, src: v.src, dst: v.dst, options: moved ? view(data, 20, v.headerLength) : v.options, payload, headerLength: v.headerLength, totalLength: v.totalLength }
        : { tos: v.tos, id: v.id, df: v.df, mf: v.mf, fragmentOffset: v.fragmentOffset, ttl, protocol: v.protocol, src: v.src, dst: v.dst, payload, headerLength: v.headerLength, totalLength: v.totalLength };
    skb.ip = { ok: true, value };
  }
  return ttl;
}

/**
 * skb_push + eth_header: put a 14-byte Ethernet header in front of the
 * packet's bytes — into its room's headroom when it has one, else into a copy
 * it then owns.
 */
export function pushEthernet(skb: Skb, dst: string, src: string, etherType: number): void {
  const d = skb.data;
  const room = skb.room;
  let out: Uint8Array;
  if (room !== undefined && (d === room || (within(room, d, HEADROOM) && d.byteOffset - 14 >= room.byteOffset - HEADROOM))) {
    const alt = skb.alt;
    out = alt !== undefined && alt.buffer === d.buffer && alt.byteOffset === d.byteOffset - 14 && alt.length === d.length + 14 ? alt : new Uint8Array(d.buffer, d.byteOffset - 14, d.length + 14);
  } else {
    out = roomFor(skb, d.length, 14, d);
  }
  writeMac(out, 0, dst);
  writeMac(out, 6, src);
  out[12] = etherType >>> 8;
  out[13] = etherType & 255;
  skb.alt = d;
  skb.data = out;
}

/**
 * skb_pull of the Ethernet header (eth_type_trans): the packet's bytes from
 * byte 14 of its frame on.
 */
export function pullEthernet(skb: Skb): void {
  const d = skb.data;
  const alt = skb.alt;
  skb.data = alt !== undefined && alt.buffer === d.buffer && alt.byteOffset === d.byteOffset + 14 && alt.length === d.length - 14 ? alt : view(d, 14, d.length);
  skb.alt = d;
}

/**
 * skb_scrub_packet: what a packet forgets when it leaves a namespace or is
 * encapsulated — its conntrack reference and bridge-netfilter state, and (across
 * namespaces) its mark.
 */
export function scrub(skb: Skb, crossNamespace: boolean): void {
  skb.nfct = undefined;
  skb.brPrerouted = undefined;
  skb.physIn = undefined;
  skb.bridgedDnat = undefined;
  if (crossNamespace) skb.mark = undefined;
  skb.fragMaxSize = undefined;
}

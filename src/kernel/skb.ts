import { writeMac } from '../wire/addr.js';
import { decodeIpv4, type DecodedIpv4 } from '../wire/ipv4.js';
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
   * The buffer this packet alone holds (no trace event, capture or clone reads it later): while
   * `data` is a view into it, headers are written in place (skb_cow finds it unshared). See `cow`.
   */
  owned?: ArrayBufferLike;
  /**
   * The buffer whose bytes in front of `data` (the headroom) this packet alone may write, though
   * `data` itself is shared: a new packet's create event reads its bytes, not what is put in
   * front of them (skb_push into a fresh skb's headroom). See `pushEthernet`.
   */
  head?: ArrayBufferLike;
  /**
   * The IPv4 header as `ipv4Of` last decoded it (its payload a view into `data`'s buffer). It
   * holds while that view still lies where `data` puts the packet: every write in place goes
   * through `cow`, which forgets it, and new bytes live in a new buffer.
   */
  ip?: { ok: true; value: DecodedIpv4 };
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
    cost: undefined,
    owned: undefined,
    head: undefined,
    ip: undefined,
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
  skb.owned = undefined;
  skb.head = undefined;
}

/**
 * skb_cow: the packet's bytes, ready to be written. In place when the packet
 * owns its buffer; otherwise a copy (with headroom in front) that it owns from
 * now on. Either way `skb.data` is the result.
 */
export function cow(skb: Skb): Uint8Array {
  const d = skb.data;
  skb.ip = undefined; // the caller is about to write: a header decoded before may change
  if (d.buffer === skb.owned) return d;
  const buf = new Uint8Array(HEADROOM + d.length);
  buf.set(d, HEADROOM);
  skb.owned = buf.buffer;
  return (skb.data = buf.subarray(HEADROOM));
}

/**
 * The IPv4 packet `skb.data` carries from byte `offset` (0, or 14 behind an
 * Ethernet header), decoded once per packet rather than at every hop that
 * reads it (the bridge's netfilter, the receiving stack): the same answer as
 * `decodeIpv4` on the present bytes.
 */
export function ipv4Of(skb: Skb, offset = 0): Decoded<DecodedIpv4> {
  const d = skb.data;
  const c = skb.ip;
  if (c !== undefined) {
    const v = c.value;
    const p = v.payload;
    if (p.buffer === d.buffer && p.byteOffset === d.byteOffset + offset + v.headerLength && offset + v.totalLength <= d.length) return c;
  }
  const r = decodeIpv4(d, offset);
  if (r.ok) skb.ip = r;
  return r;
}

/**
 * skb_push + eth_header: put a 14-byte Ethernet header in front of the
 * packet's bytes — into the headroom when the packet owns its buffer or at
 * least its headroom, else into a copy it then owns.
 */
export function pushEthernet(skb: Skb, dst: string, src: string, etherType: number): void {
  const d = skb.data;
  let out: Uint8Array;
  if ((d.buffer === skb.owned || d.buffer === skb.head) && d.byteOffset >= 14) {
    out = new Uint8Array(d.buffer, d.byteOffset - 14, d.length + 14);
  } else {
    const buf = new Uint8Array(HEADROOM + 14 + d.length);
    out = buf.subarray(HEADROOM);
    out.set(d, 14);
    skb.owned = buf.buffer;
  }
  writeMac(out, 0, dst);
  writeMac(out, 6, src);
  out[12] = etherType >>> 8;
  out[13] = etherType & 255;
  skb.data = out;
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

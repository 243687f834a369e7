import { MacHeader } from '../wire/addr.js';
import { carve, carveCopy, carvedIn, copyBytes } from '../wire/bytes.js';
import { decodeIpv4, decrementTtl, type DecodedIpv4 } from '../wire/ipv4.js';
import type { Decoded } from '../wire/decoded.js';
import type { CtEntry, Conntrack } from './conntrack/conntrack.js';
import type { NetDevice } from './devices/device.js';

/** A view's position in its buffer, read once per foreign view (an accessor call, not a field load). */
function wholeBufferOf(d: Uint8Array): Uint8Array {
  if (d === lastPacketBytes) return lastPacketBuf;
  const b = d.buffer;
  if (d.byteOffset === 0 && d.length === b.byteLength) return d;
  const c = carvedIn();
  return c.buffer === b ? c : new Uint8Array(b);
}

/**
 * A packet in flight: the bytes on the wire plus the metadata Linux keeps in an
 * skb. `id` names one packet lineage in the trace; `flow` ties the packet (and
 * everything the kernel does because of it) to a traffic item.
 *
 * Its bytes are `buf[off .. off + len)`: `buf` is the whole memory they lie in
 * (a slab shared with other packets, or a buffer of their own) and pushing or
 * pulling a header moves two numbers — no view per hop (a Uint8Array view is
 * about 96 bytes and a slow constructor). `data` is a view of them, made when
 * something first reads them at their present place (hot readers read `buf`
 * at `off` instead).
 */
export class Skb {
  /** The memory the packet's bytes lie in, from its first byte (byteOffset 0). */
  buf: Uint8Array;
  /** Where the packet's bytes start in `buf`. */
  off: number;
  /** How many bytes the packet has (the frame, or the IPv4 packet on L3-only devices). */
  len: number;
  /** Last device that handled it: where it is reported if the run ends with it still in flight. */
  at: string | undefined = undefined;
  /** skb->mark, set by MARK targets. Scrubbed when the packet changes namespace. */
  mark: number | undefined = undefined;
  /** skb->_nfct: the packet's connection and its direction there (0 original, 1 reply). */
  nfct: { table: Conntrack; entry: CtEntry; dir: 0 | 1; related?: boolean } | undefined = undefined;
  /** br_netfilter's physindev: the bridge port the frame came in by (kept while the host routes it; `-m physdev`). */
  physIn: NetDevice | undefined = undefined;
  /** br_netfilter: PREROUTING already ran while the frame crossed the bridge (ip_sabotage_in). */
  brPrerouted: boolean | undefined = undefined;
  /** skb->ipvs_property: IPVS sent it on to a real server or gave it the VIP back (`-m ipvs`); skb_scrub_packet clears it. */
  ipvsProperty = false;
  /**
   * br_netfilter "bridged DNAT": once framed for its new destination, bridge it
   * as if it had come in on `port`, keeping the sender's source MAC.
   */
  bridgedDnat: { port: NetDevice; srcMac: string } | undefined = undefined;
  /**
   * IPCB(skb)->frag_max_size: set when nf_defrag reassembled this packet from
   * fragments, the largest of them; output fragments it again to that size.
   */
  fragMaxSize: number | undefined = undefined;
  /** Cost model only: CPU work (ns) done on it since its last hand-off, not yet charged. A number from the start: added to in place. */
  cost: number | undefined = 0;
  /**
   * Where the part of `buf` this packet alone may write starts (none while -1): the
   * HEADROOM bytes in front of the bytes it was made in (or last copied into), and those
   * bytes. Its bytes lie inside it while it has one (moved only by pushing and pulling a
   * header, or cut short). Someone else reading the bytes (a trace event, a capture, a
   * clone) takes it away (`share`). See `cow` and `pushEthernet`.
   */
  roomStart = -1;
  /**
   * Whether its bytes themselves are the packet's alone too, not only the headroom in
   * front: a new packet's create event reads its bytes, not what is put in front of them
   * (skb_push into a fresh skb's headroom), so a socket's packet starts with its room but
   * not owned.
   */
  owned = false;
  /**
   * The IPv4 header as `ipv4Of` last decoded it at byte `ipAt` of `buf` (its payload a view
   * of the same bytes). It holds while the header still starts there: every write in place
   * goes through `cow`, which forgets it, and new memory forgets it too (but for
   * `decrementTtlOf`, which keeps it true).
   */
  ip: DecodedIpv4 | undefined = undefined;
  ipAt = -1;
  /** `data` as last made, while the bytes are where it shows them (forgotten when they move). */
  private view: Uint8Array | undefined;
  /** In flight (created and not yet delivered or dropped): its neighbours in `World.inFlight`, a list threaded through the packets. */
  livePrev: Skb | undefined = undefined;
  liveNext: Skb | undefined = undefined;

  /**
   * A packet of the `len` bytes at `off` of `buf` (the whole memory they lie
   * in, byteOffset 0); `view`, if the caller has one, shows them (else one is
   * made only if something reads `data`).
   */
  constructor(
    readonly id: number,
    buf: Uint8Array,
    off: number,
    len: number,
    readonly flow: string | undefined,
    view: Uint8Array | undefined,
  ) {
    this.buf = buf;
    this.off = off;
    this.len = len;
    this.view = view;
  }

  /** The packet's bytes (the frame, or the IPv4 packet on L3-only devices) as a view. Treated as immutable: writers go through `cow`. */
  get data(): Uint8Array {
    return (this.view ??= new Uint8Array(this.buf.buffer, this.off, this.len));
  }

  /** New bytes for the packet (a copy, a rewrite, a part of what it had): in its room still only when cut short where they were. */
  set data(d: Uint8Array) {
    let off: number;
    if (d.buffer === this.buf.buffer) off = d.byteOffset;
    else {
      const buf = wholeBufferOf(d);
      off = buf === d ? 0 : d.byteOffset;
      this.moveTo(buf);
    }
    const len = d.length;
    // Cut short in place (pskb_trim), the bytes stay in the room; anywhere else, the room is not known to hold them.
    if (off !== this.off || len > this.len) share(this);
    this.off = off;
    this.len = len;
    this.view = d;
  }

  /** The bytes are now `len` bytes at `off` of `buf` (a header pushed or pulled, a copy made). */
  place(off: number, len: number): void {
    this.off = off;
    this.len = len;
    this.view = undefined;
  }

  /** The packet's bytes are in `buf` from now on: what was known of positions in the old memory no longer holds. */
  moveTo(buf: Uint8Array): void {
    if (buf === this.buf) return;
    this.buf = buf;
    this.view = undefined;
    this.ip = undefined;
    this.roomStart = -1;
    this.owned = false;
  }
}

/** A new packet's skb of the bytes `data` shows (`new Skb` where they lie): every packet has one shape, so the hops that read and set its fields stay monomorphic. */
export function makeSkb(id: number, data: Uint8Array, flow: string | undefined): Skb {
  const buf = wholeBufferOf(data);
  return new Skb(id, buf, data === lastPacketBytes ? lastPacketAt : buf === data ? 0 : data.byteOffset, data.length, flow, data);
}

/** A new packet's skb of the `len` bytes at `off` of `buf` (a whole memory, byteOffset 0): no view made. */
export function makeSkbIn(id: number, buf: Uint8Array, off: number, len: number, flow: string | undefined): Skb {
  return new Skb(id, buf, off, len, flow, undefined);
}

/**
 * `skb`, which ended and which nothing refers to any more (see
 * `World.recycle`), made the skb `makeSkbIn(id, buf, off, len, flow)` makes:
 * every field as the constructor sets it (test/kernel/skb.test.ts compares
 * them), so no object is made for the packet.
 */
export function renewSkb(skb: Skb, id: number, buf: Uint8Array, off: number, len: number, flow: string | undefined): Skb {
  // Read-only to every other reader: a packet's id and flow are its own for its life.
  const named = skb as unknown as { id: number; flow: string | undefined };
  named.id = id;
  named.flow = flow;
  const s = skb;
  s.buf = buf;
  s.off = off;
  s.len = len;
  s.at = undefined;
  s.mark = undefined;
  s.nfct = undefined;
  s.physIn = undefined;
  s.brPrerouted = undefined;
  s.ipvsProperty = false;
  s.bridgedDnat = undefined;
  s.fragMaxSize = undefined;
  s.cost = 0;
  s.roomStart = -1;
  s.owned = false;
  s.ip = undefined;
  s.ipAt = -1;
  s.place(off, len); // and no view
  s.livePrev = undefined;
  s.liveNext = undefined;
  return s;
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
  skb.roomStart = -1;
  skb.owned = false;
}

/**
 * skb_cow: the packet's bytes, ready to be written. In place when they are
 * the packet's alone; otherwise a copy (with headroom in front) that it owns
 * from now on. Either way `skb.data` is the result.
 */
export function cow(skb: Skb): Uint8Array {
  skb.ip = undefined; // the caller is about to write: a header decoded before may change
  if (!(skb.owned && skb.roomStart >= 0)) copyToRoom(skb, 0);
  return skb.data;
}

/** The last `packetBytes` and where they lie: the skb made of them finds its memory without reading the view's accessors. */
let lastPacketBytes: Uint8Array | undefined;
let lastPacketBuf: Uint8Array = carvedIn();
let lastPacketAt = 0;

/**
 * Bytes kept free in front of a socket's new packet: room for its Ethernet
 * header (14, 8-byte aligned). Less than HEADROOM: these bytes lie in the
 * memory its create event keeps for as long as the trace, and nothing but
 * the link layer's header is put in front of a packet without a copy (an
 * encapsulation writes new bytes; a first write copies, as the create event
 * reads these).
 */
export const SOCKET_HEADROOM = 16;

/**
 * Memory for a new packet of `len` bytes (zero until written), with
 * SOCKET_HEADROOM free bytes in front of them. A socket writes them, makes
 * the packet and gives it the headroom (`giveHeadroom`): the link layer's
 * header goes in front without a copy.
 */
export function packetBytes(len: number): Uint8Array {
  const at = carve(SOCKET_HEADROOM + len) + SOCKET_HEADROOM;
  const buf = carvedIn();
  const bytes = new Uint8Array(buf.buffer, at, len);
  lastPacketBytes = bytes;
  lastPacketBuf = buf;
  lastPacketAt = at;
  return bytes;
}

/**
 * `packetBytes` without the view: where in `carvedIn()` a new packet's `len`
 * zero bytes start (SOCKET_HEADROOM free bytes in front), for a writer that
 * writes them in place and makes the packet with `makeSkbIn`.
 */
export function packetRoom(len: number): number {
  return carve(SOCKET_HEADROOM + len) + SOCKET_HEADROOM;
}

/** The packet's bytes came from `packetBytes`: they and the SOCKET_HEADROOM in front are its room (not owned: its create event reads them). */
export function giveHeadroom(skb: Skb): void {
  skb.roomStart = skb.off - SOCKET_HEADROOM;
}

/** New room for the packet: its bytes copied behind HEADROOM + `front` free bytes, which it owns; its bytes then start `front` bytes earlier. */
function copyToRoom(skb: Skb, front: number): void {
  const len = skb.len;
  const room = carveCopy(HEADROOM + front + len);
  const out = carvedIn();
  const to = room + HEADROOM + front;
  // A short packet is copied where its bytes lie (by words when aligned): cheaper than the view `set` needs.
  if (len <= 128) copyBytes(skb.buf, skb.off, out, to, len);
  else out.set(skb.data, to);
  skb.moveTo(out);
  skb.place(to - front, len + front);
  skb.roomStart = room;
  skb.owned = true;
}

/**
 * The IPv4 packet `skb.data` carries from byte `offset` (0, or 14 behind an
 * Ethernet header), decoded once per packet rather than at every hop that
 * reads it (the bridge's netfilter, the receiving stack): the same answer as
 * `decodeIpv4` on the present bytes.
 */
export function ipv4Of(skb: Skb, offset = 0): Decoded<DecodedIpv4> {
  const known = decodedIpv4(skb, offset);
  if (known !== undefined) return { ok: true, value: known };
  const r = decodeIpv4(skb.data, offset);
  if (r.ok) knownIpv4(skb, r.value, offset);
  return r;
}

/**
 * `ipv4Of(skb, offset)` as a header, or the decoder's error: the same
 * header, without the result object around it (read for every packet
 * received: a socket's datagram comes with its header known).
 */
export function ipv4HeaderOf(skb: Skb, offset = 0): DecodedIpv4 | string {
  const known = decodedIpv4(skb, offset);
  if (known !== undefined) return known;
  const r = ipv4Of(skb, offset);
  return r.ok ? r.value : r.error;
}

/** `ip` is what `decodeIpv4` reads from the packet's bytes at `offset`: later hops take it without decoding. */
export function knownIpv4(skb: Skb, ip: DecodedIpv4, offset = 0): void {
  skb.ip = ip;
  skb.ipAt = skb.off + offset;
}

/** `skb.ip` if it still describes the bytes at `offset` of the packet (its header starts there, all of it inside). */
function decodedIpv4(skb: Skb, offset: number): DecodedIpv4 | undefined {
  const c = skb.ip;
  return c !== undefined && skb.ipAt === skb.off + offset && offset + c.totalLength <= skb.len ? c : undefined;
}

/**
 * ip_forward's TTL decrement (ip_decrease_ttl): the bytes made writable
 * (`cow`), the TTL lowered and the header checksum updated in place (RFC
 * 1624). Returns the new TTL. A header decoded before stays known, its TTL
 * updated in place (no object per hop), so the next hop reads it without
 * decoding.
 */
export function decrementTtlOf(skb: Skb): number {
  const known = decodedIpv4(skb, 0);
  if (!(skb.owned && skb.roomStart >= 0)) copyToRoom(skb, 0);
  const ttl = decrementTtl(skb.buf, skb.off);
  if (known === undefined) skb.ip = undefined;
  else {
    // The header as decoding the new bytes gives it: only its TTL changed. Its views may be of
    // the bytes this packet was copied from: the same content (the TTL is not in them), and
    // never written (a packet copies bytes it does not own before writing; it owns them no more).
    known.ttl = ttl;
    knownIpv4(skb, known);
  }
  return ttl;
}

/**
 * skb_push: room for `n` bytes of headers in front of the packet's bytes —
 * its room's headroom when it has that much, else a copy it then owns. Two
 * numbers move; no view is made. The caller writes the headers at
 * `skb.buf[skb.off ...]` (the bytes behind them are untouched).
 */
export function pushHeaders(skb: Skb, n: number): void {
  if (skb.roomStart >= 0 && skb.off - n >= skb.roomStart) skb.place(skb.off - n, skb.len + n);
  else copyToRoom(skb, n);
}

/**
 * skb_pull of outer headers (a tunnel's decapsulation): the packet is from
 * now on the `len` bytes at `off` of its memory, which lie within its present
 * bytes. When those bytes were the packet's alone, what was in front becomes
 * headroom it may write, as after `pullEthernet`; otherwise someone reads
 * them (a socket's packet: its create event), and it has no room.
 */
export function pullTo(skb: Skb, off: number, len: number): void {
  skb.place(off, len);
  if (!skb.owned) share(skb);
}

/**
 * skb_push + eth_header: put a 14-byte Ethernet header in front of the
 * packet's bytes — into its room's headroom when it has one, else into a copy
 * it then owns. Two numbers move; no view is made. `macs`: the sending
 * device's, which keeps the MACs it framed with last as numbers.
 */
export function pushEthernet(skb: Skb, dst: string, src: string, etherType: number, macs: MacHeader = anyDevice): void {
  pushHeaders(skb, 14);
  const b = skb.buf;
  const o = skb.off;
  macs.write(b, o, dst, src);
  b[o + 12] = etherType >>> 8;
  b[o + 13] = etherType & 255;
}

/** The MACs framed last by a caller that names no device. */
const anyDevice = new MacHeader();

/**
 * skb_pull of the Ethernet header (eth_type_trans): the packet's bytes from
 * byte 14 of its frame on (the caller checked it has them).
 */
export function pullEthernet(skb: Skb): void {
  skb.place(skb.off + 14, skb.len - 14);
}

/**
 * skb_scrub_packet: what a packet forgets when it leaves a namespace or is
 * encapsulated — its conntrack reference, bridge-netfilter state and IPVS
 * mark (ipvs_reset), and (across namespaces) its mark.
 */
export function scrub(skb: Skb, crossNamespace: boolean): void {
  skb.nfct = undefined;
  skb.ipvsProperty = false;
  skb.brPrerouted = undefined;
  skb.physIn = undefined;
  skb.bridgedDnat = undefined;
  if (crossNamespace) skb.mark = undefined;
  skb.fragMaxSize = undefined;
}

/**
 * A packet in flight becomes a later datagram of its train (kernel/fastpath/train-lag.ts): the same place in
 * its walk, a new id and flow. Its bytes are the caller's to patch (it owns them); the decoded header is forgotten.
 */
export function relabelSkb(skb: Skb, id: number, flow: string | undefined): void {
  const named = skb as unknown as { id: number; flow: string | undefined };
  named.id = id;
  named.flow = flow;
  skb.ip = undefined;
  skb.ipAt = -1;
}

import { internetChecksum, pseudoHeaderSum } from './checksum.js';
import { IPPROTO_UDP, put16, put32, type DecodedIpv4 } from './ipv4.js';

/** Bytes of the IPv4 (no options) and UDP headers. */
const HEADERS = 28;

/**
 * The IPv4 and UDP headers of one connected UDP socket's datagrams, built
 * once. Everything in them but the IP id is the same for every datagram of
 * the socket while its source, TTL, DF and size stay: addresses, ports,
 * lengths and — the payload being zero bytes — even the UDP checksum. A
 * datagram copies them and writes its id, updating the header checksum
 * incrementally (RFC 1624) instead of encoding and checksumming afresh.
 */
export class UdpTemplate {
  private readonly header = new Uint8Array(HEADERS);
  /** `header` as seven 32-bit words (in the machine's byte order, as a words view of a packet's memory writes them). */
  private readonly headerWords = new Int32Array(this.header.buffer);
  /**
   * What follows the IPv4 header in every datagram: the UDP header and the zero payload,
   * the same bytes each time. A datagram's decoded header shows them as its payload (the
   * same content as its own bytes there) rather than a view made per datagram.
   */
  private readonly udp: Uint8Array;
  /** One's-complement sum of the IPv4 header with id 0, not yet complemented. */
  private readonly headerSum: number;

  constructor(
    readonly src: number,
    readonly dst: number,
    sport: number,
    dport: number,
    readonly ttl: number,
    readonly df: boolean,
    /** UDP payload bytes, all zero. */
    readonly payloadBytes: number,
  ) {
    const h = this.header;
    h[0] = 0x45;
    put16(h, 2, HEADERS + payloadBytes);
    put16(h, 6, df ? 0x4000 : 0);
    h[8] = ttl;
    h[9] = IPPROTO_UDP;
    put32(h, 12, src);
    put32(h, 16, dst);
    this.headerSum = ~internetChecksum(h, 0, 20) & 0xffff;
    put16(h, 20, sport);
    put16(h, 22, dport);
    put16(h, 24, 8 + payloadBytes);
    const c = internetChecksum(h, 20, HEADERS, pseudoHeaderSum(src, dst, IPPROTO_UDP, 8 + payloadBytes));
    put16(h, 26, c === 0 ? 0xffff : c); // as encodeUdp: a computed 0 is sent as all ones
    this.udp = new Uint8Array(8 + payloadBytes);
    this.udp.set(h.subarray(20));
  }

  /** Whether a datagram with these values is this template's. */
  fits(src: number, ttl: number, df: boolean, payloadBytes: number): boolean {
    return src === this.src && ttl === this.ttl && df === this.df && payloadBytes === this.payloadBytes;
  }

  /** Bytes of each datagram. */
  get length(): number {
    return HEADERS + this.payloadBytes;
  }

  /** Write the datagram with IP id `id` into `b` (`length` zero bytes); returns `b`. */
  write(id: number, b: Uint8Array): Uint8Array {
    this.writeAt(id, b, 0);
    return b;
  }

  /**
   * `write` into the `length` zero bytes at `at` of `b` (no view needed); returns the id
   * as the header carries it (16 bits).
   */
  writeAt(id: number, b: Uint8Array, at: number): number {
    // Seven 32-bit words where `b` allows it (a packet's memory: 8-byte aligned), else byte
    // by byte — cheaper than `set`'s call for 28 bytes; the payload is already zero.
    if (b !== this.lastMemory) this.wordsOf(b);
    const words = this.lastWords;
    if (words !== undefined && (at & 3) === 0) {
      const w = this.headerWords;
      const i = at >>> 2;
      words[i] = w[0]!;
      words[i + 1] = w[1]!;
      words[i + 2] = w[2]!;
      words[i + 3] = w[3]!;
      words[i + 4] = w[4]!;
      words[i + 5] = w[5]!;
      words[i + 6] = w[6]!;
    } else {
      const h = this.header;
      for (let i = 0; i < HEADERS; i++) b[at + i] = h[i]!;
    }
    id &= 0xffff;
    put16(b, at + 4, id);
    let sum = this.headerSum + id;
    sum = (sum & 0xffff) + (sum >>> 16);
    put16(b, at + 10, ~sum & 0xffff);
    return id;
  }

  /** `b` (written into last) as 32-bit words, when it starts its buffer (byteOffset 0): one view per memory, not per datagram. */
  private wordsOf(b: Uint8Array): void {
    this.lastMemory = b;
    this.lastWords = b.byteOffset === 0 ? new Int32Array(b.buffer, 0, b.length >>> 2) : undefined;
  }

  private lastMemory: Uint8Array | undefined;
  private lastWords: Int32Array | undefined;

  /**
   * The header of a datagram with IP id `id` (its bytes as `write` makes them) as
   * `decodeIpv4` reads them back: an equal object, made without reading them. Its
   * payload is the template's copy of those bytes, which no one writes (a packet's
   * bytes are copied before a write, and the header decoded again).
   */
  decoded(id: number): DecodedIpv4 {
    return {
      tos: 0,
      id,
      df: this.df,
      mf: false,
      fragmentOffset: 0,
      ttl: this.ttl,
      protocol: IPPROTO_UDP,
      src: this.src,
      dst: this.dst,
      payload: this.udp,
      headerLength: 20,
      totalLength: HEADERS + this.payloadBytes,
    };
  }

  /**
   * `decoded(id)` for a datagram held by `holder`, in one of the header objects the
   * template lends in turn (a train of datagrams would otherwise make one per datagram).
   * A header is its holder's while the holder names it (`holder.ip`); the next in turn
   * still named is left to its holder, and one more header is made — up to
   * HEADERS_LENT_MAX (a train's datagrams in flight at once: the wire's latency over
   * the interval between them); beyond that, the holder is made to forget it (a later
   * reader of that packet decodes its bytes afresh). A header is read only while its
   * packet is handled — no one keeps it apart from the packet — and the one write to it
   * (a forwarded packet's TTL) is its holder's.
   */
  decodedFor(id: number, holder: HeaderHolder): DecodedIpv4 {
    const headers = this.headers;
    const holders = this.holders;
    let i = this.nextHeader;
    if (i === headers.length) i = 0;
    let h = headers[i];
    if (h === undefined || (holders[i]!.ip === h && headers.length < HEADERS_LENT_MAX)) {
      h = this.decoded(id);
      headers.splice(i, 0, h);
      holders.splice(i, 0, holder);
    } else {
      const old = holders[i]!;
      if (old.ip === h) old.ip = undefined;
      h.id = id;
      h.ttl = this.ttl;
      holders[i] = holder;
    }
    this.nextHeader = i + 1;
    return h;
  }

  /** Headers lent (`decodedFor`), oldest lent first from `nextHeader` on, and who holds each. */
  private readonly headers: DecodedIpv4[] = [];
  private readonly holders: HeaderHolder[] = [];
  private nextHeader = 0;
}

/** The most header objects a template lends at once (`decodedFor`): 1.3 ms of a train 5 us apart in flight. */
export const HEADERS_LENT_MAX = 256;

/** What holds a datagram's decoded header (a packet's skb: `ip`), made to forget it when the header is reused. */
export interface HeaderHolder {
  ip: DecodedIpv4 | undefined;
}

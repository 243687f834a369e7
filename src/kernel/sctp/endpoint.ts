import { formatIpv4 } from '../../wire/addr.js';
import type { Ipv4Packet } from '../../wire/ipv4.js';
import {
  dataValue,
  decodeSctp,
  encodeSctp,
  initValue,
  IPPROTO_SCTP,
  readInit,
  sackValue,
  SCTP_ABORT,
  SCTP_COOKIE_ACK,
  SCTP_COOKIE_ECHO,
  SCTP_DATA,
  SCTP_DATA_UNFRAGMENTED,
  SCTP_FLAG_T,
  SCTP_INIT,
  SCTP_INIT_ACK,
  SCTP_PARAM_STATE_COOKIE,
  SCTP_PARAM_SUPPORTED_ADDRESS_TYPES,
  SCTP_SACK,
  SCTP_SHUTDOWN_COMPLETE,
  u32At,
  type SctpChunk,
} from '../../wire/sctp.js';
import type { NetDevice } from '../devices/device.js';
import type { NetNs } from '../netns.js';
import type { Skb } from '../skb.js';

/**
 * Linux's SCTP defaults (net.sctp.* sysctls, include/net/sctp/constants.h):
 * RTO.Initial 3 s doubling to RTO.Max 60 s, Max.Init.Retransmits 8, the
 * delayed SACK timer 200 ms, a_rwnd 106496 with the default socket buffer,
 * 10 outbound and 65535 inbound streams.
 */
export const SCTP_DEFAULTS = { rtoInitialNs: 3e9, rtoMaxNs: 60e9, maxInitRetransmits: 8, sackTimeoutNs: 200e6, arwnd: 106496, outStreams: 10, inStreams: 65535 };

/** Emits an IPv4 packet from this namespace; `by` names who made it, `cause` the packet it answers. */
export type SctpEmit = (ip: Ipv4Packet, by: 'app' | 'sctp', flow: string | undefined, cause: number | undefined, userData: boolean) => number | undefined;

/** What a client association was asked to carry. */
export interface SctpConnect {
  dst: number;
  port: number;
  sport: number;
  /** User data bytes sent in one DATA chunk once the association is up (0: none). */
  payload: number;
  flow: string;
  ttl?: number;
}

type AssocState = 'COOKIE_WAIT' | 'COOKIE_ECHOED' | 'ESTABLISHED' | 'CLOSED';

interface Assoc {
  local: number;
  lport: number;
  remote: number;
  rport: number;
  state: AssocState;
  /** Our Initiate Tag: the tag the peer writes on its packets. */
  myTag: number;
  /** The peer's Initiate Tag: what we write on ours. */
  peerTag: number;
  nextTsn: number;
  /** Highest in-order TSN received (the SACK's cumulative TSN ack). */
  cumTsn: number;
  flow: string | undefined;
  pendingPayload: number;
  ttl: number;
  ipId: number;
  /** T1-init: retransmissions so far and a generation that cancels a pending timer. */
  initRetries: number;
  timerGen: number;
  initPkt?: number;
  init?: Uint8Array;
  sackPending: boolean;
}

/**
 * The SCTP endpoints of one namespace (net/sctp): listening ports and
 * associations, enough for the four-way handshake (INIT, INIT ACK with a
 * State Cookie, COOKIE ECHO, COOKIE ACK), one DATA chunk and its delayed
 * SACK, the INIT retransmission timer, and an ABORT for an INIT to a port
 * nobody listens on (sctp_sf_tabort_8_4_8: the tag is the INIT's Initiate
 * Tag, T bit clear). The server keeps no state between INIT ACK and COOKIE
 * ECHO except what its cookie carries (here: a table keyed by the cookie).
 *
 * Not modelled: multi-homing and HEARTBEAT, data retransmission (T3-rtx),
 * the COOKIE ECHO timer, SHUTDOWN, streams beyond stream 0, ICMP errors
 * ending an association.
 */
export class SctpEndpoints {
  private readonly listening = new Set<number>();
  private readonly assocs = new Map<string, Assoc>();
  /** The server's issued cookies (the stateless cookie's contents, keyed by its bytes). */
  private readonly cookies = new Map<string, { myTag: number; peerTag: number; myTsn: number; peerTsn: number }>();

  constructor(
    private readonly ns: NetNs,
    private readonly emit: SctpEmit,
  ) {}

  listen(port: number): void {
    this.listening.add(port);
  }

  listens(port: number): boolean {
    return this.listening.has(port);
  }

  ports(): number[] {
    return [...this.listening];
  }

  /** The applications exit: listeners and associations go. */
  close(): void {
    this.listening.clear();
    for (const a of this.assocs.values()) {
      a.timerGen++;
      this.ns.world.holds.free(a);
    }
    this.assocs.clear();
  }

  /** connect() on a one-to-one socket: the INIT (vtag 0) and its T1-init timer. Returns the INIT's packet id. */
  connect(req: SctpConnect): number | undefined {
    const rng = this.ns.rng;
    const a: Assoc = {
      local: this.ns.stack.sourceFor(req.dst) ?? 0,
      lport: req.sport,
      remote: req.dst,
      rport: req.port,
      state: 'COOKIE_WAIT',
      myTag: rng.int(1, 0xffffffff),
      peerTag: 0,
      nextTsn: rng.nextU32(),
      cumTsn: 0,
      flow: req.flow,
      pendingPayload: req.payload,
      ttl: req.ttl ?? 64,
      ipId: rng.int(0, 0xffff),
      initRetries: 0,
      timerGen: 0,
      sackPending: false,
    };
    this.assocs.set(key(a.local, a.lport, a.remote, a.rport), a);
    this.ns.world.holds.hold(a, a.flow);
    // Linux lists the address types it supports (IPv4 = 5 for an IPv4 socket).
    a.init = initValue({ initiateTag: a.myTag, arwnd: SCTP_DEFAULTS.arwnd, outStreams: SCTP_DEFAULTS.outStreams, inStreams: SCTP_DEFAULTS.inStreams, initialTsn: a.nextTsn, params: [{ type: SCTP_PARAM_SUPPORTED_ADDRESS_TYPES, value: Uint8Array.of(0, 5) }] });
    a.initPkt = this.send(a, 0, [{ type: SCTP_INIT, flags: 0, value: a.init }], 'app', undefined);
    this.armInitTimer(a);
    return a.initPkt;
  }

  /** A packet for one of our addresses (sctp_rcv). */
  rcv(dev: NetDevice, skb: Skb, ip: Ipv4Packet): void {
    const w = this.ns.world;
    const r = decodeSctp(ip.payload);
    if (!r.ok) return w.drop(skb, dev.where, 'malformed', r.error);
    const p = r.value;
    const at = { socket: `${formatIpv4(ip.dst)}:${p.dstPort}`, src: formatIpv4(ip.src), sport: p.srcPort };
    const first = p.chunks[0];
    const a = this.assocs.get(key(ip.dst, p.dstPort, ip.src, p.srcPort));
    if (a && first?.type !== SCTP_INIT) {
      w.deliver(skb, dev.where, 'sctp', at.socket, at.src, at.sport);
      for (const c of p.chunks) this.onChunk(a, c, skb);
      return;
    }
    if (first?.type === SCTP_INIT && this.listening.has(p.dstPort)) {
      w.deliver(skb, dev.where, 'sctp', at.socket, at.src, at.sport);
      return this.answerInit(ip, p.srcPort, p.dstPort, first, skb);
    }
    if (first?.type === SCTP_COOKIE_ECHO && this.listening.has(p.dstPort)) {
      const c = this.cookies.get(hex(first.value));
      if (c) {
        w.deliver(skb, dev.where, 'sctp', at.socket, at.src, at.sport);
        const s: Assoc = { local: ip.dst, lport: p.dstPort, remote: ip.src, rport: p.srcPort, state: 'ESTABLISHED', myTag: c.myTag, peerTag: c.peerTag, nextTsn: c.myTsn, cumTsn: (c.peerTsn - 1) >>> 0, flow: skb.flow, pendingPayload: 0, ttl: 64, ipId: this.ns.rng.int(0, 0xffff), initRetries: 0, timerGen: 0, sackPending: false };
        this.cookies.delete(hex(first.value));
        this.assocs.set(key(s.local, s.lport, s.remote, s.rport), s);
        this.ns.world.holds.hold(s, s.flow);
        this.send(s, s.peerTag, [{ type: SCTP_COOKIE_ACK, flags: 0, value: new Uint8Array(0) }], 'sctp', skb.id);
        for (const chunk of p.chunks.slice(1)) this.onChunk(s, chunk, skb); // DATA bundled with the COOKIE ECHO
        return;
      }
    }
    // Out of the blue (section 8.4): no association and no listener for an INIT.
    const what = first?.type === SCTP_INIT ? `nothing listens on SCTP ${formatIpv4(ip.dst)}:${p.dstPort}` : `SCTP packet for no association on ${formatIpv4(ip.dst)}:${p.dstPort}`;
    w.drop(skb, dev.where, 'sctp-abort', what);
    if (!first || first.type === SCTP_ABORT || first.type === SCTP_SHUTDOWN_COMPLETE || first.type === SCTP_COOKIE_ACK) return; // never answered
    // ABORT: for an INIT with the INIT's Initiate Tag and T clear; otherwise the packet's own tag reflected (T set).
    const init = first.type === SCTP_INIT ? readInit(first.value) : undefined;
    const vtag = init ? init.initiateTag : p.vtag;
    const abort = encodeSctp({ srcPort: p.dstPort, dstPort: p.srcPort, vtag, chunks: [{ type: SCTP_ABORT, flags: init ? 0 : SCTP_FLAG_T, value: new Uint8Array(0) }] });
    this.emit(packet(ip.dst, ip.src, abort, 0, 64), 'sctp', skb.flow, skb.id, false);
  }

  /** sctp_sf_do_5_1B_init: answer with an INIT ACK carrying our tag, TSN and a State Cookie; no association yet. */
  private answerInit(ip: Ipv4Packet, sport: number, dport: number, chunk: SctpChunk, skb: Skb): void {
    const init = readInit(chunk.value);
    if (!init) return;
    const rng = this.ns.rng;
    const cookie = new Uint8Array(32);
    for (let i = 0; i < cookie.length; i += 4) new DataView(cookie.buffer).setUint32(i, rng.nextU32());
    const myTag = rng.int(1, 0xffffffff);
    const myTsn = rng.nextU32();
    this.cookies.set(hex(cookie), { myTag, peerTag: init.initiateTag, myTsn, peerTsn: init.initialTsn });
    const value = initValue({
      initiateTag: myTag,
      arwnd: SCTP_DEFAULTS.arwnd,
      outStreams: Math.min(SCTP_DEFAULTS.outStreams, init.inStreams),
      inStreams: SCTP_DEFAULTS.inStreams,
      initialTsn: myTsn,
      params: [{ type: SCTP_PARAM_STATE_COOKIE, value: cookie }],
    });
    const b = encodeSctp({ srcPort: dport, dstPort: sport, vtag: init.initiateTag, chunks: [{ type: SCTP_INIT_ACK, flags: 0, value }] });
    this.emit(packet(ip.dst, ip.src, b, rng.int(0, 0xffff), 64), 'sctp', skb.flow, skb.id, false);
  }

  private onChunk(a: Assoc, c: SctpChunk, skb: Skb): void {
    if (c.type === SCTP_INIT_ACK && a.state === 'COOKIE_WAIT') {
      const init = readInit(c.value);
      const cookie = init?.params.find((x) => x.type === SCTP_PARAM_STATE_COOKIE);
      if (!init || !cookie) return;
      a.timerGen++; // T1-init stops
      a.peerTag = init.initiateTag;
      a.cumTsn = (init.initialTsn - 1) >>> 0;
      a.state = 'COOKIE_ECHOED';
      this.send(a, a.peerTag, [{ type: SCTP_COOKIE_ECHO, flags: 0, value: cookie.value }], 'sctp', skb.id);
    } else if (c.type === SCTP_COOKIE_ACK && a.state === 'COOKIE_ECHOED') {
      a.state = 'ESTABLISHED';
      if (a.pendingPayload > 0) {
        const data = dataValue(a.nextTsn, 0, 0, 0, new Uint8Array(a.pendingPayload));
        a.nextTsn = (a.nextTsn + 1) >>> 0;
        a.pendingPayload = 0;
        // The application's message, queued until the association came up (written by the kernel, as TCP's pending data).
        this.send(a, a.peerTag, [{ type: SCTP_DATA, flags: SCTP_DATA_UNFRAGMENTED, value: data }], 'sctp', skb.id, true);
      }
    } else if (c.type === SCTP_DATA && a.state === 'ESTABLISHED' && c.value.length >= 12) {
      a.cumTsn = u32At(c.value, 0);
      if (a.sackPending) return;
      // The delayed SACK (net.sctp.sack_timeout): a lone DATA chunk is acknowledged after 200 ms.
      a.sackPending = true;
      const gen = a.timerGen;
      const cause = skb.id;
      this.ns.world.sched.after(SCTP_DEFAULTS.sackTimeoutNs, () => {
        if (gen !== a.timerGen) return;
        a.sackPending = false;
        this.send(a, a.peerTag, [{ type: SCTP_SACK, flags: 0, value: sackValue(a.cumTsn, SCTP_DEFAULTS.arwnd) }], 'sctp', cause);
      });
    } else if (c.type === SCTP_ABORT) {
      a.state = 'CLOSED';
      a.timerGen++;
      this.assocs.delete(key(a.local, a.lport, a.remote, a.rport));
      this.ns.world.holds.free(a);
    }
  }

  /** T1-init (section 5.1, 6.3.3): resend the INIT with the RTO doubled, up to Max.Init.Retransmits, then give up. */
  private armInitTimer(a: Assoc): void {
    const gen = ++a.timerGen;
    const rto = Math.min(SCTP_DEFAULTS.rtoMaxNs, SCTP_DEFAULTS.rtoInitialNs * 2 ** a.initRetries);
    this.ns.world.sched.after(rto, () => {
      if (gen !== a.timerGen || a.state !== 'COOKIE_WAIT') return;
      if (a.initRetries >= SCTP_DEFAULTS.maxInitRetransmits) {
        a.state = 'CLOSED';
        this.assocs.delete(key(a.local, a.lport, a.remote, a.rport));
        this.ns.world.holds.free(a);
        return;
      }
      a.initRetries++;
      this.send(a, 0, [{ type: SCTP_INIT, flags: 0, value: a.init! }], 'sctp', a.initPkt);
      this.armInitTimer(a);
    });
  }

  private send(a: Assoc, vtag: number, chunks: SctpChunk[], by: 'app' | 'sctp', cause: number | undefined, userData = by === 'app'): number | undefined {
    const b = encodeSctp({ srcPort: a.lport, dstPort: a.rport, vtag, chunks });
    const id = a.ipId;
    a.ipId = (a.ipId + 1) & 0xffff;
    return this.emit(packet(a.local, a.remote, b, id, a.ttl), by, a.flow, cause, userData);
  }
}

/** SCTP over IPv4 with DF set (Linux's SCTP does path MTU discovery). */
function packet(src: number, dst: number, payload: Uint8Array, id: number, ttl: number): Ipv4Packet {
  return { tos: 0, id, df: true, mf: false, fragmentOffset: 0, ttl, protocol: IPPROTO_SCTP, src, dst, payload };
}

function key(local: number, lport: number, remote: number, rport: number): string {
  return `${local}:${lport}-${remote}:${rport}`;
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

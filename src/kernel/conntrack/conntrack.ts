import { formatIpv4 } from '../../wire/addr.js';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../../wire/ipv4.js';
import type { PacketTuple } from '../../wire/l4-rewrite.js';
import { IPPROTO_SCTP } from '../../wire/sctp.js';
import { CtTable } from './conntrack-table.js';
import type { Cpu } from '../cost-model.js';
import type { KernelLimits } from '../limits.js';
import { TCP_ACK, TCP_RST, TCP_SYN } from '../../wire/tcp.js';
import { nextTcpState, tcpFlagsInvalid, tcpNewInvalid, TcpWindow, TCP_TIMEOUT_UNACK, type TcpCtState } from './conntrack-tcp.js';
import { nextSctpState, SCTP_CT_TIMEOUTS, sctpNewInvalid, type SctpCtState } from '../sctp/conntrack-sctp.js';

/** One direction of a connection: what conntrack hashes on. */
export interface CtTuple {
  src: number;
  dst: number;
  protocol: number;
  /** Ports, or the echo id for ICMP (0 when the protocol has none). */
  sport: number;
  dport: number;
}

export type { TcpCtState };

/**
 * Timeouts in seconds: the kernel's defaults (nf_conntrack_*_timeout_*) with
 * the two kube-proxy changes (tcp established 24 h, close_wait 1 h).
 */
export const CT_TIMEOUTS = {
  tcp: { SYN_SENT: 120, SYN_RECV: 60, ESTABLISHED: 86400, FIN_WAIT: 120, CLOSE_WAIT: 3600, LAST_ACK: 30, TIME_WAIT: 120, CLOSE: 10 } as Record<TcpCtState, number>,
  udp: 30,
  udpStream: 120,
  icmp: 30,
  generic: 600,
};

const ICMP_ECHO = 8;
/** ICMP types nf_ct_invert_tuple knows the answer of: echo, timestamp, info and address mask, requests and replies. */
const ICMP_INVERTIBLE: ReadonlySet<number> = new Set([0, 8, 13, 14, 15, 16, 17, 18]);
/** The requests among them: only these may start a connection (valid_new). */
const ICMP_NEW: ReadonlySet<number> = new Set([8, 13, 15, 17]);

/** kube-proxy's nf_conntrack_max: max(32768 × cores, 131072). */
export const CT_MAX_DEFAULT = 131072;

/** A connection: its original and reply tuples (the reply one is where NAT shows). */
/** skb->_nfct: a packet's connection and its direction there (0 original, 1 reply); `related`: an ICMP error about it. */
export interface CtRef {
  table: Conntrack;
  entry: CtEntry;
  dir: 0 | 1;
  related?: boolean;
}

export class CtEntry {
  confirmed = false;
  seenReply = false;
  assured = false;
  /** Whether the nat table has been consulted for this manip type (nf_nat_initialized). */
  readonly natDone = { src: false, dst: false };
  tcpState: TcpCtState | undefined;
  sctpState: SctpCtState | undefined;
  expiresNs = 0;
  /** IPVS owns this connection's destination NAT (net.ipv4.vs.conntrack = 1 altered the reply tuple); nf_nat leaves it alone. */
  ipvs = false;
  /**
   * IPS_NAT_CLASH: lost a confirm race to an entry with the same original tuple and different NAT;
   * it is in the table for its reply direction only, for 1 s, and leaves on its first reply.
   */
  clash = false;
  /** When the confirm ran (event time plus the packet's work by then, ns) and on which CPU: see natTaken. */
  confirmedAtNs = 0;
  confirmedOn: Cpu | undefined;
  /** UDP: a reply seen after this (ns) makes a stream (proto.udp.stream_ts: 2 s after the unconfirmed first packet). */
  udpStreamNs = 0;
  /** TCP: tcp_in_window's bookkeeping (each side's sequence end, unacknowledged data, retransmissions), from the first segment read. */
  tcp: TcpWindow | undefined;
  /** skb->_nfct of its packets in each direction (Conntrack.ref): made once, shared, never changed in place. */
  refs: [CtRef | undefined, CtRef | undefined] = [undefined, undefined];

  constructor(
    readonly id: number,
    readonly orig: CtTuple,
    public reply: CtTuple,
  ) {}

  /** The reply is not simply the original reversed at the destination: DNAT happened (an echo id moves only with SNAT). */
  get dnat(): boolean {
    return this.reply.src !== this.orig.dst || (this.reply.sport !== this.orig.dport && this.orig.protocol !== IPPROTO_ICMP);
  }

  get snat(): boolean {
    return this.reply.dst !== this.orig.src || this.reply.dport !== this.orig.sport;
  }

  /** TCP: the highest sequence number the originator has sent up to (seen[0].td_end; SYN and FIN count one). */
  get origSeqEnd(): number | undefined {
    return this.tcp?.end0;
  }

  tuple(dir: 0 | 1): CtTuple {
    return dir === 0 ? this.orig : this.reply;
  }

  private textReply: CtTuple | undefined;
  private textCached = '';

  /**
   * Both tuples as `conntrack -L` prints them (the trace's `conntrack` events). Made again only when
   * the reply tuple changes (NAT replaces it, never edits it in place): a traced flow's packets share it.
   */
  get text(): string {
    if (this.textReply !== this.reply) {
      this.textReply = this.reply;
      this.textCached = `${formatTuple(this.orig)} ${formatTuple(this.reply, 0)}`;
    }
    return this.textCached;
  }
}

export type CtLookup = { kind: 'found'; entry: CtEntry; dir: 0 | 1 } | { kind: 'new'; entry: CtEntry } | { kind: 'invalid'; why: string } | { kind: 'full' };

/**
 * The connection tracking table of one namespace: finds a packet's connection
 * (either direction), creates unconfirmed entries for new ones, confirms them
 * when the packet leaves the last hook, advances TCP state, expires entries,
 * and stays bounded (nf_conntrack_max, with early drop of unassured entries).
 */
export class Conntrack {
  /** net.netfilter.nf_conntrack_max. */
  max = CT_MAX_DEFAULT;
  /** net.netfilter.nf_conntrack_tcp_timeout_*, seconds (a node's sysctls may change them). */
  readonly tcpTimeouts: Record<TcpCtState, number> = { ...CT_TIMEOUTS.tcp };
  /**
   * Linux >= 5.8 keeps a UDP/ICMP packet that lost the confirm race (__nf_ct_resolve_clash_harder).
   * false = older kernels, where it is dropped as insert_failed: the 5 s DNS timeouts of parallel
   * A/AAAA queries (kubernetes#56903).
   */
  resolveClashHarder = true;
  private readonly byTuple = new CtTable();

  /** What a packet of `entry` in direction `dir` carries as skb->_nfct: one object per connection and direction, not one per packet. */
  ref(entry: CtEntry, dir: 0 | 1): CtRef {
    return (entry.refs[dir] ??= { table: this, entry, dir });
  }

  private readonly entries = new Set<CtEntry>();
  private lastId = 0;

  get size(): number {
    return this.entries.size;
  }

  /**
   * nf_conntrack_in's lookup: the packet's connection, or a new unconfirmed
   * one. `flags`: TCP's flags, SCTP's chunk-type mask, ICMP's type (what each
   * protocol's tracker reads to decide whether the packet may start one).
   * A packet its tracker calls invalid gets no connection: INVALID.
   */
  lookup(t: PacketTuple, flags: number | undefined, nowNs: number): CtLookup {
    const tuple = toTuple(t);
    const tcp = t.protocol === IPPROTO_TCP && flags !== undefined;
    // tcp_error: some flag combinations are invalid whatever the connection (it is left alone).
    const badFlags = tcp ? tcpFlagsInvalid(flags) : undefined;
    const hit = this.byTuple.get(tuple);
    if (hit && hit.entry.expiresNs > nowNs && badFlags) return { kind: 'invalid', why: badFlags };
    if (hit) {
      // tcp_packet: a new SYN for a connection in TIME_WAIT or CLOSE ends the old one and starts anew (a reused port).
      const reopened = hit.dir === 0 && tcp && (flags & (TCP_SYN | TCP_ACK)) === TCP_SYN && (hit.entry.tcpState === 'TIME_WAIT' || hit.entry.tcpState === 'CLOSE');
      if (hit.entry.expiresNs > nowNs && !reopened) return { kind: 'found', entry: hit.entry, dir: hit.dir };
      this.remove(hit.entry);
    }
    // An ICMP type with no reply type (nf_ct_invert_tuple fails) is refused before an entry is allocated.
    const icmpType = t.protocol === IPPROTO_ICMP ? (flags ?? ICMP_ECHO) : undefined;
    if (icmpType !== undefined && !ICMP_INVERTIBLE.has(icmpType)) return { kind: 'invalid', why: `ICMP type ${icmpType} has no reply to track` };
    // init_conntrack allocates the entry before the protocol's tracker looks at the packet: a full table
    // early-drops (or drops the packet) even for one the tracker then refuses.
    if (this.entries.size >= this.max && !this.earlyDrop()) return { kind: 'full' };
    const why = tcp
      ? (badFlags ?? tcpNewInvalid(flags))
      : t.protocol === IPPROTO_SCTP && flags !== undefined
        ? sctpNewInvalid(flags, flags === 0 ? 0 : 1) // sctp_new: for SCTP `flags` is the packet's set of chunk types
        : icmpType !== undefined && !ICMP_NEW.has(icmpType)
          ? `ICMP type ${icmpType} cannot start a connection` // nf_conntrack_icmp_packet's valid_new
          : undefined;
    if (why) return { kind: 'invalid', why };
    const entry = new CtEntry(++this.lastId, tuple, invert(tuple));
    return { kind: 'new', entry };
  }

  /**
   * The fast path's lookup without side effects (flowtable.ts): the live
   * connection direction `t` belongs to, where `lookup` would find it and do
   * nothing else. Undefined where `lookup` would do more (no entry, an
   * expired one to remove); a TCP SYN reopening a closed connection is the
   * caller's to rule out.
   */
  peek(t: CtTuple, nowNs: number): { readonly entry: CtEntry; readonly dir: 0 | 1 } | undefined {
    const hit = this.byTuple.get(t);
    return hit !== undefined && hit.entry.expiresNs > nowNs ? hit : undefined;
  }

  /** Tuples removed from the table so far (CtTable.removals): while it stands still, what `peek` found stays put. */
  get removals(): number {
    return this.byTuple.removals;
  }

  /**
   * nf_conntrack_tuple_taken: would this reply tuple collide with an existing connection (NAT must
   * pick another port)? Not when the holder has the same original tuple as `self` (Linux >= 5.6):
   * that is the same flow seen twice at once, and confirm resolves it.
   */
  replyTaken(reply: CtTuple, self?: CtEntry): boolean {
    const hit = this.byTuple.get(reply);
    return hit !== undefined && !(self && sameTuple(hit.entry.orig, self.orig));
  }

  /**
   * replyTaken as NAT on `cpu` sees it at `atNs`: an entry another CPU confirmed at that instant or
   * later is not in the table yet for it (both packets were between their NAT and their confirm at
   * once; the simulation merely ran the other one first). Its confirm will then find the clash.
   */
  natTaken(reply: CtTuple, self: CtEntry, cpu: Cpu | undefined, atNs: number, evict = false): boolean {
    const hit = this.byTuple.get(reply);
    if (hit === undefined || sameTuple(hit.entry.orig, self.orig)) return false;
    const e = hit.entry;
    // An expired entry is gone for the kernel (its timer fired); the table here forgets it lazily.
    if (e.expiresNs <= atNs) return false;
    if (!(e.confirmedOn === cpu || e.confirmedAtNs < atNs)) return false;
    if (evict && hit.dir === 1 && this.mayEvict(e, self)) {
      this.remove(e);
      return false;
    }
    return true;
  }

  /**
   * nf_nat_used_tuple_harder (Linux >= 6.5): a new connection's SYN may take the reply tuple of a
   * source-NATed TCP connection that is closing (TIME_WAIT or CLOSE) if its sequence number is ahead
   * of the old one's (so stray old packets would be out of window).
   */
  private mayEvict(old: CtEntry, self: CtEntry): boolean {
    if (self.orig.protocol !== IPPROTO_TCP || self.tcpState !== 'SYN_SENT') return false;
    if (old.tcpState !== 'TIME_WAIT' && old.tcpState !== 'CLOSE') return false;
    if (!old.snat || old.clash) return false;
    if (old.origSeqEnd === undefined || self.origSeqEnd === undefined) return false;
    return ((self.origSeqEnd - old.origSeqEnd) | 0) > 0;
  }

  /**
   * __nf_conntrack_confirm: the entry enters the table once its first packet made it through.
   * If a packet of the same flow confirmed first (two packets from one socket in flight before
   * either was confirmed), nf_ct_resolve_clash decides: identical NAT -> the packet joins that
   * entry ('merged'); otherwise UDP and ICMP (allow_clash) insert this one for its reply direction
   * only, for 1 s (Linux >= 5.8, __nf_ct_resolve_clash_harder); anything else is dropped.
   */
  confirm(entry: CtEntry, nowNs: number): { kind: 'inserted' } | { kind: 'merged'; entry: CtEntry } | { kind: 'clash' } | { kind: 'failed'; reply?: true } {
    if (entry.confirmed) return { kind: 'inserted' };
    const hit = this.byTuple.get(entry.orig);
    const live = hit && hit.entry.expiresNs > nowNs ? hit.entry : undefined;
    if (hit && !live) this.remove(hit.entry);
    const replyHit = this.byTuple.get(entry.reply);
    if (live) {
      if (sameTuple(live.reply, entry.reply)) return { kind: 'merged', entry: live };
      const allowClash = entry.orig.protocol === IPPROTO_UDP || entry.orig.protocol === IPPROTO_ICMP;
      if (!allowClash || !this.resolveClashHarder || replyHit) return { kind: 'failed' };
      entry.confirmed = true;
      entry.clash = true;
      entry.expiresNs = nowNs + 1e9;
      this.byTuple.set(entry.reply, entry, 1);
      return { kind: 'clash' };
    }
    // Another connection holds the reply tuple: NAT gave both the same source port (chosen at once on two CPUs, or none was free).
    if (replyHit && replyHit.entry.expiresNs > nowNs) return { kind: 'failed', reply: true };
    entry.confirmed = true;
    this.entries.add(entry);
    this.byTuple.set(entry.orig, entry, 0);
    this.byTuple.set(entry.reply, entry, 1);
    if (entry.expiresNs === 0) entry.expiresNs = nowNs + CT_TIMEOUTS.generic * 1e9;
    return { kind: 'inserted' };
  }

  /** IPS_NAT_CLASH entries go away on their first reply (nf_ct_deliver_cached_events' clash cleanup). */
  replied(entry: CtEntry): void {
    if (entry.clash) this.byTuple.delete(entry.reply);
  }

  /**
   * Per-packet protocol tracking: state, reply seen, assured, timeout.
   * `tcpFlags`: TCP's flags, SCTP's chunk-type mask. For TCP, `b[at..end]`
   * is the TCP header and its data, when the caller has them: what
   * tcp_in_window keeps for the timeout.
   */
  update(entry: CtEntry, dir: 0 | 1, protocol: number, tcpFlags: number | undefined, nowNs: number, b?: Uint8Array, at = 0, end = 0): void {
    // IPS_SEEN_REPLY as the protocol's handler sees it: set only after it ran (nf_conntrack_in).
    const repliedBefore = entry.seenReply;
    if (dir === 1) entry.seenReply = true;
    let timeout: number;
    if (protocol === IPPROTO_TCP) {
      const flags = tcpFlags ?? 0;
      const old = entry.tcpState;
      const next = nextTcpState(old, dir, flags);
      entry.tcpState = next;
      if (b !== undefined && end - at >= 20) (entry.tcp ??= new TcpWindow()).segment(dir, b, at, end);
      const rst = (flags & TCP_RST) !== 0;
      timeout = this.tcpTimeouts[next];
      if (entry.tcp) timeout = entry.tcp.cap(timeout, rst);
      if (!repliedBefore) {
        // nf_conntrack_tcp_packet: the only answer is a RST (a refused connection): the entry goes at once.
        if (rst && entry.confirmed) {
          this.remove(entry);
          entry.expiresNs = nowNs;
          return;
        }
        // A resent SYN does not renew the timer (a client or NAT reusing the port cannot keep it forever).
        if ((flags & (TCP_SYN | TCP_ACK | TCP_RST)) === TCP_SYN && old === 'SYN_SENT') return;
        // ESTABLISHED with no reply yet is a mid-stream pickup: no long ESTABLISHED timeout.
        if (next === 'ESTABLISHED' && timeout > TCP_TIMEOUT_UNACK) timeout = TCP_TIMEOUT_UNACK;
      } else if ((old === 'SYN_RECV' || old === 'ESTABLISHED') && next === 'ESTABLISHED') {
        // A valid ACK after SYN_RECV, or an answer to a picked-up connection.
        entry.assured = true;
      }
    } else if (protocol === IPPROTO_UDP) {
      // nf_conntrack_udp_packet: a packet either way once a reply was seen, more than 2 s after the first, makes a
      // stream (ASSURED, 120 s); before that the entry is refreshed to 30 s, as an unreplied one is.
      if (!entry.confirmed) entry.udpStreamNs = nowNs + 2e9;
      const stream = repliedBefore && nowNs > entry.udpStreamNs;
      // A clash entry gets the longer timeout but is never assured (it goes on its first reply anyway).
      if (stream && !entry.clash) entry.assured = true;
      timeout = stream ? CT_TIMEOUTS.udpStream : CT_TIMEOUTS.udp;
    } else if (protocol === IPPROTO_SCTP) {
      const before = entry.sctpState;
      const next = nextSctpState(before, dir, tcpFlags ?? 0);
      // An invalid transition leaves the entry alone (the packet is not counted as part of it).
      if (next !== 'INVALID') entry.sctpState = next;
      if (entry.sctpState === 'ESTABLISHED' && before !== 'ESTABLISHED') entry.assured = true;
      timeout = SCTP_CT_TIMEOUTS[entry.sctpState ?? 'CLOSED'];
    } else if (protocol === IPPROTO_ICMP) {
      timeout = CT_TIMEOUTS.icmp;
    } else {
      timeout = CT_TIMEOUTS.generic;
    }
    entry.expiresNs = nowNs + timeout * 1e9;
  }

  /** The node's sysctls: nf_conntrack_max and the TCP ESTABLISHED / TIME_WAIT timeouts (new timeouts apply from the next packet). */
  applyLimits(l: KernelLimits): void {
    this.max = l['net.netfilter.nf_conntrack_max'];
    this.tcpTimeouts.ESTABLISHED = l['net.netfilter.nf_conntrack_tcp_timeout_established'];
    this.tcpTimeouts.TIME_WAIT = l['net.netfilter.nf_conntrack_tcp_timeout_time_wait'];
  }

  /** Live entries, oldest first (`conntrack -L`). */
  list(nowNs: number): CtEntry[] {
    for (const e of [...this.entries]) if (e.expiresNs <= nowNs) this.remove(e);
    return [...this.entries];
  }

  /** `conntrack -D` / `-F`: remove every confirmed entry the predicate selects; returns how many. */
  delete(pred: (e: CtEntry) => boolean): number {
    let n = 0;
    for (const e of [...this.entries]) {
      if (pred(e)) {
        this.remove(e);
        n++;
      }
    }
    return n;
  }

  /** early_drop: make room by evicting the oldest connection that is not assured. */
  private earlyDrop(): boolean {
    for (const e of this.entries) {
      if (!e.assured) {
        this.remove(e);
        return true;
      }
    }
    return false;
  }

  private remove(e: CtEntry): void {
    this.entries.delete(e);
    if (this.byTuple.get(e.orig)?.entry === e) this.byTuple.delete(e.orig);
    if (this.byTuple.get(e.reply)?.entry === e) this.byTuple.delete(e.reply);
  }
}

function sameTuple(a: CtTuple, b: CtTuple): boolean {
  return a.src === b.src && a.dst === b.dst && a.protocol === b.protocol && a.sport === b.sport && a.dport === b.dport;
}

export function invert(t: CtTuple): CtTuple {
  return { src: t.dst, dst: t.src, protocol: t.protocol, sport: t.dport, dport: t.sport };
}

function toTuple(t: PacketTuple): CtTuple {
  return { src: t.src, dst: t.dst, protocol: t.protocol, sport: t.sport ?? 0, dport: t.dport ?? 0 };
}

const PROTO_NAMES: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 132: 'sctp' };

/** One tuple as conntrack -L prints it. */
export function formatTuple(t: CtTuple, icmpType = 8): string {
  const base = `src=${formatIpv4(t.src)} dst=${formatIpv4(t.dst)}`;
  if (t.protocol === IPPROTO_ICMP) return `${base} type=${icmpType} code=0 id=${t.sport}`;
  if (t.protocol === IPPROTO_TCP || t.protocol === IPPROTO_UDP || t.protocol === IPPROTO_SCTP) return `${base} sport=${t.sport} dport=${t.dport}`;
  return base;
}

/** `conntrack -L` line for an entry. */
export function formatEntry(e: CtEntry, nowNs: number): string {
  const name = PROTO_NAMES[e.orig.protocol] ?? 'unknown';
  const secs = Math.max(0, Math.floor((e.expiresNs - nowNs) / 1e9));
  const state = e.tcpState ? ` ${e.tcpState}` : e.sctpState ? ` ${e.sctpState}` : '';
  // ICMP echo: the original is a request (type 8), the reply an echo reply (type 0).
  const replyText = formatTuple(e.reply, 0);
  return `${name.padEnd(8)} ${e.orig.protocol} ${secs}${state} ${formatTuple(e.orig)}${e.seenReply ? '' : ' [UNREPLIED]'} ${replyText}${e.assured ? ' [ASSURED]' : ''} mark=0 use=1`;
}

import { get32 } from '../../wire/ipv4.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../../wire/tcp.js';

/**
 * TCP connection tracking (nf_conntrack_proto_tcp.c, Linux 6.x), reduced to
 * what decides a packet's state and its connection's timeout: the state
 * machine for a handshake, data, FIN and RST; which first packets may start
 * a connection (tcp_new) and which flag combinations are never valid
 * (tcp_error); and, of tcp_in_window, the bookkeeping its timeouts read
 * (each side's sequence end, data not yet acknowledged, retransmissions).
 * Not modelled: the window checks themselves (out-of-window segments and
 * RSTs are INVALID on Linux), SYN_SENT2 (simultaneous open), the IGNORE
 * cases (a packet the state machine ignores refreshes nothing on Linux),
 * nf_conntrack_tcp_loose = 0, a reply-direction SYN reopening a closed entry.
 */
export type TcpCtState = 'SYN_SENT' | 'SYN_RECV' | 'ESTABLISHED' | 'FIN_WAIT' | 'CLOSE_WAIT' | 'LAST_ACK' | 'TIME_WAIT' | 'CLOSE';

/** nf_conntrack_tcp_timeout_unacknowledged and _max_retrans (s), and nf_conntrack_tcp_max_retrans: the kernel's defaults, which kube-proxy leaves alone. */
export const TCP_TIMEOUT_UNACK = 300;
export const TCP_TIMEOUT_MAX_RETRANS = 300;
export const TCP_MAX_RETRANS = 3;

/**
 * tcp_valid_flags: the flag combinations (PSH, ECE and CWR aside) a segment
 * may carry; anything else is INVALID for tcp_error, connection or not
 * (a bare FIN, no flag at all, SYN with FIN or RST).
 */
const VALID_FLAGS = new Set([TCP_SYN, TCP_SYN | 32, TCP_SYN | TCP_ACK, TCP_RST, TCP_RST | TCP_ACK, TCP_FIN | TCP_ACK, TCP_FIN | TCP_ACK | 32, TCP_ACK, TCP_ACK | 32]);

/** Why tcp_error finds the segment's flags invalid (ECE, CWR and PSH never matter), or undefined. */
export function tcpFlagsInvalid(flags: number): string | undefined {
  return VALID_FLAGS.has(flags & 0x37) ? undefined : 'invalid tcp flag combination';
}

/**
 * tcp_new: why a segment cannot start a connection (tcp_conntracks from
 * NONE: only a SYN opens one; an ACK picks one up mid-stream,
 * nf_conntrack_tcp_loose = 1), or undefined when it can.
 */
export function tcpNewInvalid(flags: number): string | undefined {
  if (flags & TCP_RST) return 'RST for no connection';
  if (flags & TCP_SYN) return flags & TCP_ACK ? 'SYN-ACK for no connection' : undefined;
  if (flags & TCP_FIN) return 'FIN for no connection';
  return flags & TCP_ACK ? undefined : 'no SYN, ACK or RST for no connection';
}

/** get_conntrack_index's ACK set: an ACK without SYN, FIN or RST (the only segments tcp_in_window counts retransmissions of). */
function ackOnly(flags: number): boolean {
  return (flags & (TCP_SYN | TCP_FIN | TCP_RST | TCP_ACK)) === TCP_ACK;
}

/** Whether sequence number a is after b (mod 2^32). */
function after(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

/**
 * What tcp_in_window keeps of a connection (ip_ct_tcp) that its timeouts
 * read: each side's td_end (the end of what it sent: sequence number plus
 * data, SYN and FIN counting one), which sides sent data the other has not
 * acknowledged (IP_CT_TCP_FLAG_DATA_UNACKNOWLEDGED), and the last ACK
 * segment with how often it was seen again (last_* and retrans).
 */
export class TcpWindow {
  /** td_end of the original (0) and reply (1) side; undefined until that side sent. */
  end0: number | undefined = undefined;
  end1: number | undefined = undefined;
  /** Bit 0: the originator has unacknowledged data; bit 1: the replier. */
  unacked = 0;
  lastDir: 0 | 1 = 0;
  lastSeq = 0;
  lastAck = 0;
  lastEnd = 0;
  lastWin = 0;
  retrans = 0;

  /**
   * One segment in direction `dir`, its TCP header and data `b[at..end]`.
   * A side's first segment (its SYN, SYN-ACK, or the one a mid-stream pickup
   * starts from) only sets where it is; after that, a segment reaching past it
   * is data the other side has yet to acknowledge, until an ACK of exactly
   * that end comes back. A SYN resent with a new sequence number
   * re-initialises its side (tcp_init_sender), marking nothing.
   */
  segment(dir: 0 | 1, b: Uint8Array, at: number, end: number): void {
    const seq = get32(b, at + 4);
    const flags = b[at + 13]!;
    const segEnd = (seq + end - at - (b[at + 12]! >> 4) * 4 + (flags & TCP_SYN ? 1 : 0) + (flags & TCP_FIN ? 1 : 0)) >>> 0;
    const sent = dir === 0 ? this.end0 : this.end1;
    if (sent === undefined || after(segEnd, sent)) {
      if (dir === 0) this.end0 = segEnd;
      else this.end1 = segEnd;
      if (sent !== undefined && !(flags & TCP_SYN)) this.unacked |= 1 << dir;
    }
    const receiver = dir === 0 ? this.end1 : this.end0;
    // No ACK flag (or a broken RST+ACK of 0): tcp_in_window takes it as acknowledging everything.
    const rawAck = get32(b, at + 8);
    const ack = !(flags & TCP_ACK) || (flags & TCP_RST && rawAck === 0) ? receiver : rawAck;
    if (receiver !== undefined && ack === receiver) this.unacked &= ~(1 << (1 - dir));
    if (ackOnly(flags)) {
      const win = (b[at + 14]! << 8) | b[at + 15]!;
      if (this.lastDir === dir && this.lastSeq === seq && this.lastAck === ack && this.lastEnd === segEnd && this.lastWin === win) this.retrans++;
      else {
        this.lastSeq = seq;
        this.lastAck = ack ?? 0;
        this.lastEnd = segEnd;
        this.lastWin = win;
        this.retrans = 0;
      }
    }
    // Every in-window segment is the last one seen, in its direction (last_dir; the ACK's fields stay).
    this.lastDir = dir;
  }

  /**
   * The timeout tcp_packet gives the entry instead of its state's (s):
   * 300 s once the same ACK segment was seen 3 more times, or while data is
   * unacknowledged, or while the last ACK advertised a zero window.
   */
  cap(timeout: number, rst: boolean): number {
    if (this.retrans >= TCP_MAX_RETRANS && timeout > TCP_TIMEOUT_MAX_RETRANS) return TCP_TIMEOUT_MAX_RETRANS;
    if (rst) return timeout;
    if (this.unacked !== 0 && timeout > TCP_TIMEOUT_UNACK) return TCP_TIMEOUT_UNACK;
    if (this.lastWin === 0 && timeout > TCP_TIMEOUT_MAX_RETRANS) return TCP_TIMEOUT_MAX_RETRANS;
    return timeout;
  }
}

/** TCP's conntrack state machine (tcp_conntracks), reduced to what a handshake, data, FIN and RST need. */
export function nextTcpState(s: TcpCtState | undefined, dir: 0 | 1, flags: number): TcpCtState {
  if (flags & TCP_RST) return 'CLOSE';
  if (s === undefined) return flags & TCP_SYN ? 'SYN_SENT' : 'ESTABLISHED'; // loose pickup (tcpNewInvalid let only an ACK through)
  if (flags & TCP_SYN) return dir === 1 && flags & TCP_ACK && s === 'SYN_SENT' ? 'SYN_RECV' : s;
  // tcp_conntracks: a FIN (with or without ACK) in either direction; the second FIN waits for its ACK in LAST_ACK.
  if (flags & TCP_FIN) return s === 'ESTABLISHED' ? 'FIN_WAIT' : s === 'CLOSE_WAIT' || s === 'FIN_WAIT' ? 'LAST_ACK' : s;
  if (flags & TCP_ACK) {
    if (s === 'SYN_RECV' && dir === 0) return 'ESTABLISHED';
    if (s === 'FIN_WAIT') return 'CLOSE_WAIT';
    if (s === 'LAST_ACK') return 'TIME_WAIT';
  }
  return s;
}

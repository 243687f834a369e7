import type { TcpEvent } from '../trace/events.js';
import { formatIpv4 } from '../wire/addr.js';
import {
  decodeIcmp,
  encodeIcmp,
  ICMP_DEST_UNREACH,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  UNREACH_FRAG_NEEDED,
  UNREACH_PORT,
  UNREACH_PROTOCOL,
} from '../wire/icmp.js';
import { ipv4Length, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, type Ipv4Packet, writeIpv4 } from '../wire/ipv4.js';
import { decodeTcp, encodeTcp, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_MSS_DEFAULT, tcpMssOption, tcpSynOptions, tcpSynWindow, tcpTsOption, tcpTsVal, type TcpSegment } from '../wire/tcp.js';
import { IPPROTO_SCTP } from '../wire/sctp.js';
import { encodeUdp, udpError, udpPayload } from '../wire/udp.js';
import { UdpTemplate } from '../wire/udp-template.js';
import { addCost } from './cost-model.js';
import type { NetDevice } from './devices/device.js';
import type { NetNs } from './netns.js';
import type { OutputErrno } from './ipv4/stack.js';
import { carvedIn } from '../wire/bytes.js';
import { giveHeadroom, knownIpv4, packetBytes, packetRoom, type Skb } from './skb.js';
import { SctpEndpoints } from './sctp/endpoint.js';

/** Linux's net.ipv4.ip_local_port_range default. */
export const EPHEMERAL_PORTS: [number, number] = [32768, 60999];

/** What an application asks the kernel to send (one datagram, one connection, one echo). */
export interface SendRequest {
  dst: number;
  protocol: 'TCP' | 'UDP' | 'ICMP' | 'SCTP';
  port?: number;
  payload: number; // L4 payload bytes
  ttl?: number;
  flow: string;
  /** ICMP echo sequence number / distinguishes repeated sends. */
  seq?: number;
  /** bind() to this source port first (UDP and TCP); absent = an ephemeral port. */
  sport?: number;
  /** UDP: the application waits for an answer, so its socket stays bound and reads it (no port unreachable). */
  awaitReply?: boolean;
  /** TCP: write on an established connection to the same destination if there is one (keep-alive), else connect. UDP: send from one connected socket (same source port). */
  reuse?: boolean;
  /** TCP: the application closes the connection if its request is not acknowledged within this time. */
  timeoutNs?: number;
  /** TCP: the application's bytes (an HTTP request) instead of `payload` zero bytes. */
  data?: Uint8Array;
  /** TCP: the application that reads the connection. */
  app?: TcpApp;
  /** The packet that made the application connect (its SYN's `create` event names it as the cause). */
  cause?: number;
  /** TCP: the application closes the connection (FIN) this long after its request is acknowledged (0: at once, a short-lived connection). */
  closeAfterNs?: number;
  /** TCP: SO_KEEPALIVE with these TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT values. */
  keepAlive?: KeepAlive;
  /**
   * Written by `Sockets.send` when the send failed before any packet was made (it then returns undefined): what
   * the application's send() got, in words (a connected UDP socket's pending error: ECONNREFUSED ...).
   */
  sendError?: string | undefined;
}

/** SO_KEEPALIVE's three knobs, per socket (defaults: the net.ipv4.tcp_keepalive_* sysctls, TCP_KEEPALIVE_DEFAULTS). */
export interface KeepAlive {
  /** Idle time before the first probe (tcp_keepalive_time). */
  idleNs: number;
  /** Between unanswered probes (tcp_keepalive_intvl). */
  intervalNs: number;
  /** Unanswered probes before the connection is declared dead (tcp_keepalive_probes). */
  probes: number;
}

/** net.ipv4.tcp_keepalive_time 7200 s, tcp_keepalive_intvl 75 s, tcp_keepalive_probes 9. */
export const TCP_KEEPALIVE_DEFAULTS: KeepAlive = { idleNs: 7200e9, intervalNs: 75e9, probes: 9 };

/** TCP_TIMEWAIT_LEN: how long the side that closed first keeps the connection's ports (60 s, not a sysctl). */
export const TCP_TIMEWAIT_NS = 60e9;

/** A datagram as a UDP socket's owner reads it (recvfrom). */
export interface Datagram {
  payload: Uint8Array;
  src: number;
  sport: number;
  dst: number;
  dport: number;
}

/** An application reading a UDP socket; `skb` is the packet it read (to name as the cause of answers). */
export type UdpHandler = (d: Datagram, skb: Skb) => void;

/**
 * An ICMP destination unreachable about a datagram a socket sent, reported
 * to a connected socket with IP_RECVERR (glibc's resolver sets it): the
 * errno of icmp_err_convert, and the quoted destination.
 */
export type UdpErrorHandler = (errno: UdpErrno, dst: number, dport: number) => void;

export type UdpErrno = 'ENETUNREACH' | 'EHOSTUNREACH' | 'ENOPROTOOPT' | 'ECONNREFUSED' | 'EMSGSIZE' | 'EOPNOTSUPP' | 'EHOSTDOWN' | 'ENONET';

/** icmp_err_convert, by destination unreachable code (4, fragmentation needed, goes to the path MTU instead and is never reported here). */
const UNREACH_ERRNO: readonly UdpErrno[] = ['ENETUNREACH', 'EHOSTUNREACH', 'ENOPROTOOPT', 'ECONNREFUSED', 'EMSGSIZE', 'EOPNOTSUPP', 'ENETUNREACH', 'EHOSTDOWN', 'ENONET', 'ENETUNREACH', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTUNREACH', 'EHOSTUNREACH', 'EHOSTUNREACH', 'EHOSTUNREACH'];

/**
 * icmp_err_convert's `fatal`, by destination unreachable code: the hard errors
 * __udp4_lib_err leaves on a connected socket without IP_RECVERR (sk_err), so
 * that its next send() fails. Soft ones (net/host unreachable, codes 0, 1, 11,
 * 12; source route failed, 5) are never told to such a socket. Code 4
 * (fragmentation needed) is hard too while path MTU discovery is on, as
 * it is for every UDP socket here (IP_PMTUDISC_WANT): EMSGSIZE.
 */
const UNREACH_HARD: readonly boolean[] = [false, false, true, true, true, false, true, true, true, true, true, false, false, true, true, true];

/** ICMP timestamp request and address-mask request/reply (RFC 792, 950): only their numbers matter here (icmp_rcv's broadcast rule). */
const ICMP_TIMESTAMP = 13;
const ICMP_ADDRESS = 17;
const ICMP_ADDRESSREPLY = 18;

/** One end of a TCP connection as its application holds it (a socket after connect() or accept()). */
export interface TcpStream {
  readonly local: number;
  readonly lport: number;
  readonly remote: number;
  readonly rport: number;
  /** write(): the bytes leave in MSS-sized data segments, caused by `cause` (the packet the application reacted to). */
  write(bytes: Uint8Array, cause: Skb): void;
  /** close() before the handshake finished (a client giving up): the connection is forgotten, its timers stop. */
  abort(why: string): void;
}

/**
 * An application on a TCP connection: told when a connect() it made
 * completes, when bytes arrive (in sequence order), and when the connection
 * fails (RST, an ICMP error while connecting, the kernel's own timeout).
 */
export interface TcpApp {
  opened?(s: TcpStream, skb: Skb): void;
  data?(s: TcpStream, bytes: Uint8Array, skb: Skb): void;
  /** `detail`: what the kernel's trace says of it (`connect() failed with EINVAL (Invalid argument)`). */
  failed?(why: 'reset' | 'refused' | 'unreachable' | 'timeout', detail: string): void;
}

/** A listening socket's application: given each accepted connection, returns what reads it. */
export type TcpAccept = (s: TcpStream) => TcpApp;

interface TcpConn {
  local: number;
  lport: number;
  remote: number;
  rport: number;
  state: TcpSocketState;
  sndNxt: number;
  rcvNxt: number;
  tsOffset: number;
  /** The peer's latest TSval, echoed back in TSecr. */
  tsRecent: number;
  ipId: number;
  pendingPayload: number; // client: bytes to send once established
  /** client: the application's bytes to send once established (instead of `pendingPayload` zero bytes). */
  pendingData?: Uint8Array;
  app?: TcpApp;
  /** Receiver with an application: bytes that arrived ahead of a hole, by sequence number. */
  ofoData?: Map<number, Uint8Array>;
  flow: string | undefined;
  /** The MSS this end announces in its SYN or SYN-ACK: the route's MTU - 40 (tcp_advertise_mss). */
  advmss: number;
  /** The MSS its segments use (headers without options): the smaller of `advmss` and the peer's, lowered by PMTU. */
  mss: number;
  /** Segments sent and not yet acknowledged (SYN, data), oldest first: what the retransmission timer resends. */
  inflight: Unacked[];
  /** The retransmission timer: current RTO (before backoff), backoff count, generation (a new one cancels the old). */
  rtoNs: number;
  backoff: number;
  timerGen: number;
  /** Smoothed RTT and its variation (RFC 6298, as tcp_rtt_estimator keeps them); 0 = no sample yet. */
  srttNs: number;
  rttvarNs: number;
  /** The request's data was all acknowledged (`complete` traced once). */
  done: boolean;
  /** Closed: aborted or given up; timers stop. */
  dead: boolean;
  /** Its application exited (SOCK_DEAD, orphaned): the kernel finishes the close; new data from the peer is answered with RST. */
  orphan?: boolean;
  /** Receiver: data that arrived ahead of a hole, by sequence number → its end (tcp_data_queue_ofo). */
  ofo: Map<number, number>;
  /** Accepted from a listener (the server side). */
  server?: boolean;
  /** Server: the flow whose request its application last answered (one answer per request, not per segment). */
  answered?: string;
  /** The application closes this long after its last request was acknowledged (`closeAfterNs`); the timer's generation. */
  closeAfterNs?: number;
  closeGen: number;
  keepAlive?: KeepAlive;
  /** When a segment last arrived (tcp_keepalive_timer's idle time counts from it). */
  lastRcvNs: number;
  /** Keep-alive probes sent without an answer (icsk_probes_out); the keep-alive timer's generation. */
  kaProbes: number;
  kaGen: number;
  /** sk_dst_pending_confirm: an ACK made progress; the next segment sent confirms the neighbour. */
  confirmNeigh?: boolean;
}

/** The socket states this model reaches (tcp_states.h), from connect/listen to the end of TIME_WAIT. */
type TcpSocketState = 'SYN_SENT' | 'SYN_RECV' | 'ESTABLISHED' | 'FIN_WAIT1' | 'FIN_WAIT2' | 'CLOSING' | 'TIME_WAIT' | 'CLOSE_WAIT' | 'LAST_ACK';

/** A sent segment waiting for its ACK. */
interface Unacked {
  seq: number;
  /** Sequence number after it (seq + data + SYN/FIN). */
  end: number;
  flags: number;
  len: number;
  ttl: number;
  sentNs: number;
  /** Karn's rule: no RTT sample from a segment sent more than once. */
  retransmitted: boolean;
  /** The packet that carried it first (retransmissions name it as their cause). */
  pkt: number | undefined;
  /** The application's bytes it carried (resent as they were); absent = `len` zero bytes. */
  data?: Uint8Array;
}

/** Linux's TCP timer constants (include/net/tcp.h, sysctl defaults). */
export const TCP_TIMERS = {
  /** TCP_TIMEOUT_INIT: the RTO before any RTT sample (RFC 6298), so a lost SYN is resent after 1 s. */
  initialRtoNs: 1e9,
  /** TCP_RTO_MIN. */
  minRtoNs: 200e6,
  /** TCP_RTO_MAX. */
  maxRtoNs: 120e9,
  /**
   * net.ipv4.tcp_syn_retries: before Linux 6.5 a connect gives up after 1+2+4+8+16+32 s of retries and 64 s
   * more (127 s); from 6.5 the machine's tcp_syn_linear_timeouts (4) retries come first at 1 s each and add to
   * it (1, 2, 3, 4, 5, 7, 11, 19, 35, 67 s; given up at 131 s).
   */
  synRetries: 6,
  /** net.ipv4.tcp_retries2: an established connection gives up after ~15 backed-off retransmissions (~924 s). */
  retries2: 15,
  /** net.ipv4.tcp_orphan_retries 0, which tcp_orphan_retries reads as 8: an orphaned socket's retransmissions. */
  orphanRetries: 8,
}

/**
 * Sockets of one namespace and the transport protocols behind them: UDP
 * (listeners, ICMP port unreachable), TCP (listeners, the three-way handshake,
 * one data segment and its ACK, RST for closed ports) and ICMP echo.
 */
export class Sockets {
  /** Bound UDP ports; a handler is an application that reads what arrives (a DNS server, a resolver). */
  private readonly udp = new Map<number, UdpHandler | undefined>();
  /** Sockets that hear ICMP errors (IP_RECVERR), by local port. */
  private readonly udpErrors = new Map<number, UdpErrorHandler>();
  /** Kernel UDP tunnel sockets (VXLAN): they take the datagram before port lookup. */
  private readonly udpTunnels = new Map<number, (skb: Skb, ip: Ipv4Packet, payload: Uint8Array) => void>();
  private readonly tcpListen = new Map<number, TcpAccept | undefined>();
  /** Listening ports bound to given local addresses (absent: INADDR_ANY, every address): a SYN to another address finds no socket. */
  private readonly tcpListenAddrs = new Map<number, readonly number[]>();
  /** UDP ports a server application listens on (not a client's bound socket): these may answer. */
  private readonly udpListen = new Set<number>();
  private readonly tcpConns = new Map<string, TcpConn>();
  /** Connected UDP sockets (`reuse`) on an ephemeral port, by destination (address × 65536 + port). */
  private readonly udpConnected = new Map<number, ConnectedUdp>();
  /** Connected UDP sockets bound to a given source port first (`reuse` with `sport`): by that port, then destination. */
  private readonly udpBoundConnected = new Map<number, Map<number, ConnectedUdp>>();
  /** The one `connectedUdp` returned last, and `udpCloses` then (still bound while no port has been closed since). */
  private lastConnected: ConnectedUdp | undefined;
  private lastConnectedCloses = -1;
  /** UDP ports closed so far (`closeUdp`, `closeApplications`). */
  private udpCloses = 0;
  /** Changes to the UDP port tables (`udp`, `udpListen`, `udpTunnels`) so far: what `rcvPort` was found at. */
  private udpChanges = 0;
  /** What the UDP port tables said about the port a datagram came to last (`udpPort`): a train's datagrams ask about one port. */
  private readonly rcvPort: UdpPortLookup = { port: -1, changes: -1, tunnel: undefined, handler: undefined, bound: false, listens: false };
  /** Deliver events' `ip:port` of a local UDP socket, by port (`socketText`). */
  private readonly socketTexts = new Map<number, { ip: number; port: number; text: string }>();
  private nextEphemeral: number;
  private pingId: number;
  /** SCTP listeners and associations (kernel/sctp). */
  readonly sctp: SctpEndpoints;

  constructor(private readonly ns: NetNs) {
    this.nextEphemeral = ns.rng.int(EPHEMERAL_PORTS[0], EPHEMERAL_PORTS[1]);
    this.pingId = ns.rng.int(1, 0xffff);
    this.sctp = new SctpEndpoints(ns, (ip, by, flow, cause, userData) => this.emit(ip, by, flow, cause, userData));
  }

  addUdpTunnel(port: number, rcv: (skb: Skb, ip: Ipv4Packet, payload: Uint8Array) => void): void {
    this.udpTunnels.set(port, rcv);
    this.udpChanges++;
  }

  listenUdp(port: number, handler?: UdpHandler): void {
    this.udp.set(port, handler);
    if (!handler) this.udpListen.add(port);
    this.udpChanges++;
  }

  /** bind() to a free ephemeral port with an application reading it; returns the port. */
  openUdp(handler: UdpHandler, onError?: UdpErrorHandler): number {
    let port = this.ephemeral();
    while (this.udp.has(port)) port = this.ephemeral();
    this.udp.set(port, handler);
    this.udpChanges++;
    if (onError) this.udpErrors.set(port, onError);
    return port;
  }

  closeUdp(port: number): void {
    this.udp.delete(port);
    this.udpCloses++;
    this.udpChanges++;
    this.udpErrors.delete(port);
  }

  /**
   * The applications exit (a container stops): the kernel closes every
   * socket they held (tcp_close). Listeners go, and with them connections
   * not yet accepted (a later segment for one meets a RST, as any closed
   * port); an unfinished connect() is dropped without a word; an open
   * connection sends its FIN (ESTABLISHED -> FIN_WAIT1, CLOSE_WAIT ->
   * LAST_ACK) and is left to the kernel, which answers new data from the
   * peer with RST (RFC 1122, tcp_rcv_state_process). Kernel tunnel sockets stay.
   * Two of tcp_close's paths cannot arise here, so they are not modelled: a
   * receive queue holding unread data (Linux sends RST instead of FIN,
   * TCPAbortOnClose), as every application reads in-order bytes as they
   * arrive; and tcp_fin_timeout for an orphan in FIN_WAIT2, as every peer
   * answers a FIN with its own FIN+ACK in one segment (tcpFin), so an orphan
   * goes from FIN_WAIT1 straight on to TIME_WAIT.
   */
  closeApplications(): void {
    this.udp.clear();
    this.udpCloses++;
    this.udpChanges++;
    this.udpErrors.clear();
    this.sctp.close();
    this.tcpListen.clear();
    this.tcpListenAddrs.clear();
    for (const c of [...this.tcpConns.values()]) {
      delete c.app;
      if (c.state === 'SYN_SENT' || c.state === 'SYN_RECV') this.forget(c);
      else {
        c.orphan = true;
        c.closeGen++;
        this.tcpClose(c, undefined);
      }
    }
  }

  /**
   * listen(); `accept` is the application reading accepted connections (none = the kernel only ACKs what arrives).
   * `addrs`: the local addresses its sockets were bound to (one socket per address, one application); absent: every address.
   */
  listenTcp(port: number, accept?: TcpAccept, addrs?: readonly number[]): void {
    this.tcpListen.set(port, accept);
    if (addrs) this.tcpListenAddrs.set(port, addrs);
    else this.tcpListenAddrs.delete(port);
  }

  /** close() of a listening socket: new connections to `port` are refused; those it accepted stay. */
  unlistenTcp(port: number): void {
    this.tcpListen.delete(port);
    this.tcpListenAddrs.delete(port);
  }

  /** Whether something listens on TCP `port`. */
  listensTcp(port: number): boolean {
    return this.tcpListen.has(port);
  }

  /** Listening sockets as `ss -lntu` would list them: `udp:8080`, `tcp:80`. */
  listening(): string[] {
    const tcp = (p: number): string[] => this.tcpListenAddrs.get(p)?.map((a) => `tcp:${formatIpv4(a)}:${p}`) ?? [`tcp:${p}`];
    return [...[...this.tcpListen.keys()].flatMap(tcp), ...[...this.udp.keys()].map((p) => `udp:${p}`), ...this.sctp.ports().map((p) => `sctp:${p}`)].sort();
  }

  private ephemeral(): number {
    const [lo, hi] = EPHEMERAL_PORTS;
    const p = this.nextEphemeral;
    this.nextEphemeral = p >= hi ? lo : p + 1;
    return p;
  }

  /** An application sends: sendto() for UDP, connect() for TCP, ping for ICMP. */
  send(req: SendRequest): number | undefined {
    const src = this.ns.stack.sourceFor(req.dst) ?? 0;
    const ttl = req.ttl ?? 64;
    if (req.protocol === 'UDP') {
      let sport: number;
      if (req.reuse) {
        // One connected UDP socket per destination (the same source port for every datagram), like a metrics agent's.
        const sock = this.connectedUdp(req.dst, req.port!, req.sport);
        if (sock.err !== undefined) return this.sendFailed(sock, req);
        if (28 + req.payload <= 0xffff) return this.sendConnected(sock, req, src, ttl);
        sport = sock.sport; // too big for one IPv4 packet: encoded as any datagram, its length fields as they come
      } else if (req.sport !== undefined) {
        sport = req.sport;
        if (req.awaitReply) this.bindUdp(sport, this.udp.get(sport)); // bind(): the answer is read
      } else {
        sport = this.ephemeral();
        if (req.awaitReply) {
          while (this.udp.has(sport)) sport = this.ephemeral();
          this.bindUdp(sport, undefined);
        }
      }
      const l4 = encodeUdp({ srcPort: sport, dstPort: req.port!, payload: new Uint8Array(req.payload) }, src, req.dst);
      // Unconnected UDP with PMTU discovery "want": DF set. Current kernels still
      // give such packets a varying IP id (measured: test/linux/reference-walk.sh);
      // the per-destination hash Linux uses is modelled as a seeded random id.
      return this.emit({ tos: 0, id: this.ns.rng.int(0, 0xffff), df: this.fitsPath(req.dst, l4.length), mf: false, fragmentOffset: 0, ttl, protocol: IPPROTO_UDP, src, dst: req.dst, payload: l4 }, 'app', req.flow);
    }
    if (req.protocol === 'SCTP') return this.sctp.connect({ dst: req.dst, port: req.port!, sport: req.sport ?? this.ephemeral(), payload: req.payload, flow: req.flow, ...(req.ttl === undefined ? {} : { ttl: req.ttl }) });
    if (req.protocol === 'ICMP') {
      // The echo id: a given one (a ping socket bound to it, or ping's own pid, alike in two containers), else this namespace's.
      const icmp = encodeIcmp({ type: ICMP_ECHO_REQUEST, code: 0, rest: (((req.sport ?? this.pingId) << 16) | ((req.seq ?? 1) & 0xffff)) >>> 0, payload: new Uint8Array(req.payload) });
      return this.emit({ tos: 0, id: this.ns.rng.int(0, 0xffff), df: this.fitsPath(req.dst, icmp.length), mf: false, fragmentOffset: 0, ttl, protocol: IPPROTO_ICMP, src, dst: req.dst, payload: icmp }, 'app', req.flow);
    }
    if (req.reuse) {
      const open = [...this.tcpConns.values()].find((c) => c.remote === req.dst && c.rport === req.port && c.state === 'ESTABLISHED');
      if (open) {
        open.flow = req.flow;
        this.ns.world.holds.hold(open, req.flow); // and still its first flow: the peer's segments are filed under it
        open.done = false;
        return this.tcpSend(open, TCP_PSH | TCP_ACK, Math.max(1, req.payload), 'app', undefined, ttl);
      }
    }
    if (req.sport !== undefined) {
      // bind() to a given port, then connect(): the kernel refuses a second socket with the same four-tuple
      // (__inet_check_established; a TIME_WAIT one too, tcp_tw_reuse being for loopback only). Two such sockets
      // would share one connection: each one's segments the other's out-of-window ACKs, answered without end.
      const taken = this.tcpConns.get(connKey(src, req.sport, req.dst, req.port!));
      if (taken !== undefined && !taken.dead) {
        req.sendError = `connect() failed with EADDRNOTAVAIL: ${formatIpv4(src)}:${req.sport} → ${formatIpv4(req.dst)}:${req.port!} is still a connection (${taken.state}) of this namespace; no SYN sent`;
        return undefined;
      }
    }
    return this.connect(req).pkt;
  }

  /**
   * send() on a connected UDP socket with an error pending (an ICMP error
   * about an earlier datagram, `udpIcmpError`): sock_alloc_send_pskb finds
   * sk_err, returns it (sock_error takes it: the send after this one goes
   * out again) and no datagram is made. The application is told; the flow
   * ends here, with no packet (`req.sendError`).
   */
  private sendFailed(sock: ConnectedUdp, req: SendRequest): undefined {
    req.sendError = `send() failed with ${sock.err!}, the socket's pending error (${sock.errWhy}); no datagram sent`;
    sock.err = undefined;
    sock.errWhy = '';
    return undefined;
  }

  /** bind() of a UDP port for a sending socket (`handler` reads what arrives; none: the kernel queues it unread). */
  private bindUdp(port: number, handler: UdpHandler | undefined): void {
    this.udp.set(port, handler);
    this.udpChanges++;
  }

  /**
   * The connected UDP socket this namespace keeps for a destination (`reuse`),
   * made on first use: bind() to `bind` if given (then connect(), so the
   * datagrams leave from that port), else connect() alone, which binds an
   * ephemeral port.
   */
  private connectedUdp(dst: number, dport: number, bind: number | undefined): ConnectedUdp {
    // The socket of the last datagram first: a train of datagrams asks for the same one every time.
    let sock = this.lastConnected;
    if (sock !== undefined && sock.dst === dst && sock.dport === dport && sock.bound === bind && this.lastConnectedCloses === this.udpCloses) return sock;
    const key = dst * 65536 + dport;
    let table = this.udpConnected;
    if (bind !== undefined) {
      let t = this.udpBoundConnected.get(bind);
      if (t === undefined) this.udpBoundConnected.set(bind, (t = new Map()));
      table = t;
    }
    sock = table.get(key);
    if (sock === undefined || !this.udp.has(sock.sport)) {
      let port: number;
      if (bind !== undefined) {
        port = bind;
        this.bindUdp(port, this.udp.get(port)); // bind(): as an unconnected socket given `sport` (send)
      } else {
        do port = this.ephemeral();
        while (this.udp.has(port));
        this.bindUdp(port, undefined); // bound: the answers are read, not refused
      }
      table.set(key, (sock = { dst, dport, sport: port, bound: bind, template: undefined, err: undefined, errWhy: '' }));
    }
    this.lastConnectedCloses = this.udpCloses;
    return (this.lastConnected = sock);
  }

  /**
   * sendto() on a connected UDP socket: the datagram is made from the
   * socket's template (the same bytes as encoding it afresh), its DF and IP
   * id chosen as for any UDP datagram (see `send`).
   */
  private sendConnected(sock: ConnectedUdp, req: SendRequest, src: number, ttl: number): number | undefined {
    return this.sent(this.connectedDatagram(sock, req, src, ttl), true);
  }

  /** The datagram `sendConnected` sends: its IPv4 id drawn, made a packet and told (`create`). */
  private connectedDatagram(sock: ConnectedUdp, req: SendRequest, src: number, ttl: number): Skb {
    const df = this.fitsPath(req.dst, 8 + req.payload);
    let t = sock.template;
    if (t === undefined || !t.fits(src, ttl, df, req.payload)) t = sock.template = new UdpTemplate(src, req.dst, sock.sport, req.port!, ttl, df, req.payload);
    // Written where the packet's memory is, and made a packet there: no view of its bytes, no header object of its own.
    const len = t.length;
    const at = packetRoom(len);
    const buf = carvedIn();
    const id = t.writeAt(this.ns.rng.int(0, 0xffff), buf, at);
    const skb = this.ns.world.newSkbIn(buf, at, len, this.ns.name, 'app', req.flow, undefined, true);
    knownIpv4(skb, t.decodedFor(id, skb));
    return skb;
  }

  /**
   * A periodic train's datagram made without its walk (fastpath/train.ts: the
   * replay stands for the walk, the kernel state it leaves made in closed
   * form): what `send` does for a connected UDP socket up to the packet
   * created and told — the socket found, the IPv4 id drawn, the bytes written
   * — and nothing after. Undefined when `send` would not take that path.
   */
  trainDatagram(req: SendRequest): Skb | undefined {
    if (req.protocol !== 'UDP' || !req.reuse || 28 + req.payload > 0xffff) return undefined;
    const src = this.ns.stack.sourceFor(req.dst) ?? 0;
    const sock = this.connectedUdp(req.dst, req.port!, req.sport);
    const skb = this.connectedDatagram(sock, req, src, req.ttl ?? 64);
    giveHeadroom(skb); // as `sent` leaves it (the create event reads the bytes it was given)
    return skb;
  }

  /**
   * The template a train replay's block of datagrams is written from when
   * read (fastpath/train.ts): the connected socket's, as its last datagram
   * used it (nothing changed since: the socket, its source, TTL, DF and size).
   */
  trainTemplate(dst: number, dport: number, bind: number | undefined): UdpTemplate | undefined {
    return this.connectedUdp(dst, dport, bind).template;
  }

  /** connect() for an application that keeps the socket: the SYN's packet id and the stream. */
  connect(req: SendRequest): { pkt: number | undefined; stream: TcpStream } {
    const src = this.ns.stack.sourceFor(req.dst) ?? 0;
    const ttl = req.ttl ?? 64;
    const conn: TcpConn = {
      local: src,
      lport: req.sport ?? this.ephemeral(),
      remote: req.dst,
      rport: req.port!,
      state: 'SYN_SENT',
      sndNxt: this.ns.rng.nextU32(),
      rcvNxt: 0,
      tsOffset: this.ns.rng.nextU32(),
      tsRecent: 0,
      ipId: this.ns.rng.int(0, 0xffff),
      pendingPayload: req.data ? 0 : req.payload,
      ...(req.data ? { pendingData: req.data } : {}),
      flow: req.flow,
      advmss: (this.ns.stack.mtuFor(req.dst) ?? 1500) - 40,
      mss: (this.ns.stack.mtuFor(req.dst) ?? 1500) - 40,
      ...newTimers(this.ns.world.sched.now),
      ...(req.app ? { app: req.app } : {}),
      ...(req.closeAfterNs === undefined ? {} : { closeAfterNs: req.closeAfterNs }),
      ...(req.keepAlive ? { keepAlive: req.keepAlive } : {}),
    };
    this.tcpConns.set(connKey(conn.local, conn.lport, conn.remote, conn.rport), conn);
    this.ns.world.holds.hold(conn, conn.flow);
    if (req.timeoutNs !== undefined) {
      // The application's own deadline (curl --max-time, a client library's timeout): it closes the socket.
      this.ns.world.sched.after(req.timeoutNs, () => {
        if (conn.dead || conn.done) return;
        this.tcpEnd(conn, 'gave-up', `the application gave up after ${req.timeoutNs! / 1e9} s (${conn.state}, ${conn.inflight.length} segment(s) unacknowledged)`, conn.inflight[0]?.pkt ?? 0);
      });
    }
    return { pkt: this.tcpSend(conn, TCP_SYN, 0, 'app', req.cause, ttl), stream: this.stream(conn) };
  }

  /** The application's handle on a connection. */
  private stream(conn: TcpConn): TcpStream {
    return {
      local: conn.local,
      lport: conn.lport,
      remote: conn.remote,
      rport: conn.rport,
      write: (bytes, cause) => this.writeSegments(conn, bytes, 'app', cause.id),
      abort: (why) => {
        if (!conn.dead) this.tcpEnd(conn, 'gave-up', why, 0);
      },
    };
  }

  /** Data in MSS-sized segments sent back to back (there is no congestion window to wait for). */
  private writeSegments(conn: TcpConn, bytes: Uint8Array, by: 'app' | 'tcp', cause: number | undefined): void {
    const segmentData = conn.mss - TCP_TS_OPTION_BYTES;
    for (let off = 0; off < bytes.length; off += segmentData) {
      this.tcpSend(conn, TCP_PSH | TCP_ACK, bytes.subarray(off, Math.min(bytes.length, off + segmentData)), by, cause);
    }
  }

  /**
   * PMTU discovery "want" (the default): DF is set only on datagrams that fit
   * the route's MTU; larger ones are fragmented here, by the sender.
   */
  private fitsPath(dst: number, l4Bytes: number): boolean {
    return 20 + l4Bytes <= (this.ns.stack.mtuFor(dst) ?? 1500);
  }

  /**
   * sendto() on a bound UDP socket with real bytes (a userspace daemon such as
   * flanneld): the datagram is a new packet caused by `cause`.
   */
  sendDatagram(sport: number, dst: number, dport: number, payload: Uint8Array, cause: Skb | { flow: string | undefined; id?: number }, src?: number, by: 'app' | 'server' = 'app'): number | undefined {
    const from = src ?? this.ns.stack.sourceFor(dst) ?? 0;
    const l4 = encodeUdp({ srcPort: sport, dstPort: dport, payload }, from, dst);
    return this.emit({ tos: 0, id: this.ns.rng.int(0, 0xffff), df: this.fitsPath(dst, l4.length), mf: false, fragmentOffset: 0, ttl: 64, protocol: IPPROTO_UDP, src: from, dst, payload: l4 }, by, cause.flow, cause.id, true);
  }

  /**
   * What the UDP port tables say about `port`: a kernel tunnel socket on it, else
   * whether a socket is bound to it, the application reading it, and whether that is a
   * server that answers. Looked up again only when the port or the tables changed.
   */
  private udpPort(port: number): UdpPortLookup {
    const c = this.rcvPort;
    if (c.port === port && c.changes === this.udpChanges) return c;
    c.port = port;
    c.changes = this.udpChanges;
    c.tunnel = this.udpTunnels.size !== 0 ? this.udpTunnels.get(port) : undefined;
    c.handler = this.udp.get(port);
    c.bound = c.handler !== undefined || this.udp.has(port);
    c.listens = this.udpListen.size !== 0 && this.udpListen.has(port);
    return c;
  }

  /** `ip:port` of a local UDP socket as deliver events name it, made once per port (every datagram names it). */
  private socketText(ip: number, port: number): string {
    const last = this.lastSocket;
    if (last !== undefined && last.port === port && last.ip === ip) return last.text; // a train of datagrams to one socket
    let known = this.socketTexts.get(port);
    if (known === undefined || known.ip !== ip) this.socketTexts.set(port, (known = { ip, port, text: `${formatIpv4(ip)}:${port}` }));
    this.lastSocket = known;
    return known.text;
  }

  private lastSocket: { ip: number; port: number; text: string } | undefined;

  /** The address a datagram came from as deliver events name it: the last one's text again when it is the same sender (a train of datagrams). */
  private peerText(ip: number): string {
    if (ip !== this.lastPeer) {
      this.lastPeer = ip;
      this.lastPeerText = formatIpv4(ip);
    }
    return this.lastPeerText;
  }

  private lastPeer = -1;
  private lastPeerText = '';

  /**
   * UDP bytes found sound last (length and checksum, with these addresses)
   * that no one writes: bytes of their own, not a view into a packet's (a
   * connected socket's datagrams show its template's one copy of their UDP
   * header and payload: udp-template.ts). The next datagram showing the
   * same bytes with the same addresses is as sound, unchecked again.
   */
  private soundIs(u: Uint8Array, src: number, dst: number): void {
    this.soundUdp = u;
    this.soundSrc = src;
    this.soundDst = dst;
  }

  private soundUdp: Uint8Array | undefined;
  private soundSrc = 0;
  private soundDst = 0;

  /** A packet for one of our addresses, after reassembly (ip_local_deliver_finish). */
  rcv(dev: NetDevice, skb: Skb, ip: Ipv4Packet): void {
    const w = this.ns.world;
    switch (ip.protocol) {
      case IPPROTO_UDP: {
        // Validated as decodeUdp does, then read in place: most datagrams need only their ports.
        const u = ip.payload;
        if (u !== this.soundUdp || ip.src !== this.soundSrc || ip.dst !== this.soundDst) {
          const error = udpError(u, ip.src, ip.dst);
          if (error !== undefined) return w.drop(skb, dev.where, 'malformed', error);
          if (u.byteOffset === 0 && u.length === u.buffer.byteLength) this.soundIs(u, ip.src, ip.dst);
        }
        const sport = (u[0]! << 8) | u[1]!;
        const dport = (u[2]! << 8) | u[3]!;
        const at = this.udpPort(dport);
        if (at.tunnel) return at.tunnel(skb, ip, udpPayload(u));
        const handler = at.handler;
        if (at.bound) {
          const live = w.inFlight.has(skb);
          w.deliver(skb, dev.where, 'udp', this.socketText(ip.dst, dport), this.peerText(ip.src), sport);
          if (handler) return handler({ payload: udpPayload(u), src: ip.src, sport, dst: ip.dst, dport }, skb);
          // (The delivery's readers may have changed the tables: asked again then.)
          if (this.udpPort(dport).listens) {
            // A server that answers: sendto() back to where the datagram came from, from the address it came to.
            const n = this.ns.world.serverReply?.(skb.flow, 'UDP');
            if (n !== undefined) this.sendDatagram(dport, ip.src, sport, new Uint8Array(n), skb, ip.dst, 'server');
          }
          // Read by no application (none keeps it), the answer's cause told by id: the packet ended here.
          if (live) w.recycle(skb);
          return;
        }
        // __udp4_lib_rcv hands a datagram routed as a broadcast to __udp4_lib_mcast_deliver: no socket, no ICMP (IgnoredMulti).
        if (this.ns.stack.routedAsBroadcast(ip.dst)) return w.drop(skb, dev.where, 'broadcast-ignored', `nothing listens on UDP port ${dport} for the broadcast ${formatIpv4(ip.dst)} (no ICMP error about a broadcast)`);
        this.ns.stack.icmpError(skb.data, ICMP_DEST_UNREACH, UNREACH_PORT, skb, undefined, { inDev: dev });
        w.drop(skb, dev.where, 'port-unreachable', `nothing listens on UDP ${formatIpv4(ip.dst)}:${dport}`);
        return;
      }
      case IPPROTO_TCP:
        return this.tcpRcv(dev, skb, ip);
      case IPPROTO_ICMP:
        return this.icmpRcv(dev, skb, ip);
      case IPPROTO_SCTP:
        // sctp_v4_addr_valid: a packet routed as a broadcast is no SCTP packet to anyone.
        if (this.ns.stack.routedAsBroadcast(ip.dst)) return w.drop(skb, dev.where, 'broadcast-ignored', `SCTP to the broadcast ${formatIpv4(ip.dst)} is discarded`);
        return this.sctp.rcv(dev, skb, ip);
      default:
        this.ns.stack.icmpError(skb.data, ICMP_DEST_UNREACH, UNREACH_PROTOCOL, skb, undefined, { inDev: dev });
        w.drop(skb, dev.where, 'no-handler', `no handler for IP protocol ${ip.protocol}`);
    }
  }

  private icmpRcv(dev: NetDevice, skb: Skb, ip: Ipv4Packet): void {
    const w = this.ns.world;
    const r = decodeIcmp(ip.payload);
    if (!r.ok) return w.drop(skb, dev.where, 'malformed', r.error);
    const m = r.value;
    // icmp_rcv on a broadcast route: echo and timestamp requests are ignored while net.ipv4.icmp_echo_ignore_broadcasts = 1
    // (the default; podwalk has no other value), and any type but those and address-mask messages is no message to a broadcast.
    if (m.type !== ICMP_ADDRESS && m.type !== ICMP_ADDRESSREPLY && this.ns.stack.routedAsBroadcast(ip.dst)) {
      const why = m.type === ICMP_ECHO_REQUEST || m.type === ICMP_TIMESTAMP ? 'net.ipv4.icmp_echo_ignore_broadcasts = 1: no answer to a request' : `ICMP type ${m.type} is not taken`;
      return w.drop(skb, dev.where, 'broadcast-ignored', `${why} sent to the broadcast ${formatIpv4(ip.dst)}`);
    }
    if (m.type === ICMP_ECHO_REQUEST) {
      w.deliver(skb, dev.where, 'icmp', 'icmp echo', formatIpv4(ip.src));
      const reply = encodeIcmp({ type: ICMP_ECHO_REPLY, code: 0, rest: m.rest, payload: m.payload });
      this.ns.stack.icmpRate.reply(); // icmp_reply: never limited, but it takes the namespace's credit
      this.emit({ tos: 0, id: this.ns.rng.int(0, 0xffff), df: false, mf: false, fragmentOffset: 0, ttl: 64, protocol: IPPROTO_ICMP, src: ip.dst, dst: ip.src, payload: reply }, 'icmp', skb.flow, skb.id);
      return;
    }
    if (m.type === ICMP_DEST_UNREACH && m.code === UNREACH_FRAG_NEEDED && m.payload.length >= 20) {
      // icmp_unreach -> udp_err/tcp_v4_err -> ipv4_sk_update_pmtu: remember the next-hop MTU for the quoted packet's destination.
      const q = m.payload;
      const innerSrc = ((q[12]! << 24) | (q[13]! << 16) | (q[14]! << 8) | q[15]!) >>> 0;
      const innerDst = ((q[16]! << 24) | (q[17]! << 16) | (q[18]! << 8) | q[19]!) >>> 0;
      const routeMtu = this.ns.stack.routeMtu(innerDst);
      if (this.ns.isLocal(innerSrc) && routeMtu !== undefined) this.ns.pmtu.learn(innerDst, m.rest & 0xffff, routeMtu, w.sched.now);
    }
    // Echo replies go to the ping socket; errors to the socket that sent the quoted packet.
    w.deliver(skb, dev.where, 'icmp', m.type === ICMP_ECHO_REPLY ? 'ping' : 'error queue', formatIpv4(ip.src));
    if (m.type === ICMP_DEST_UNREACH && m.code !== UNREACH_FRAG_NEEDED) this.tcpIcmpError(m.code, m.payload, skb.id);
    if (m.type === ICMP_DEST_UNREACH && (this.udpErrors.size > 0 || this.udpConnected.size > 0 || this.udpBoundConnected.size > 0)) this.udpIcmpError(m.code, m.payload, ip.src);
    if (m.type === ICMP_DEST_UNREACH && m.code === UNREACH_FRAG_NEEDED) this.tcpMtuReduced(m.payload, skb.id);
  }

  /**
   * tcp_v4_err (ICMP_FRAG_NEEDED) -> tcp_v4_mtu_reduced: the connection's MSS
   * follows the path MTU just learned (tcp_sync_mss), and tcp_simple_retransmit
   * sends again at once, cut to the new size, every unacknowledged segment too
   * large for it; the retransmission timer is left as it was.
   */
  private tcpMtuReduced(quoted: Uint8Array, pkt: number): void {
    const conn = this.connOfQuoted(quoted);
    if (!conn || conn.dead) return;
    const mtu = this.ns.stack.mtuFor(conn.remote);
    if (mtu === undefined || mtu - 40 >= conn.mss) return;
    const before = conn.mss;
    conn.mss = mtu - 40;
    const segmentData = conn.mss - TCP_TS_OPTION_BYTES;
    const resend: Unacked[] = [];
    conn.inflight = conn.inflight.flatMap((u) => {
      if ((u.flags & TCP_SYN) !== 0 || u.len <= segmentData) return [u];
      const pieces: Unacked[] = [];
      for (let off = 0; off < u.len; off += segmentData) {
        const len = Math.min(segmentData, u.len - off);
        const seq = (u.seq + off) >>> 0;
        // Resent: no RTT sample from these (Karn).
        pieces.push({ ...u, seq, end: (seq + len) >>> 0, len, retransmitted: true, ...(u.data ? { data: u.data.subarray(off, off + len) } : {}) });
      }
      resend.push(...pieces);
      return pieces;
    });
    this.tcpEvent(conn, 'mss', `path MTU ${mtu}: MSS ${before} -> ${conn.mss}; ${resend.length} segment${resend.length === 1 ? '' : 's'} sent again at the new size`, pkt);
    for (const u of resend) this.tcpSend(conn, u.flags, u.data ?? u.len, 'tcp', u.pkt, u.ttl, u.seq);
  }

  /**
   * __udp4_lib_err: the socket that sent the quoted datagram (looked up by
   * its ports and destination) hears the error when it asked to (IP_RECVERR:
   * every code but fragmentation needed, soft ones too); a connected socket
   * without it keeps a hard error as its pending error (sk_err: its next
   * send() fails, `sendFailed`); an unconnected one is never told.
   */
  private udpIcmpError(code: number, quoted: Uint8Array, from: number): void {
    if (quoted.length < 28 || quoted[9] !== IPPROTO_UDP) return;
    const ihl = (quoted[0]! & 0x0f) * 4;
    if (quoted.length < ihl + 4) return;
    const sport = (quoted[ihl]! << 8) | quoted[ihl + 1]!;
    const dst = ((quoted[16]! << 24) | (quoted[17]! << 16) | (quoted[18]! << 8) | quoted[19]!) >>> 0;
    const dport = (quoted[ihl + 2]! << 8) | quoted[ihl + 3]!;
    const onError = code === UNREACH_FRAG_NEEDED ? undefined : this.udpErrors.get(sport);
    if (onError) return onError(UNREACH_ERRNO[code] ?? 'EHOSTUNREACH', dst, dport);
    if (!(UNREACH_HARD[code] ?? false)) return;
    // The connected socket the datagram left from: bound to `sport` first, or connect() alone (an ephemeral port).
    const key = dst * 65536 + dport;
    let sock = this.udpBoundConnected.get(sport)?.get(key);
    if (sock === undefined) {
      const eph = this.udpConnected.get(key);
      if (eph !== undefined && eph.sport === sport) sock = eph;
    }
    if (sock === undefined || !this.udp.has(sock.sport)) return;
    // sk_err holds one error: a later one replaces it.
    sock.err = code === UNREACH_FRAG_NEEDED ? 'EMSGSIZE' : (UNREACH_ERRNO[code] ?? 'EHOSTUNREACH');
    sock.errWhy = `ICMP ${code === UNREACH_PORT ? 'port unreachable' : code === UNREACH_FRAG_NEEDED ? 'fragmentation needed' : `destination unreachable code ${code}`} from ${formatIpv4(from)} about an earlier datagram`;
  }

  /** The connection whose segment an ICMP error quotes (its IP header and first 8 bytes). */
  private connOfQuoted(quoted: Uint8Array): TcpConn | undefined {
    if (quoted.length < 28 || quoted[9] !== IPPROTO_TCP) return undefined;
    const ihl = (quoted[0]! & 0x0f) * 4;
    if (quoted.length < ihl + 4) return undefined;
    const src = ((quoted[12]! << 24) | (quoted[13]! << 16) | (quoted[14]! << 8) | quoted[15]!) >>> 0;
    const dst = ((quoted[16]! << 24) | (quoted[17]! << 16) | (quoted[18]! << 8) | quoted[19]!) >>> 0;
    const sport = (quoted[ihl]! << 8) | quoted[ihl + 1]!;
    const dport = (quoted[ihl + 2]! << 8) | quoted[ihl + 3]!;
    return this.tcpConns.get(connKey(src, sport, dst, dport));
  }

  /**
   * tcp_v4_err: an ICMP destination unreachable about one of our segments.
   * A connect in SYN_SENT ends with ECONNREFUSED (port unreachable) or
   * EHOSTUNREACH / ENETUNREACH; an established connection only notes it.
   */
  private tcpIcmpError(code: number, quoted: Uint8Array, pkt: number): void {
    const conn = this.connOfQuoted(quoted);
    if (!conn || conn.state !== 'SYN_SENT') return;
    if (code === UNREACH_PORT) this.tcpEnd(conn, 'refused', 'ICMP port unreachable: connect() failed with ECONNREFUSED', pkt);
    else this.tcpEnd(conn, 'unreachable', `ICMP destination unreachable (code ${code}): connect() failed with ${code === 0 ? 'ENETUNREACH' : 'EHOSTUNREACH'}`, pkt);
  }

  private tcpRcv(dev: NetDevice, skb: Skb, ip: Ipv4Packet): void {
    const w = this.ns.world;
    const r = decodeTcp(ip.payload, ip.src, ip.dst);
    if (!r.ok) return w.drop(skb, dev.where, 'malformed', r.error);
    const seg = r.value;
    const at = { socket: `${formatIpv4(ip.dst)}:${seg.dstPort}`, src: formatIpv4(ip.src), sport: seg.srcPort };
    const conn = this.tcpConns.get(connKey(ip.dst, seg.dstPort, ip.src, seg.srcPort));
    if (conn?.orphan && (conn.state === 'FIN_WAIT1' || conn.state === 'FIN_WAIT2') && !(seg.flags & TCP_RST) && ((seg.seq + seg.payload.length - conn.rcvNxt) | 0) > 0) {
      // Data for a socket whose application has gone: nothing will read it (tcp_reset, then tcp_v4_send_reset).
      w.drop(skb, dev.where, 'tcp-reset', `the application holding TCP ${at.socket} has exited (${conn.state}): new data is answered with RST`);
      this.forget(conn);
      this.resetFor(ip, seg, skb);
      return;
    }
    if (conn) {
      w.deliver(skb, dev.where, 'tcp', at.socket, at.src, at.sport);
      this.tcpEstablishedRcv(conn, seg, skb);
      return;
    }
    if (seg.flags & TCP_RST) return w.deliver(skb, dev.where, 'tcp', at.socket, at.src, at.sport); // RST for nothing: ignored
    // tcp_v4_conn_request drops a SYN routed as a broadcast; tcp_v4_send_reset sends no RST for it (its route is not RTN_LOCAL).
    if (this.ns.stack.routedAsBroadcast(ip.dst)) return w.drop(skb, dev.where, 'broadcast-ignored', `TCP to the broadcast ${formatIpv4(ip.dst)}: no connection and no RST`);
    // __inet_lookup_listener: a socket bound to one address takes only SYNs to that address.
    if (seg.flags & TCP_SYN && !(seg.flags & TCP_ACK) && this.tcpListen.has(seg.dstPort) && (this.tcpListenAddrs.get(seg.dstPort)?.includes(ip.dst) ?? true)) {
      w.deliver(skb, dev.where, 'tcp', at.socket, at.src, at.sport);
      const child: TcpConn = {
        local: ip.dst,
        lport: seg.dstPort,
        remote: ip.src,
        rport: seg.srcPort,
        state: 'SYN_RECV',
        sndNxt: this.ns.rng.nextU32(),
        rcvNxt: (seg.seq + 1) >>> 0,
        tsOffset: this.ns.rng.nextU32(),
        tsRecent: tcpTsVal(seg.options) ?? 0,
        ipId: 0,
        pendingPayload: 0,
        flow: skb.flow,
        advmss: (this.ns.stack.mtuFor(ip.src) ?? 1500) - 40,
        // tcp_openreq_init: the peer's announced MSS clamps ours (536 when its SYN names none).
        mss: Math.min((this.ns.stack.mtuFor(ip.src) ?? 1500) - 40, tcpMssOption(seg.options) ?? TCP_MSS_DEFAULT),
        ...newTimers(this.ns.world.sched.now),
        server: true,
      };
      const accept = this.tcpListen.get(seg.dstPort);
      if (accept) child.app = accept(this.stream(child));
      this.tcpConns.set(connKey(child.local, child.lport, child.remote, child.rport), child);
      this.ns.world.holds.hold(child, child.flow);
      this.tcpSend(child, TCP_SYN | TCP_ACK, 0, 'tcp', skb.id);
      return;
    }
    // No socket: answer with a reset (tcp_v4_send_reset).
    w.drop(skb, dev.where, 'tcp-reset', `nothing listens on TCP ${formatIpv4(ip.dst)}:${seg.dstPort}`);
    this.resetFor(ip, seg, skb);
  }

  /**
   * Answer a TCP segment with a RST from its destination, as tcp_v4_send_reset
   * and netfilter's REJECT --reject-with tcp-reset (nf_send_reset) both do.
   */
  sendReset(ip: Ipv4Packet, cause: Skb): void {
    const r = decodeTcp(ip.payload, ip.src, ip.dst);
    if (r.ok && !(r.value.flags & TCP_RST)) this.resetFor(ip, r.value, cause);
  }

  private resetFor(ip: Ipv4Packet, seg: TcpSegment, cause: Skb): void {
    const rst: TcpSegment =
      seg.flags & TCP_ACK
        ? { srcPort: seg.dstPort, dstPort: seg.srcPort, seq: seg.ack, ack: 0, flags: TCP_RST, window: 0, payload: new Uint8Array(0) }
        : { srcPort: seg.dstPort, dstPort: seg.srcPort, seq: 0, ack: (seg.seq + seg.payload.length + (seg.flags & TCP_SYN ? 1 : 0)) >>> 0, flags: TCP_RST | TCP_ACK, window: 0, payload: new Uint8Array(0) };
    this.emit({ tos: 0, id: 0, df: true, mf: false, fragmentOffset: 0, ttl: 64, protocol: IPPROTO_TCP, src: ip.dst, dst: ip.src, payload: encodeTcp(rst, ip.dst, ip.src) }, 'tcp', cause.flow, cause.id);
  }

  private tcpEstablishedRcv(conn: TcpConn, seg: TcpSegment, skb: Skb): void {
    conn.tsRecent = tcpTsVal(seg.options) ?? conn.tsRecent;
    // Anything from the peer shows it is alive: the keep-alive idle time starts again (tcp_ack: icsk_probes_out = 0).
    conn.lastRcvNs = this.ns.world.sched.now;
    conn.kaProbes = 0;
    if (seg.flags & TCP_RST) {
      this.tcpEnd(conn, 'reset', `RST from ${formatIpv4(conn.remote)}:${conn.rport}${conn.state === 'SYN_SENT' ? ' (connection refused)' : ' (connection reset by peer)'}`, skb.id);
      return;
    }
    if (conn.state === 'SYN_RECV' && seg.flags & TCP_SYN && !(seg.flags & TCP_ACK)) {
      // The client did not get our SYN-ACK and sent its SYN again: answer it again (tcp_check_req).
      this.tcpSend(conn, TCP_SYN | TCP_ACK, 0, 'tcp', skb.id, 64, (conn.sndNxt - 1) >>> 0);
      return;
    }
    if (seg.flags & TCP_ACK) this.tcpAck(conn, seg.ack, skb.id);
    if (conn.state === 'SYN_SENT' && seg.flags & TCP_SYN && seg.flags & TCP_ACK) {
      conn.state = 'ESTABLISHED';
      conn.rcvNxt = (seg.seq + 1) >>> 0;
      // tcp_rcv_synsent_state_process: the SYN-ACK's MSS clamps ours (tcp_sync_mss), as TCP_MAXSEG then shows.
      conn.mss = Math.min(conn.mss, tcpMssOption(seg.options) ?? TCP_MSS_DEFAULT);
      this.tcpEvent(conn, 'established', 'three-way handshake done', skb.id);
      this.tcpSend(conn, TCP_ACK, 0, 'tcp', skb.id);
      // Then the request data, in MSS-sized segments sent back to back. Like
      // tcp_current_mss, a segment's data is the MSS minus the options every
      // segment carries (timestamps: 12 bytes), so a full segment fills the MTU.
      let left = conn.pendingPayload;
      conn.pendingPayload = 0;
      const segmentData = conn.mss - TCP_TS_OPTION_BYTES;
      while (left > 0) {
        const n = Math.min(left, segmentData);
        this.tcpSend(conn, TCP_PSH | TCP_ACK, n, 'tcp', skb.id);
        left -= n;
      }
      if (conn.pendingData) {
        const data = conn.pendingData;
        delete conn.pendingData;
        this.writeSegments(conn, data, 'tcp', skb.id);
      }
      if (conn.keepAlive) this.armKeepalive(conn, conn.keepAlive.idleNs);
      this.checkComplete(conn, skb.id);
      conn.app?.opened?.(this.stream(conn), skb);
      return;
    }
    if (conn.state === 'SYN_RECV' && seg.flags & TCP_ACK) {
      conn.state = 'ESTABLISHED';
      conn.confirmNeigh = true; // tcp_ack: our SYN-ACK acknowledged (FLAG_SYN_ACKED) is forward progress
    }
    if (seg.payload.length === 0 && !(seg.flags & TCP_FIN) && ((seg.seq - conn.rcvNxt) | 0) < 0) {
      // A segment below the window (a keep-alive probe: seq = snd_una - 1): tcp_send_dupack answers with an ACK.
      this.tcpSend(conn, TCP_ACK, 0, 'tcp', skb.id);
      return;
    }
    if (seg.payload.length > 0) {
      // In order: take it and whatever the out-of-order queue held right after it; ahead of a hole: queue it.
      // Either way ACK what is contiguous (a duplicate ACK when there is a hole).
      const end = (seg.seq + seg.payload.length) >>> 0;
      // What the application may read now, in order (an application's bytes wait behind a hole too).
      const readable: Uint8Array[] = [];
      if (seg.seq === conn.rcvNxt) {
        conn.rcvNxt = end;
        readable.push(seg.payload);
        for (let next = conn.ofo.get(conn.rcvNxt); next !== undefined; next = conn.ofo.get(conn.rcvNxt)) {
          const held = conn.ofoData?.get(conn.rcvNxt);
          if (held) readable.push(held);
          conn.ofoData?.delete(conn.rcvNxt);
          conn.ofo.delete(conn.rcvNxt);
          conn.rcvNxt = next;
        }
      } else if (((seg.seq - conn.rcvNxt) | 0) > 0) {
        conn.ofo.set(seg.seq, end);
        if (conn.app) (conn.ofoData ??= new Map()).set(seg.seq, seg.payload);
      }
      // A server that answers writes its reply once the request is in: the ACK rides on the data (no bare ACK first).
      const n = conn.server && conn.ofo.size === 0 && conn.answered !== skb.flow ? this.ns.world.serverReply?.(skb.flow, 'TCP') : undefined;
      if (n === undefined || n === 0) {
        this.tcpSend(conn, TCP_ACK, 0, 'tcp', skb.id);
      } else {
        conn.answered = skb.flow;
        const segmentData = conn.mss - TCP_TS_OPTION_BYTES;
        for (let left = n; left > 0; left -= segmentData) this.tcpSend(conn, TCP_PSH | TCP_ACK, Math.min(left, segmentData), 'server', skb.id);
      }
      for (const bytes of readable) conn.app?.data?.(this.stream(conn), bytes, skb);
    }
    if (seg.flags & TCP_FIN) this.tcpFin(conn, seg, skb);
  }

  /**
   * tcp_fin: the peer closed its side. In order only (a FIN behind a hole waits for the retransmission).
   * The applications here close on end of file, so a passive closer answers FIN+ACK at once (LAST_ACK);
   * the side that closed first ACKs it and waits in TIME_WAIT.
   */
  private tcpFin(conn: TcpConn, seg: TcpSegment, skb: Skb): void {
    const finSeq = (seg.seq + seg.payload.length) >>> 0;
    if (finSeq !== conn.rcvNxt) {
      // TIME_WAIT: the peer did not get our last ACK and resent its FIN; ACK it again.
      if (conn.state === 'TIME_WAIT' && ((finSeq + 1) >>> 0) === conn.rcvNxt) this.tcpSend(conn, TCP_ACK, 0, 'tcp', skb.id);
      return;
    }
    conn.rcvNxt = (finSeq + 1) >>> 0;
    if (conn.state === 'ESTABLISHED') {
      conn.state = 'CLOSE_WAIT';
      if (!conn.server) this.tcpEvent(conn, 'closed', 'the peer closed (FIN): end of file; the application closes in turn (LAST_ACK)', skb.id);
      this.tcpClose(conn, skb.id);
      return;
    }
    this.tcpSend(conn, TCP_ACK, 0, 'tcp', skb.id);
    if (conn.state === 'FIN_WAIT1') conn.state = conn.inflight.length === 0 ? 'TIME_WAIT' : 'CLOSING';
    else if (conn.state === 'FIN_WAIT2') conn.state = 'TIME_WAIT';
    if (conn.state === 'TIME_WAIT') this.timeWait(conn, skb.id);
  }

  /** close(): send our FIN (with the ACK) once, ESTABLISHED -> FIN_WAIT1 or CLOSE_WAIT -> LAST_ACK. */
  private tcpClose(conn: TcpConn, cause: number | undefined): void {
    if (conn.state !== 'ESTABLISHED' && conn.state !== 'CLOSE_WAIT') return;
    conn.state = conn.state === 'ESTABLISHED' ? 'FIN_WAIT1' : 'LAST_ACK';
    conn.kaGen++;
    const pkt = this.tcpSend(conn, TCP_FIN | TCP_ACK, 0, 'tcp', cause);
    if (conn.state === 'FIN_WAIT1' && !conn.server) this.tcpEvent(conn, 'close', 'the application closed: FIN sent (FIN_WAIT1)', pkt ?? 0);
  }

  /** Our FIN was acknowledged: FIN_WAIT1 -> FIN_WAIT2, CLOSING -> TIME_WAIT, LAST_ACK -> gone. */
  private finAcked(conn: TcpConn, pkt: number): void {
    if (conn.state === 'FIN_WAIT1') conn.state = 'FIN_WAIT2';
    else if (conn.state === 'CLOSING') {
      conn.state = 'TIME_WAIT';
      this.timeWait(conn, pkt);
    } else if (conn.state === 'LAST_ACK') this.forget(conn);
  }

  /** Both FINs exchanged: the socket keeps its ports for TCP_TIMEWAIT_LEN, then goes. */
  private timeWait(conn: TcpConn, pkt: number): void {
    conn.timerGen++;
    if (!conn.server) this.tcpEvent(conn, 'closed', `FIN exchanged: TIME_WAIT for ${TCP_TIMEWAIT_NS / 1e9} s`, pkt);
    this.ns.world.sched.after(TCP_TIMEWAIT_NS, () => {
      if (conn.state === 'TIME_WAIT' && !conn.dead) this.forget(conn);
    });
  }

  private forget(conn: TcpConn): void {
    conn.dead = true;
    conn.timerGen++;
    conn.kaGen++;
    const k = connKey(conn.local, conn.lport, conn.remote, conn.rport);
    if (this.tcpConns.get(k) === conn) this.tcpConns.delete(k);
    this.ns.world.holds.free(conn);
  }

  private armKeepalive(conn: TcpConn, delayNs: number): void {
    const gen = ++conn.kaGen;
    this.ns.world.sched.after(delayNs, () => {
      if (gen === conn.kaGen && !conn.dead) this.keepaliveTimer(conn);
    });
  }

  /**
   * tcp_keepalive_timer: after `idle` without a segment from the peer, probe it (an ACK with
   * seq = snd_una - 1, which the peer answers with an ACK) every `interval`; after `probes`
   * unanswered probes the connection is dead (ETIMEDOUT). Not while data is in flight: the
   * retransmission timer watches the peer then.
   */
  private keepaliveTimer(conn: TcpConn): void {
    const ka = conn.keepAlive!;
    if (conn.state !== 'ESTABLISHED') return;
    if (conn.inflight.length > 0) return this.armKeepalive(conn, ka.idleNs);
    const idle = this.ns.world.sched.now - conn.lastRcvNs;
    if (idle < ka.idleNs) return this.armKeepalive(conn, ka.idleNs - idle);
    if (conn.kaProbes >= ka.probes) {
      // tcp_keepalive_timer: tcp_send_active_reset (RST|ACK at snd_nxt: the peer, if it hears it, and conntrack
      // on the way learn the connection is gone), then tcp_write_err (ETIMEDOUT to the application).
      const rst = this.tcpSend(conn, TCP_RST | TCP_ACK, 0, 'tcp');
      this.tcpEnd(conn, 'timeout', `keep-alive: ${ka.probes} probes unanswered (tcp_keepalive_probes): RST sent, ETIMEDOUT`, rst ?? 0);
      return;
    }
    conn.kaProbes++;
    const pkt = this.tcpSend(conn, TCP_ACK, 0, 'tcp', undefined, 64, (conn.sndNxt - 1) >>> 0);
    this.tcpEvent(conn, 'keepalive', `probe ${conn.kaProbes}/${ka.probes} after ${idle / 1e9} s idle; next in ${ka.intervalNs / 1e9} s`, pkt ?? 0);
    this.armKeepalive(conn, ka.intervalNs);
  }

  private tcpSend(conn: TcpConn, flags: number, data: number | Uint8Array, by: 'app' | 'tcp' | 'server', cause?: number, ttl = 64, resendSeq?: number): number | undefined {
    const len = typeof data === 'number' ? data : data.length;
    const tsVal = (conn.tsOffset + Math.floor(this.ns.world.sched.now / 1e6)) >>> 0;
    const syn = (flags & TCP_SYN) !== 0;
    // Linux's SYN and SYN-ACK carry MSS, SACK-permitted, timestamps and window scale.
    const options = syn ? tcpSynOptions(conn.advmss, tsVal, 7, conn.tsRecent) : tcpTsOption(tsVal, conn.tsRecent);
    const seg: TcpSegment = {
      srcPort: conn.lport,
      dstPort: conn.rport,
      seq: resendSeq ?? conn.sndNxt,
      ack: flags & TCP_ACK ? conn.rcvNxt : 0,
      flags,
      // The SYN-ACK's window counts the timestamps the SYN asked for (tcp_openreq_init_rwin); the SYN's does not.
      window: syn ? tcpSynWindow(flags & TCP_ACK ? conn.advmss - TCP_TS_OPTION_BYTES : conn.advmss) : 502,
      options,
      payload: typeof data === 'number' ? new Uint8Array(len) : data,
    };
    const id = conn.ipId;
    conn.ipId = (conn.ipId + 1) & 0xffff;
    const fin = (flags & TCP_FIN) !== 0;
    const tracked = resendSeq === undefined && (len > 0 || (syn && !(flags & TCP_ACK)) || fin);
    if (resendSeq === undefined) conn.sndNxt = (conn.sndNxt + len + (syn || fin ? 1 : 0)) >>> 0;
    const pkt = this.emit({ tos: 0, id, df: true, mf: false, fragmentOffset: 0, ttl, protocol: IPPROTO_TCP, src: conn.local, dst: conn.remote, payload: encodeTcp(seg, conn.local, conn.remote) }, by, conn.flow, cause, len > 0);
    if (conn.confirmNeigh) {
      // ip_finish_output2 -> sock_confirm_neigh: the next hop's entry is confirmed (neigh->confirmed), so its
      // timers keep it REACHABLE without ARP probes while the connection makes progress.
      conn.confirmNeigh = false;
      this.ns.stack.confirmNeighbour(conn.remote);
    }
    const refused = this.sendErrno;
    if (refused !== undefined && syn && !(flags & TCP_ACK) && resendSeq === undefined) {
      // tcp_v4_connect: route output refused the destination (ip_route_connect), so connect() fails at once
      // with its error; no SYN is retransmitted.
      this.tcpEnd(conn, 'unreachable', `connect() failed with ${refused} (${ERRNO_TEXT[refused]})`, pkt ?? 0);
      return pkt;
    }
    if (tracked) {
      // The client's SYN and data wait for their ACK under the retransmission timer.
      conn.inflight.push({ seq: seg.seq, end: conn.sndNxt, flags, len, ttl, sentNs: this.ns.world.sched.now, retransmitted: false, pkt, ...(typeof data === 'number' ? {} : { data }) });
      if (conn.inflight.length === 1) this.armRto(conn);
    }
    return pkt;
  }

  /** An ACK arrived: forget what it covers, take an RTT sample (Karn), re-arm or stop the timer (tcp_ack, tcp_rearm_rto). */
  private tcpAck(conn: TcpConn, ack: number, pkt: number): void {
    const now = this.ns.world.sched.now;
    let acked = 0;
    while (conn.inflight.length > 0 && ((ack - conn.inflight[0]!.end) | 0) >= 0) {
      const u = conn.inflight.shift()!;
      if (acked++ === 0 && !u.retransmitted) this.rttSample(conn, now - u.sentNs);
    }
    if (acked === 0) return;
    // tcp_ack -> sk_dst_confirm: forward progress shows the path works; the next segment out confirms the neighbour.
    conn.confirmNeigh = true;
    conn.backoff = 0;
    if (conn.inflight.length > 0) this.armRto(conn);
    else conn.timerGen++;
    if (conn.state === 'ESTABLISHED') this.checkComplete(conn, pkt);
    else if (conn.inflight.length === 0) this.finAcked(conn, pkt);
  }

  private checkComplete(conn: TcpConn, pkt: number): void {
    if (conn.done || conn.inflight.length > 0 || conn.pendingPayload > 0 || conn.state !== 'ESTABLISHED' || conn.flow === undefined) return;
    conn.done = true;
    this.tcpEvent(conn, 'complete', 'every byte of the request acknowledged', pkt);
    const after = conn.closeAfterNs;
    if (after === undefined) return;
    // The application closes once it has read what arrived (the kernel ACKs that first), or later when
    // the connection has been idle that long (a pool's idle timeout); a new request re-arms it.
    const gen = ++conn.closeGen;
    this.ns.world.sched.after(after, () => {
      if (gen === conn.closeGen && !conn.dead) this.tcpClose(conn, after === 0 ? pkt : undefined);
    });
  }

  /** tcp_rtt_estimator + tcp_set_rto: RTO = SRTT + max(4·RTTVAR, TCP_RTO_MIN), at most TCP_RTO_MAX. */
  private rttSample(conn: TcpConn, rttNs: number): void {
    if (conn.srttNs === 0) {
      conn.srttNs = rttNs;
      conn.rttvarNs = rttNs / 2;
    } else {
      conn.rttvarNs = 0.75 * conn.rttvarNs + 0.25 * Math.abs(conn.srttNs - rttNs);
      conn.srttNs = 0.875 * conn.srttNs + 0.125 * rttNs;
    }
    conn.rtoNs = Math.min(TCP_TIMERS.maxRtoNs, Math.round(conn.srttNs + Math.max(4 * conn.rttvarNs, TCP_TIMERS.minRtoNs)));
  }

  /**
   * The timer's current length: the RTO doubled per retransmission, except a SYN's first
   * tcp_syn_linear_timeouts retransmissions, which keep it (tcp_retransmit_timer from Linux 6.5).
   */
  private rtoDelay(conn: TcpConn): number {
    const doublings = conn.state === 'SYN_SENT' ? Math.max(0, conn.backoff - this.ns.kernel.synLinearTimeouts) : conn.backoff;
    return Math.min(TCP_TIMERS.maxRtoNs, conn.rtoNs * 2 ** doublings);
  }

  private armRto(conn: TcpConn): void {
    const gen = ++conn.timerGen;
    const delay = this.rtoDelay(conn);
    this.ns.world.sched.after(delay, () => {
      if (gen !== conn.timerGen || conn.dead) return;
      this.retransmit(conn);
    });
  }

  /** tcp_retransmit_timer: resend the oldest unacknowledged segment and back off, or give up after the retries. */
  private retransmit(conn: TcpConn): void {
    const head = conn.inflight[0];
    if (!head) return;
    const syn = (head.flags & TCP_SYN) !== 0;
    // tcp_write_timeout: a SYN's linear retries come on top of tcp_syn_retries. (Its time bound, 127 s from
    // the first SYN, is checked at the same timers and is never reached first with these defaults.)
    const linear = syn ? this.ns.kernel.synLinearTimeouts : 0;
    const limit = syn ? TCP_TIMERS.synRetries + linear : conn.orphan ? TCP_TIMERS.orphanRetries : TCP_TIMERS.retries2;
    if (conn.backoff >= limit && conn.orphan) {
      // tcp_write_timeout on a SOCK_DEAD socket: it is done, with no application left to tell.
      this.forget(conn);
      return;
    }
    if (conn.backoff >= limit) {
      const what = syn ? `connect() timed out: no SYN-ACK after ${limit} retries (tcp_syn_retries ${TCP_TIMERS.synRetries}${linear ? ` + tcp_syn_linear_timeouts ${linear}` : ''})` : `no ACK after ${limit} retransmissions (tcp_retries2): ETIMEDOUT`;
      this.tcpEnd(conn, 'timeout', what, head.pkt ?? 0);
      return;
    }
    conn.backoff++;
    head.retransmitted = true;
    const pkt = this.tcpSend(conn, head.flags, head.data ?? head.len, 'tcp', head.pkt, head.ttl, head.seq);
    const delay = this.rtoDelay(conn);
    this.tcpEvent(conn, 'retransmit', `${syn ? 'SYN' : head.flags & TCP_FIN ? 'FIN' : `${head.len} B at seq ${head.seq}`} resent (retry ${conn.backoff}/${limit}); next timeout in ${delay / 1e9} s`, pkt ?? 0);
    this.armRto(conn);
  }

  /** The connection is over for its owner: forget it, stop its timers, trace why. */
  private tcpEnd(conn: TcpConn, action: 'reset' | 'timeout' | 'gave-up' | 'refused' | 'unreachable', detail: string, pkt: number): void {
    conn.dead = true;
    conn.timerGen++;
    this.tcpConns.delete(connKey(conn.local, conn.lport, conn.remote, conn.rport));
    if (conn.flow !== undefined || action !== 'reset') this.tcpEvent(conn, action, detail, pkt);
    if (action !== 'gave-up') conn.app?.failed?.(action, detail);
    this.ns.world.holds.free(conn);
  }

  private tcpEvent(conn: TcpConn, action: TcpEvent['action'], detail: string, pkt: number): void {
    const w = this.ns.world;
    w.emit({ kind: 'tcp', t: w.sched.now, pkt, at: this.ns.name, action, ...(conn.flow === undefined ? {} : { flow: conn.flow }), conn: `${formatIpv4(conn.local)}:${conn.lport} > ${formatIpv4(conn.remote)}:${conn.rport}`, detail });
  }

  /** `userData`: the bytes came from an application's write (a TCP data segment), not the kernel. */
  private emit(ip: Ipv4Packet, by: 'app' | 'icmp' | 'tcp' | 'sctp' | 'udp' | 'server', flow: string | undefined, cause?: number, userData = false): number | undefined {
    return this.emitBytes(writeIpv4(ip, packetBytes(ipv4Length(ip))), ip, by, flow, cause, userData);
  }

  /**
   * A new packet of `bytes` (from `packetBytes`: headroom in front) sent from
   * here; `ip` is what they carry — `decoded` when it is exactly what
   * `decodeIpv4` reads from them, so no later hop decodes them again.
   */
  private emitBytes(bytes: Uint8Array, ip: Ipv4Packet, by: 'app' | 'icmp' | 'tcp' | 'sctp' | 'udp' | 'server', flow: string | undefined, cause?: number, userData = false): number | undefined {
    const skb = this.ns.world.newSkb(bytes, this.ns.name, by, flow, cause, true);
    return this.sent(skb, by === 'app' || userData, ip);
  }

  /**
   * A new packet of this namespace's (its bytes from `packetBytes` or `packetRoom`) goes
   * out: its room given, its costs counted, then ip_queue_xmit. `ip`: its header, unless
   * the skb knows it (`skb.ip`).
   */
  private sent(skb: Skb, userData: boolean, ip: Ipv4Packet = skb.ip!): number {
    // The create event reads these bytes, not the free ones in front: the link layer's header goes there.
    giveHeadroom(skb);
    const w = this.ns.world;
    if (w.costs) {
      // Cost model: the sender's system call (sendto/write copies the payload in), then ip_output's routing.
      if (userData) addCost(skb, w.costs.syscall, skb.len);
      addCost(skb, w.costs.routing, skb.len);
    }
    this.sendErrno = this.ns.stack.sendLocal(skb, ip);
    return skb.id;
  }

  /** What route output answered the last packet `sent` handed it: the error the socket got, if it refused it. */
  private sendErrno: OutputErrno | undefined = undefined;
}

/** strerror() of the errors route output gives a socket. */
const ERRNO_TEXT: Record<OutputErrno, string> = { ENETUNREACH: 'Network is unreachable', EHOSTUNREACH: 'No route to host', EINVAL: 'Invalid argument', EACCES: 'Permission denied' };

/** What the UDP port tables said about `port` when they had seen `changes` changes (Sockets.udpPort). */
interface UdpPortLookup {
  port: number;
  changes: number;
  tunnel: ((skb: Skb, ip: Ipv4Packet, payload: Uint8Array) => void) | undefined;
  handler: UdpHandler | undefined;
  bound: boolean;
  listens: boolean;
}

/** A connected UDP socket: its source port and the headers of its datagrams. */
interface ConnectedUdp {
  dst: number;
  dport: number;
  sport: number;
  /** The port bind() was given before connect(), if any (else `sport` is an ephemeral one). */
  bound: number | undefined;
  template: UdpTemplate | undefined;
  /** sk_err: a hard ICMP error about an earlier datagram, returned by (and cleared at) the next send() (`sendFailed`); and what it came from. */
  err: UdpErrno | undefined;
  errWhy: string;
}

function newTimers(nowNs: number): Pick<TcpConn, 'inflight' | 'rtoNs' | 'backoff' | 'timerGen' | 'srttNs' | 'rttvarNs' | 'done' | 'dead' | 'ofo' | 'lastRcvNs' | 'kaProbes' | 'kaGen' | 'closeGen'> {
  return { inflight: [], rtoNs: TCP_TIMERS.initialRtoNs, backoff: 0, timerGen: 0, srttNs: 0, rttvarNs: 0, done: false, dead: false, ofo: new Map(), lastRcvNs: nowNs, kaProbes: 0, kaGen: 0, closeGen: 0 };
}

/** Length of the timestamps option as Linux pads it (NOP, NOP, TS 10 bytes). */
const TCP_TS_OPTION_BYTES = 12;

function connKey(local: number, lport: number, remote: number, rport: number): string {
  return `${local}:${lport}-${remote}:${rport}`;
}

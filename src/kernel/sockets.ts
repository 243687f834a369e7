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
import { encodeIpv4, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, type Ipv4Packet } from '../wire/ipv4.js';
import { decodeTcp, encodeTcp, TCP_ACK, TCP_PSH, TCP_RST, TCP_SYN, tcpSynOptions, tcpTsOption, tcpTsVal, type TcpSegment } from '../wire/tcp.js';
import { decodeUdp, encodeUdp } from '../wire/udp.js';
import { addCost } from './cost-model.js';
import type { NetDevice } from './device.js';
import type { NetNs } from './netns.js';
import type { Skb } from './skb.js';

/** Linux's net.ipv4.ip_local_port_range default. */
export const EPHEMERAL_PORTS: [number, number] = [32768, 60999];

/** What an application asks the kernel to send (one datagram, one connection, one echo). */
export interface SendRequest {
  dst: number;
  protocol: 'TCP' | 'UDP' | 'ICMP';
  port?: number;
  payload: number; // L4 payload bytes
  ttl?: number;
  flow: string;
  /** ICMP echo sequence number / distinguishes repeated sends. */
  seq?: number;
  /** TCP: write on an established connection to the same destination if there is one (keep-alive), else connect. UDP: send from one connected socket (same source port). */
  reuse?: boolean;
}

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

interface TcpConn {
  local: number;
  lport: number;
  remote: number;
  rport: number;
  state: 'SYN_SENT' | 'SYN_RECV' | 'ESTABLISHED';
  sndNxt: number;
  rcvNxt: number;
  tsOffset: number;
  /** The peer's latest TSval, echoed back in TSecr. */
  tsRecent: number;
  ipId: number;
  pendingPayload: number; // client: bytes to send once established
  flow: string | undefined;
  mss: number;
}

/**
 * Sockets of one namespace and the transport protocols behind them: UDP
 * (listeners, ICMP port unreachable), TCP (listeners, the three-way handshake,
 * one data segment and its ACK, RST for closed ports) and ICMP echo.
 */
export class Sockets {
  /** Bound UDP ports; a handler is an application that reads what arrives (a DNS server, a resolver). */
  private readonly udp = new Map<number, UdpHandler | undefined>();
  /** Kernel UDP tunnel sockets (VXLAN): they take the datagram before port lookup. */
  private readonly udpTunnels = new Map<number, (skb: Skb, ip: Ipv4Packet, payload: Uint8Array) => void>();
  private readonly tcpListen = new Set<number>();
  private readonly tcpConns = new Map<string, TcpConn>();
  /** Connected UDP sockets (`reuse`): destination `ip:port` → our source port. */
  private readonly udpConnected = new Map<string, number>();
  private nextEphemeral: number;
  private pingId: number;

  constructor(private readonly ns: NetNs) {
    this.nextEphemeral = ns.rng.int(EPHEMERAL_PORTS[0], EPHEMERAL_PORTS[1]);
    this.pingId = ns.rng.int(1, 0xffff);
  }

  addUdpTunnel(port: number, rcv: (skb: Skb, ip: Ipv4Packet, payload: Uint8Array) => void): void {
    this.udpTunnels.set(port, rcv);
  }

  listenUdp(port: number, handler?: UdpHandler): void {
    this.udp.set(port, handler);
  }

  /** bind() to a free ephemeral port with an application reading it; returns the port. */
  openUdp(handler: UdpHandler): number {
    let port = this.ephemeral();
    while (this.udp.has(port)) port = this.ephemeral();
    this.udp.set(port, handler);
    return port;
  }

  closeUdp(port: number): void {
    this.udp.delete(port);
  }

  /**
   * The applications exit (a container stops): listeners close, and so do
   * their connections, so that a later segment for one is answered with a
   * RST as for any closed port. Kernel tunnel sockets stay.
   */
  closeApplications(): void {
    this.udp.clear();
    this.tcpListen.clear();
    this.tcpConns.clear();
  }

  listenTcp(port: number): void {
    this.tcpListen.add(port);
  }

  /** Listening sockets as `ss -lntu` would list them: `udp:8080`, `tcp:80`. */
  listening(): string[] {
    return [...[...this.tcpListen].map((p) => `tcp:${p}`), ...[...this.udp.keys()].map((p) => `udp:${p}`)].sort();
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
    const payload = new Uint8Array(req.payload);
    if (req.protocol === 'UDP') {
      // reuse: one connected UDP socket for every datagram to this destination (same source port), like a metrics agent's.
      let sport: number;
      if (req.reuse) {
        const k = `${req.dst}:${req.port}`;
        let port = this.udpConnected.get(k);
        if (port === undefined || !this.udp.has(port)) {
          do port = this.ephemeral();
          while (this.udp.has(port));
          this.udp.set(port, undefined); // bound: the answers are read, not refused
          this.udpConnected.set(k, port);
        }
        sport = port;
      } else {
        sport = this.ephemeral();
      }
      const l4 = encodeUdp({ srcPort: sport, dstPort: req.port!, payload }, src, req.dst);
      // Unconnected UDP with PMTU discovery "want": DF set. Current kernels still
      // give such packets a varying IP id (measured: test/linux/reference-walk.sh);
      // the per-destination hash Linux uses is modelled as a seeded random id.
      return this.emit({ tos: 0, id: this.ns.rng.int(0, 0xffff), df: this.fitsPath(req.dst, l4.length), mf: false, fragmentOffset: 0, ttl, protocol: IPPROTO_UDP, src, dst: req.dst, payload: l4 }, 'app', req.flow);
    }
    if (req.protocol === 'ICMP') {
      const icmp = encodeIcmp({ type: ICMP_ECHO_REQUEST, code: 0, rest: ((this.pingId << 16) | ((req.seq ?? 1) & 0xffff)) >>> 0, payload });
      return this.emit({ tos: 0, id: this.ns.rng.int(0, 0xffff), df: this.fitsPath(req.dst, icmp.length), mf: false, fragmentOffset: 0, ttl, protocol: IPPROTO_ICMP, src, dst: req.dst, payload: icmp }, 'app', req.flow);
    }
    if (req.reuse) {
      const open = [...this.tcpConns.values()].find((c) => c.remote === req.dst && c.rport === req.port && c.state === 'ESTABLISHED');
      if (open) {
        open.flow = req.flow;
        return this.tcpSend(open, TCP_PSH | TCP_ACK, Math.max(1, req.payload), 'app', undefined, ttl);
      }
    }
    const conn: TcpConn = {
      local: src,
      lport: this.ephemeral(),
      remote: req.dst,
      rport: req.port!,
      state: 'SYN_SENT',
      sndNxt: this.ns.rng.nextU32(),
      rcvNxt: 0,
      tsOffset: this.ns.rng.nextU32(),
      tsRecent: 0,
      ipId: this.ns.rng.int(0, 0xffff),
      pendingPayload: req.payload,
      flow: req.flow,
      mss: (this.ns.stack.mtuFor(req.dst) ?? 1500) - 40,
    };
    this.tcpConns.set(connKey(conn.local, conn.lport, conn.remote, conn.rport), conn);
    return this.tcpSend(conn, TCP_SYN, 0, 'app', undefined, ttl);
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
  sendDatagram(sport: number, dst: number, dport: number, payload: Uint8Array, cause: Skb | { flow: string | undefined; id?: number }, src?: number): number | undefined {
    const from = src ?? this.ns.stack.sourceFor(dst) ?? 0;
    const l4 = encodeUdp({ srcPort: sport, dstPort: dport, payload }, from, dst);
    return this.emit({ tos: 0, id: this.ns.rng.int(0, 0xffff), df: this.fitsPath(dst, l4.length), mf: false, fragmentOffset: 0, ttl: 64, protocol: IPPROTO_UDP, src: from, dst, payload: l4 }, 'app', cause.flow, cause.id);
  }

  /** A packet for one of our addresses, after reassembly (ip_local_deliver_finish). */
  rcv(dev: NetDevice, skb: Skb, ip: Ipv4Packet): void {
    const w = this.ns.world;
    switch (ip.protocol) {
      case IPPROTO_UDP: {
        const r = decodeUdp(ip.payload, ip.src, ip.dst);
        if (!r.ok) return w.drop(skb, dev.where, 'malformed', r.error);
        const u = r.value;
        const tunnel = this.udpTunnels.get(u.dstPort);
        if (tunnel) return tunnel(skb, ip, u.payload);
        if (this.udp.has(u.dstPort)) {
          w.deliver(skb, dev.where, 'udp', { socket: `${formatIpv4(ip.dst)}:${u.dstPort}`, src: formatIpv4(ip.src), sport: u.srcPort });
          this.udp.get(u.dstPort)?.({ payload: u.payload, src: ip.src, sport: u.srcPort, dst: ip.dst, dport: u.dstPort }, skb);
          return;
        }
        this.ns.stack.icmpError(skb.data, ICMP_DEST_UNREACH, UNREACH_PORT, skb);
        w.drop(skb, dev.where, 'port-unreachable', `nothing listens on UDP ${formatIpv4(ip.dst)}:${u.dstPort}`);
        return;
      }
      case IPPROTO_TCP:
        return this.tcpRcv(dev, skb, ip);
      case IPPROTO_ICMP:
        return this.icmpRcv(dev, skb, ip);
      default:
        this.ns.stack.icmpError(skb.data, ICMP_DEST_UNREACH, UNREACH_PROTOCOL, skb);
        w.drop(skb, dev.where, 'no-handler', `no handler for IP protocol ${ip.protocol}`);
    }
  }

  private icmpRcv(dev: NetDevice, skb: Skb, ip: Ipv4Packet): void {
    const w = this.ns.world;
    const r = decodeIcmp(ip.payload);
    if (!r.ok) return w.drop(skb, dev.where, 'malformed', r.error);
    const m = r.value;
    if (m.type === ICMP_ECHO_REQUEST) {
      w.deliver(skb, dev.where, 'icmp', { socket: 'icmp echo', src: formatIpv4(ip.src) });
      const reply = encodeIcmp({ type: ICMP_ECHO_REPLY, code: 0, rest: m.rest, payload: m.payload });
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
    w.deliver(skb, dev.where, 'icmp', { socket: m.type === ICMP_ECHO_REPLY ? 'ping' : 'error queue', src: formatIpv4(ip.src) });
  }

  private tcpRcv(dev: NetDevice, skb: Skb, ip: Ipv4Packet): void {
    const w = this.ns.world;
    const r = decodeTcp(ip.payload, ip.src, ip.dst);
    if (!r.ok) return w.drop(skb, dev.where, 'malformed', r.error);
    const seg = r.value;
    const at = { socket: `${formatIpv4(ip.dst)}:${seg.dstPort}`, src: formatIpv4(ip.src), sport: seg.srcPort };
    const conn = this.tcpConns.get(connKey(ip.dst, seg.dstPort, ip.src, seg.srcPort));
    if (conn) {
      w.deliver(skb, dev.where, 'tcp', at);
      this.tcpEstablishedRcv(conn, seg, skb);
      return;
    }
    if (seg.flags & TCP_RST) return w.deliver(skb, dev.where, 'tcp', at); // RST for nothing: ignored
    if (seg.flags & TCP_SYN && !(seg.flags & TCP_ACK) && this.tcpListen.has(seg.dstPort)) {
      w.deliver(skb, dev.where, 'tcp', at);
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
        mss: (this.ns.stack.mtuFor(ip.src) ?? 1500) - 40,
      };
      this.tcpConns.set(connKey(child.local, child.lport, child.remote, child.rport), child);
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
    if (seg.flags & TCP_RST) {
      this.tcpConns.delete(connKey(conn.local, conn.lport, conn.remote, conn.rport));
      return;
    }
    if (conn.state === 'SYN_SENT' && seg.flags & TCP_SYN && seg.flags & TCP_ACK) {
      conn.state = 'ESTABLISHED';
      conn.rcvNxt = (seg.seq + 1) >>> 0;
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
      return;
    }
    if (conn.state === 'SYN_RECV' && seg.flags & TCP_ACK) conn.state = 'ESTABLISHED';
    if (seg.payload.length > 0) {
      conn.rcvNxt = (seg.seq + seg.payload.length) >>> 0;
      this.tcpSend(conn, TCP_ACK, 0, 'tcp', skb.id);
    }
  }

  private tcpSend(conn: TcpConn, flags: number, len: number, by: 'app' | 'tcp', cause?: number, ttl = 64): number | undefined {
    const tsVal = (conn.tsOffset + Math.floor(this.ns.world.sched.now / 1e6)) >>> 0;
    const syn = (flags & TCP_SYN) !== 0;
    // Linux's SYN and SYN-ACK carry MSS, SACK-permitted, timestamps and window scale.
    const options = syn ? tcpSynOptions(conn.mss, tsVal, 7, conn.tsRecent) : tcpTsOption(tsVal, conn.tsRecent);
    const seg: TcpSegment = {
      srcPort: conn.lport,
      dstPort: conn.rport,
      seq: conn.sndNxt,
      ack: flags & TCP_ACK ? conn.rcvNxt : 0,
      flags,
      window: syn ? (flags & TCP_ACK ? 65160 : 64240) : 502,
      options,
      payload: new Uint8Array(len),
    };
    conn.sndNxt = (conn.sndNxt + len + (syn ? 1 : 0)) >>> 0;
    const id = conn.ipId;
    conn.ipId = (conn.ipId + 1) & 0xffff;
    return this.emit({ tos: 0, id, df: true, mf: false, fragmentOffset: 0, ttl, protocol: IPPROTO_TCP, src: conn.local, dst: conn.remote, payload: encodeTcp(seg, conn.local, conn.remote) }, by, conn.flow, cause, len > 0);
  }

  /** `userData`: the bytes came from an application's write (a TCP data segment), not the kernel. */
  private emit(ip: Ipv4Packet, by: 'app' | 'icmp' | 'tcp' | 'udp', flow: string | undefined, cause?: number, userData = false): number | undefined {
    const bytes = encodeIpv4(ip);
    const w = this.ns.world;
    const skb = w.newSkb(bytes, this.ns.name, by, flow, cause, true);
    if (w.costs) {
      // Cost model: the sender's system call (sendto/write copies the payload in), then ip_output's routing.
      if (by === 'app' || userData) addCost(skb, w.costs.syscall, bytes.length);
      addCost(skb, w.costs.routing, bytes.length);
    }
    this.ns.stack.sendLocal(skb, ip);
    return skb.id;
  }
}

/** Length of the timestamps option as Linux pads it (NOP, NOP, TS 10 bytes). */
const TCP_TS_OPTION_BYTES = 12;

function connKey(local: number, lport: number, remote: number, rport: number): string {
  return `${local}:${lport}-${remote}:${rport}`;
}

import { formatIpv4 } from '../../wire/addr.js';
import { decodeIpv4, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, type Ipv4Packet } from '../../wire/ipv4.js';
import { readTuple, rewriteAddrs, rewriteIcmpError, type AddrChange } from '../../wire/l4-rewrite.js';
import type { CtEntry } from '../conntrack/conntrack.js';
import type { IpvsConnView, IpvsTouch, NfPacket } from '../netfilter/types.js';
import type { NetNs } from '../netns.js';
import type { Skb } from '../skb.js';
import { schedule, type Dest, type SchedState, type SchedulerName } from './schedulers.js';
import { IPPROTO_SCTP, SCTP_INIT } from '../../wire/sctp.js';
import { TCP_SYN } from '../../wire/tcp.js';
import { nextSctpIpvsState, SCTP_TIMEOUT_S, type IpvsSctpState } from './sctp-states.js';
import { isActive, nextTcpState, TCP_TIMEOUT_S, type IpvsTcpState } from './tcp-states.js';
import { stateEpoch } from '../fastpath/state-epoch.js';

/** A virtual service: `ipvsadm -A -t VIP:PORT -s SCHED [-p TIMEOUT]`. */
export interface VirtualService {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  vip: number;
  port: number;
  scheduler: SchedulerName;
  /** Persistence timeout in seconds (`-p`), for session affinity; absent = none. */
  persistentSec?: number;
  dests: Dest[];
  state: SchedState;
}

/** One IPVS connection entry (`ipvsadm -Lnc`): client → VIP → real server. */
interface Conn {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  cip: number;
  cport: number;
  vip: number;
  vport: number;
  dest: Dest;
  /** IPVS's TCP state (tcp-states.ts); `UDP` for UDP; SCTP's (sctp-states.ts); `NONE` for a template. */
  state: IpvsTcpState | 'UDP' | IpvsSctpState;
  /** Counted in its real server's InActConn rather than ActiveConn (IP_VS_CONN_F_INACTIVE). */
  inactive: boolean;
  expiresNs: number;
  /**
   * The conntrack entry this connection controls (net.ipv4.vs.conntrack = 1,
   * IP_VS_CONN_F_NFCT): when the IPVS entry expires, ip_vs_conn_drop_conntrack
   * deletes it, so it never outlives the IPVS entry.
   */
  ct?: CtEntry;
  /** A persistence template (client IP only, port 0), as `-p` creates. */
  template: boolean;
  /** The persistence template that scheduled it (cp->control; `-m ipvs --vportctl` reads its port). */
  control?: Conn;
  /**
   * A template's own timeout (cp->timeout): the service's persistence timeout
   * when created, 60 s once its timer fired while it still controlled a
   * connection (ip_vs_conn_expire's expire_later). Reusing the template
   * restarts its timer with it (ip_vs_conn_put).
   */
  timeoutNs?: number;
  /** A template's controlled connections (cp->n_control): while any lives, its timer only re-arms. */
  controls?: Set<Conn>;
}

/** ip_vs_conn_expire's expire_later: a template that still controls a connection tries again in 60 s. */
const EXPIRE_LATER_NS = 60e9;

/** `ipvsadm --set TCP TCPFIN UDP` (seconds): the ESTABLISHED, FIN_WAIT and UDP timeouts; the other TCP states keep theirs. */
export interface IpvsTimeouts {
  tcp: number;
  tcpfin: number;
  udp: number;
}

/** ICMP errors IPVS relates to a connection (ip_vs_in_icmp / ip_vs_out_icmp): unreachable, time exceeded, parameter problem. */
const ICMP_ERRORS = new Set([3, 11, 12]);

const PROTO: Record<number, 'TCP' | 'UDP' | 'SCTP' | undefined> = { [IPPROTO_TCP]: 'TCP', [IPPROTO_UDP]: 'UDP', [IPPROTO_SCTP]: 'SCTP' };

/** A packet's keys in IPVS's tables (`Ipvs.passKeys`): its connection or reply entry, its virtual service. */
export interface IpvsPassKeys {
  readonly conn: string;
  readonly svc: string;
}

/** What the stack should do with a packet after IPVS looked at it. */
export type IpvsVerdict = { kind: 'pass' } | { kind: 'forward'; packet: Ipv4Packet } | { kind: 'rewritten'; packet: Ipv4Packet } | { kind: 'drop' };

/**
 * The IPVS table of one namespace (ip_vs core): virtual services with real
 * servers, connection entries, persistence templates, and the hooks the IPv4
 * stack calls where Linux registers them — LOCAL_IN for requests to a local
 * VIP (after the filter table) and for replies to a local client, LOCAL_OUT for
 * the node's own requests, FORWARD for replies from real servers (NAT/masq:
 * the source goes back to the VIP). With net.ipv4.vs.conntrack = 1 (kube-proxy
 * sets it) the connection's conntrack reply tuple is altered to the real
 * server, so netfilter still tracks it, but NAT stays IPVS's job.
 */
export class Ipvs {
  private readonly services = new Map<string, VirtualService>();
  private readonly conns = new Map<string, Conn>();
  private readonly replies = new Map<string, Conn>();
  /** Deleted real servers that still had connections (ipvs->dest_trash). */
  private readonly trash: { svc: VirtualService; dest: Dest }[] = [];
  /** The kernel's defaults until `setTimeouts`. */
  private readonly timeouts: IpvsTimeouts = { tcp: TCP_TIMEOUT_S.ESTABLISHED, tcpfin: TCP_TIMEOUT_S.FIN_WAIT, udp: 300 };
  /**
   * Bumped when a virtual service, a real server, its weight, a timeout, a
   * persistence template or the removal of a connection entry changes what
   * the packet path's lookups answer (the flow table's replays check it,
   * flowtable.ts). A packet of an existing connection changes only that
   * connection's state and timer, never this.
   */
  generation = 0;
  /**
   * Connection entries added (a connection's first packet): a new entry
   * matters only to packets with its tuple or its reply's, so a replay that
   * IPVS passed asks `passes` again instead of every replay walking anew.
   */
  connAdds = 0;

  /** The lookups IPVS makes for a packet of `protocol` from src:sport to dst:dport (undefined: none it handles, always passed). */
  passKeys(protocol: number, src: number, sport: number, dst: number, dport: number): IpvsPassKeys | undefined {
    const proto = PROTO[protocol];
    return proto === undefined ? undefined : { conn: connKey(proto, src, sport, dst, dport), svc: svcKey(proto, dst, dport) };
  }

  /**
   * Whether IPVS passes a packet with these keys untouched at every hook:
   * no connection entry has its tuple (`wants`, `request`), none expects it
   * as an answer (`reply`), no virtual service has its destination (a UDP
   * datagram would open a connection; a TCP segment that is no SYN would
   * not, but is not told apart here: it walks).
   */
  passes(k: IpvsPassKeys): boolean {
    return !this.conns.has(k.conn) && !this.replies.has(k.conn) && !this.services.has(k.svc);
  }

  constructor(private readonly ns: NetNs) {}

  addService(s: Omit<VirtualService, 'dests' | 'state'>): VirtualService {
    this.generation++;
    stateEpoch.n++;
    const svc: VirtualService = { ...s, dests: [], state: { cursor: s.scheduler === 'wrr' ? -1 : 0, cw: 0 } };
    this.services.set(svcKey(s.protocol, s.vip, s.port), svc);
    return svc;
  }

  /**
   * `ipvsadm -E` (ip_vs_edit_service): a virtual service's scheduler and
   * persistence changed in place; its real servers and connections stay
   * (the VIP never goes down). A new scheduler starts from its initial
   * state; templates already made keep their own timeouts.
   */
  editService(svc: VirtualService, change: { scheduler: SchedulerName; persistentSec: number | undefined }): void {
    this.generation++;
    stateEpoch.n++;
    if (svc.scheduler !== change.scheduler) {
      svc.scheduler = change.scheduler;
      svc.state = { cursor: change.scheduler === 'wrr' ? -1 : 0, cw: 0 };
    }
    if (change.persistentSec === undefined) delete svc.persistentSec;
    else svc.persistentSec = change.persistentSec;
  }

  addDest(svc: VirtualService, ip: number, port: number, weight = 1): Dest {
    this.generation++;
    stateEpoch.n++;
    // ip_vs_trash_get_dest: a real server deleted while it still had connections comes back as itself, counters and all.
    const trashed = this.trash.findIndex((t) => t.svc === svc && t.dest.ip === ip && t.dest.port === port);
    if (trashed >= 0) {
      const d = this.trash.splice(trashed, 1)[0]!.dest;
      d.weight = weight;
      d.available = true;
      svc.dests.push(d);
      return d;
    }
    const d: Dest = { ip, port, weight, activeConns: 0, inactConns: 0 };
    svc.dests.push(d);
    return d;
  }

  /** The real server `ip:port` of a virtual service. */
  dest(svc: VirtualService, ip: number, port: number): Dest | undefined {
    return svc.dests.find((d) => d.ip === ip && d.port === port);
  }

  /** `ipvsadm -e ... -w W`: weight 0 quiesces a real server (no new connections; its connections go on). */
  setWeight(dest: Dest, weight: number): void {
    this.generation++;
    stateEpoch.n++;
    dest.weight = weight;
  }

  /**
   * `ipvsadm -d`: the real server leaves its service. It is no longer
   * available (IP_VS_DEST_F_AVAILABLE cleared); connections still bound to it
   * stay in the table until they expire, and a packet of one meets
   * expire_nodest_conn (request). Kept in the trash while it has connections.
   */
  deleteDest(svc: VirtualService, dest: Dest): void {
    const i = svc.dests.indexOf(dest);
    if (i < 0) return;
    this.generation++;
    stateEpoch.n++;
    svc.dests.splice(i, 1);
    dest.available = false;
    if (dest.activeConns + dest.inactConns > 0) this.trash.push({ svc, dest });
  }

  /** The connection timers that have fired by now (the kernel runs them; podwalk looks when it needs the counters). */
  expireConnections(): void {
    const now = this.ns.world.sched.now;
    for (const c of [...this.conns.values()]) this.live(c, now);
  }

  /** `ipvsadm --set tcp tcpfin udp`: a 0 leaves that timeout as it is, as the kernel does. */
  setTimeouts(t: Partial<IpvsTimeouts>): void {
    this.generation++;
    stateEpoch.n++;
    for (const k of ['tcp', 'tcpfin', 'udp'] as const) if (t[k]) this.timeouts[k] = t[k];
  }

  service(protocol: 'TCP' | 'UDP' | 'SCTP', vip: number, port: number): VirtualService | undefined {
    return this.services.get(svcKey(protocol, vip, port));
  }

  /**
   * `ipvsadm -D -t|-u VIP:PORT`: the virtual service goes and its real
   * servers with it, each unlinked as by `ipvsadm -d` (__ip_vs_del_service):
   * connections still bound to them meet expire_nodest_conn.
   */
  deleteService(protocol: 'TCP' | 'UDP' | 'SCTP', vip: number, port: number): boolean {
    const key = svcKey(protocol, vip, port);
    const svc = this.services.get(key);
    if (!svc) return false;
    this.generation++;
    stateEpoch.n++;
    for (const d of [...svc.dests]) this.deleteDest(svc, d);
    return this.services.delete(key);
  }

  get size(): number {
    return this.services.size;
  }

  /** Virtual services in `ipvsadm -L` order (protocol, address, port). */
  virtualServices(): VirtualService[] {
    return [...this.services.values()].sort(serviceOrder);
  }

  /** Whether a packet is for a virtual service or belongs to a known IPVS connection (cheap: no side effects). */
  wants(skb: Skb, ip: Ipv4Packet): boolean {
    if (ip.protocol === IPPROTO_ICMP) return this.conns.size > 0 && this.quotedConn(ip, 'request') !== undefined;
    const proto = PROTO[ip.protocol];
    if (!proto || this.services.size === 0) return false;
    const t = readTuple(skb.data);
    if (t.dport === undefined || t.sport === undefined) return false;
    if (this.conns.has(connKey(proto, ip.src, t.sport, ip.dst, t.dport))) return true;
    // tcp_conn_schedule: only a SYN opens a connection (sctp_conn_schedule: only an INIT); anything else without an entry is left to the local stack.
    return this.services.has(svcKey(proto, ip.dst, t.dport)) && opensConn(proto, skb.data);
  }

  /**
   * ip_vs_remote_request4 / ip_vs_local_request4: a packet for a virtual
   * service. Finds its connection or schedules a real server, rewrites the
   * destination, and asks the stack to send it on (`forward`). A VIP:port with no
   * real server answers ICMP port unreachable and drops (ip_vs_leave).
   */
  request(skb: Skb, ip: Ipv4Packet): IpvsVerdict {
    if (ip.protocol === IPPROTO_ICMP) return this.relatedIcmp(skb, ip, 'request');
    const proto = PROTO[ip.protocol];
    if (!proto) return { kind: 'pass' };
    const t = readTuple(skb.data);
    if (t.sport === undefined || t.dport === undefined) return { kind: 'pass' };
    const now = this.ns.world.sched.now;
    const w = this.ns.world;
    const key = connKey(proto, ip.src, t.sport, ip.dst, t.dport);
    let conn = this.live(this.conns.get(key), now);
    if (conn && conn.dest.available === false) {
      // ip_vs_in: the connection's real server was deleted.
      const uses = this.ns.limits['net.ipv4.vs.expire_nodest_conn'] === 1;
      const target = `${formatIpv4(conn.dest.ip)}:${conn.dest.port}`;
      if (!uses) {
        w.drop(skb, this.ns.name, 'ipvs-dest-unavailable', `IPVS connection to deleted real server ${target}: dropped (expire_nodest_conn = 0: the entry stays until its timer fires)`);
        return { kind: 'drop' };
      }
      // expire_nodest_conn = 1: the entry goes now. A packet tracked by the connection's own (confirmed)
      // conntrack entry is dropped and that entry goes too; one with a fresh entry is scheduled anew.
      const oldCt = conn.ct !== undefined && skb.nfct?.entry === conn.ct;
      this.expireNow(conn, oldCt);
      if (oldCt) {
        w.drop(skb, this.ns.name, 'ipvs-dest-unavailable', `IPVS connection to deleted real server ${target} expired (expire_nodest_conn = 1) with its conntrack entry; this packet is dropped, the next one is scheduled anew`);
        return { kind: 'drop' };
      }
      conn = undefined;
    }
    const svc = this.service(proto, ip.dst, t.dport);
    if (!conn && !svc) return { kind: 'pass' };
    if (!conn && !opensConn(proto, skb.data)) return { kind: 'pass' };
    let action: 'existing' | 'schedule' | 'persistent' = 'existing';
    // The state the packet finds an existing connection in (what a replay of its walk must find: flowtable.ts).
    const found = conn?.state;
    if (!conn) {
      const s = svc!;
      // Persistence: a template per client IP keeps it on the same real server (ip_vs_sched_persist).
      const tkey = connKey(proto, ip.src, 0, ip.dst, t.dport);
      const prior = s.persistentSec !== undefined ? this.live(this.conns.get(tkey), now) : undefined;
      // ip_vs_check_template: a template whose real server is gone, or quiesced with expire_quiescent_template = 1, is not used;
      // the kernel rehashes it where no lookup finds it (ports 0xffff), left to its timer: here it leaves the table at once.
      const quiescentOk = this.ns.limits['net.ipv4.vs.expire_quiescent_template'] === 0;
      const usable = prior !== undefined && s.dests.includes(prior.dest) && (prior.dest.weight > 0 || quiescentOk);
      if (prior && !usable) this.remove(prior);
      const tmpl = usable ? prior : undefined;
      const dest = tmpl ? tmpl.dest : schedule(s.scheduler, s.dests, s.state, { src: ip.src, dst: ip.dst });
      if (!dest) {
        if (w.detailed) w.emit({ kind: 'ipvs', t: now, pkt: skb.id, at: this.ns.name, action: 'no-destination', service: describeService(s), scheduler: s.scheduler, candidates: [] });
        this.ns.stack.icmpError(skb.data, 3, 3, skb);
        w.drop(skb, this.ns.name, 'ipvs-no-destination', `IPVS ${describeService(s)} has no real server (ip_vs_leave: ICMP port unreachable)`);
        return { kind: 'drop' };
      }
      action = tmpl ? 'persistent' : 'schedule';
      let control: Conn | undefined;
      if (tmpl) {
        // A template found is reused as it is: ip_vs_conn_put restarts its timer with its own timeout (not the service's).
        tmpl.expiresNs = now + tmpl.timeoutNs!;
        control = tmpl;
      } else if (s.persistentSec !== undefined) {
        const timeoutNs = s.persistentSec * 1e9;
        const template: Conn = { protocol: proto, cip: ip.src, cport: 0, vip: ip.dst, vport: t.dport, dest, state: 'NONE', inactive: false, expiresNs: now + timeoutNs, template: true, timeoutNs, controls: new Set() };
        control = template;
        this.conns.set(tkey, template);
        this.generation++;
        stateEpoch.n++;
      }
      const candidates = s.dests.map(describeDest);
      // ip_vs_bind_dest: a new entry starts inactive (the real server's conn_flags carry IP_VS_CONN_F_INACTIVE); its first state change may make it active.
      const ct = skb.nfct?.entry;
      conn = { protocol: proto, cip: ip.src, cport: t.sport, vip: ip.dst, vport: t.dport, dest, state: proto === 'TCP' ? 'NONE' : proto === 'SCTP' ? 'S_INIT1' : 'UDP', inactive: true, expiresNs: 0, template: false, ...(ct ? { ct } : {}), ...(control ? { control } : {}) };
      dest.inactConns++;
      // ip_vs_control_add: the template now controls this connection.
      control?.controls!.add(conn);
      this.touch(conn, 'input', skb, now);
      this.conns.set(key, conn);
      this.replies.set(connKey(proto, dest.ip, dest.port, ip.src, t.sport), conn);
      this.connAdds++;
      if (w.detailed) {
        w.emit({ kind: 'ipvs', t: now, pkt: skb.id, at: this.ns.name, action, service: describeService(s), scheduler: s.scheduler, candidates, chosen: `${formatIpv4(dest.ip)}:${dest.port}`, conn: describeConn(conn) });
      }
      // net.ipv4.vs.conntrack = 1: the netfilter connection now expects replies from the real server.
      if (ct) {
        ct.reply = { ...ct.reply, src: dest.ip, sport: dest.port };
        ct.ipvs = true;
      }
    } else if (w.detailed) {
      this.touch(conn, 'input', skb, now);
      w.emit({ kind: 'ipvs', t: now, pkt: skb.id, at: this.ns.name, action: 'existing', service: svc ? describeService(svc) : `${proto} ${formatIpv4(conn.vip)}:${conn.vport}`, scheduler: svc?.scheduler ?? 'rr', chosen: `${formatIpv4(conn.dest.ip)}:${conn.dest.port}`, conn: describeConn(conn) });
    } else this.touch(conn, 'input', skb, now);
    const before = `${formatIpv4(ip.src)}:${t.sport} > ${formatIpv4(ip.dst)}:${t.dport}`;
    this.recorded(action === 'existing' ? { conn, dir: 'input', state: found! } : undefined, 'dst', { dst: conn.dest.ip, dport: conn.dest.port });
    skb.data = rewriteAddrs(skb.data, { dst: conn.dest.ip, dport: conn.dest.port });
    skb.ipvsProperty = true;
    if (w.detailed) w.emit({ kind: 'nat', t: now, pkt: skb.id, at: this.ns.name, type: 'DNAT', manip: 'dst', before, after: `${formatIpv4(ip.src)}:${t.sport} > ${formatIpv4(conn.dest.ip)}:${conn.dest.port}`, first: action !== 'existing', by: 'ipvs' });
    return { kind: 'forward', packet: redecode(skb, ip) };
  }

  /**
   * ip_vs_reply4 (FORWARD, and LOCAL_IN for a local client): a real server's
   * answer on an IPVS connection gets the VIP back as its source.
   */
  reply(skb: Skb, ip: Ipv4Packet): IpvsVerdict {
    if (this.replies.size === 0) return { kind: 'pass' };
    if (ip.protocol === IPPROTO_ICMP) return this.relatedIcmp(skb, ip, 'reply');
    const proto = PROTO[ip.protocol];
    if (!proto) return { kind: 'pass' };
    const t = readTuple(skb.data);
    if (t.sport === undefined || t.dport === undefined) return { kind: 'pass' };
    const now = this.ns.world.sched.now;
    const conn = this.live(this.replies.get(connKey(proto, ip.src, t.sport, ip.dst, t.dport)), now);
    if (!conn) return { kind: 'pass' };
    const w = this.ns.world;
    this.recorded({ conn, dir: 'output', state: conn.state }, 'src', { src: conn.vip, sport: conn.vport });
    this.touch(conn, 'output', skb, now);
    if (w.detailed) w.emit({ kind: 'ipvs', t: now, pkt: skb.id, at: this.ns.name, action: 'reply', service: `${proto} ${formatIpv4(conn.vip)}:${conn.vport}`, scheduler: this.service(proto, conn.vip, conn.vport)?.scheduler ?? 'rr', chosen: `${formatIpv4(conn.dest.ip)}:${conn.dest.port}`, conn: describeConn(conn) });
    skb.data = rewriteAddrs(skb.data, { src: conn.vip, sport: conn.vport });
    skb.ipvsProperty = true;
    if (w.detailed) w.emit({ kind: 'nat', t: now, pkt: skb.id, at: this.ns.name, type: 'reverse', manip: 'src', before: `${formatIpv4(ip.src)}:${t.sport} > ${formatIpv4(ip.dst)}:${t.dport}`, after: `${formatIpv4(conn.vip)}:${conn.vport} > ${formatIpv4(ip.dst)}:${t.dport}`, first: false, by: 'ipvs' });
    return { kind: 'rewritten', packet: redecode(skb, ip) };
  }

  /**
   * xt_ipvs's lookup (ip_vs_conn_out_get_proto with the tuple inverted): the
   * connection whose client sent this packet, as IPVS sent it on, to its real
   * server (source the client, destination the real server). A reply or a
   * packet IPVS never saw finds none. Read-only: an expired entry is not
   * found, and left for the next packet of its own to remove.
   */
  matchConn(p: NfPacket): IpvsConnView | undefined {
    const proto = PROTO[p.protocol];
    if (proto === undefined || p.sport === undefined || p.dport === undefined) return undefined;
    const c = this.replies.get(connKey(proto, p.dst, p.dport, p.src, p.sport));
    return c !== undefined && (c.expiresNs === 0 || c.expiresNs > this.ns.world.sched.now) ? c : undefined;
  }

  /**
   * Tell the flow table recording this packet's walk (flowtable.ts) that IPVS
   * rewrote it on `touch`'s connection (its `manip` address to `change`), or,
   * `touch` undefined, that the walk may not be replayed (a connection
   * scheduled, an ICMP error translated).
   */
  private recorded(touch: IpvsTouch | undefined, manip: 'src' | 'dst', change: AddrChange): void {
    const rec = this.ns.nf?.engine.flowRecording;
    if (rec === undefined) return;
    if (touch === undefined || rec.ipvs !== undefined) {
      rec.volatile = true;
      return;
    }
    rec.ipvs = touch;
    if (manip === 'dst') rec.manipDst = rec.manipDst === undefined ? change : { ...rec.manipDst, ...change };
    else rec.manipSrc = rec.manipSrc === undefined ? change : { ...rec.manipSrc, ...change };
  }

  /**
   * The flow table's replay of a packet of an established connection
   * (flowtable.ts): whether `touch`'s connection is still live in the state
   * the recorded walk found it in (the caller checked `generation`: it is
   * still in the table, its real server too).
   */
  replayable(touch: IpvsTouch): boolean {
    const c = touch.conn as Conn;
    return c.state === touch.state && (c.expiresNs === 0 || c.expiresNs > this.ns.world.sched.now);
  }

  /** The replay's ip_vs_set_state: what `touch` did to the connection in the walk (`replayable` said it may); `tcpFlags` the packet's (-1: UDP). */
  retouch(touch: IpvsTouch, skb: Skb, tcpFlags: number): void {
    this.touch(touch.conn as Conn, touch.dir, skb, this.ns.world.sched.now, tcpFlags);
  }

  /**
   * ip_vs_set_state: a packet of the connection in `dir` moves its TCP state,
   * moves it between its real server's active and inactive counts, and
   * restarts its timer with the new state's timeout.
   */
  private touch(conn: Conn, dir: 'input' | 'output', skb: Skb, now: number, tcpFlags = -1): void {
    this.advance(conn, dir, skb, now, tcpFlags);
    // The conntrack entry goes when the IPVS entry does (ip_vs_conn_expire → ip_vs_conn_drop_conntrack).
    if (conn.ct && conn.ct.expiresNs > conn.expiresNs) conn.ct.expiresNs = conn.expiresNs;
  }

  private advance(conn: Conn, dir: 'input' | 'output', skb: Skb, now: number, tcpFlags: number): void {
    if (conn.state === 'UDP') {
      conn.expiresNs = now + this.timeouts.udp * 1e9;
      return;
    }
    if (conn.protocol === 'SCTP') {
      const next = nextSctpIpvsState(conn.state as IpvsSctpState, dir, skb.data[ipHeaderLength(skb.data) + 12]);
      // Only an ESTABLISHED association counts as active; the handshake and CLOSED are inactive (set_sctp_state).
      const inactive = next !== 'S_ESTABLISHED';
      if (conn.inactive !== inactive) {
        conn.dest.inactConns += inactive ? 1 : -1;
        conn.dest.activeConns += inactive ? -1 : 1;
        conn.inactive = inactive;
      }
      conn.state = next;
      conn.expiresNs = now + SCTP_TIMEOUT_S[next] * 1e9;
      return;
    }
    // A replay passes the flags it keyed the packet by (its bytes may lie behind an Ethernet header).
    const flags = tcpFlags >= 0 ? tcpFlags : (skb.data[ipHeaderLength(skb.data) + 13] ?? 0);
    const next = nextTcpState(conn.state as IpvsTcpState, dir, flags);
    if (next !== conn.state) {
      const active = isActive(next);
      if (conn.inactive && active) {
        conn.dest.inactConns--;
        conn.dest.activeConns++;
      } else if (!conn.inactive && !active) {
        conn.dest.activeConns--;
        conn.dest.inactConns++;
      }
      conn.inactive = !active;
      conn.state = next;
    }
    const secs = conn.state === 'ESTABLISHED' ? this.timeouts.tcp : conn.state === 'FIN_WAIT' ? this.timeouts.tcpfin : TCP_TIMEOUT_S[conn.state];
    conn.expiresNs = now + secs * 1e9;
  }

  /** The connection an ICMP error's quoted packet belongs to: a request quotes the real server's reply (VIP → client), a reply quotes the client's packet (client → real server). */
  private quotedConn(ip: Ipv4Packet, dir: 'request' | 'reply'): Conn | undefined {
    const p = ip.payload;
    if (p.length < 8 + 20 + 4 || !ICMP_ERRORS.has(p[0]!)) return undefined;
    const q = p.subarray(8);
    const proto = PROTO[q[9]!];
    if (!proto) return undefined;
    const qhl = (q[0]! & 15) * 4;
    if (q.length < qhl + 4) return undefined;
    const src = readU32(q, 12);
    const dst = readU32(q, 16);
    const sport = (q[qhl]! << 8) | q[qhl + 1]!;
    const dport = (q[qhl + 2]! << 8) | q[qhl + 3]!;
    const now = this.ns.world.sched.now;
    // request: quoted VIP:vport -> client; reply: quoted client -> real server.
    return dir === 'request' ? this.live(this.conns.get(connKey(proto, dst, dport, src, sport)), now) : this.live(this.replies.get(connKey(proto, dst, dport, src, sport)), now);
  }

  /**
   * ip_vs_out_icmp / ip_vs_in_icmp: an ICMP error about a packet of an IPVS
   * connection gets the same translation as the connection's packets — one
   * from the real server's side (port unreachable, fragmentation needed) goes
   * to the client with the VIP as its source and the VIP quoted; one from the
   * client's side is sent on to the real server with the real server quoted.
   */
  private relatedIcmp(skb: Skb, ip: Ipv4Packet, dir: 'request' | 'reply'): IpvsVerdict {
    const conn = this.quotedConn(ip, dir);
    if (!conn) return { kind: 'pass' };
    this.recorded(undefined, 'dst', {});
    const w = this.ns.world;
    const now = w.sched.now;
    const before = `${formatIpv4(ip.src)} > ${formatIpv4(ip.dst)}`;
    skb.data = dir === 'reply' ? rewriteIcmpError(skb.data, { src: conn.vip }, { dst: conn.vip, dport: conn.vport }) : rewriteIcmpError(skb.data, { dst: conn.dest.ip }, { src: conn.dest.ip, sport: conn.dest.port });
    skb.ipvsProperty = true;
    const packet = redecode(skb, ip);
    if (w.detailed) {
      w.emit({ kind: 'ipvs', t: now, pkt: skb.id, at: this.ns.name, action: 'related', service: `${conn.protocol} ${formatIpv4(conn.vip)}:${conn.vport}`, scheduler: this.service(conn.protocol, conn.vip, conn.vport)?.scheduler ?? 'rr', chosen: `${formatIpv4(conn.dest.ip)}:${conn.dest.port}`, conn: describeConn(conn) });
      w.emit({ kind: 'nat', t: now, pkt: skb.id, at: this.ns.name, type: dir === 'reply' ? 'reverse' : 'DNAT', manip: dir === 'reply' ? 'src' : 'dst', before, after: `${formatIpv4(packet.src)} > ${formatIpv4(packet.dst)}`, first: false, by: 'ipvs' });
    }
    return dir === 'reply' ? { kind: 'rewritten', packet } : { kind: 'forward', packet };
  }

  /** An entry still alive at `now` (expired ones are removed, and their server's counters released). */
  private live(c: Conn | undefined, now: number): Conn | undefined {
    if (!c || c.expiresNs === 0 || c.expiresNs > now) return c;
    if (c.template && this.rearm(c, now)) return c;
    this.remove(c);
    return undefined;
  }

  /**
   * ip_vs_conn_expire on a template, for each time its timer fired up to
   * `now`: while a connection it controls was alive then ("do I control
   * anybody?"), it is not removed but re-armed 60 s on, and 60 s becomes its
   * timeout. A controlled connection's timer only moves while it lives, so
   * its `expiresNs` past a firing time means it was alive at that time.
   * Whether the template is alive at `now`.
   */
  private rearm(t: Conn, now: number): boolean {
    while (t.expiresNs <= now) {
      const at = t.expiresNs;
      if (![...t.controls!].some((c) => c.expiresNs === 0 || c.expiresNs > at)) return false;
      t.expiresNs = at + EXPIRE_LATER_NS;
      t.timeoutNs = EXPIRE_LATER_NS;
    }
    return true;
  }

  /** ip_vs_conn_expire_now: the entry goes at once; with `dropCt`, its conntrack entry too (ip_vs_conn_drop_conntrack). */
  private expireNow(c: Conn, dropCt: boolean): void {
    this.remove(c);
    if (dropCt && c.ct) {
      const ct = c.ct;
      this.ns.nf?.conntrack.delete((e) => e === ct);
    }
  }

  private remove(c: Conn): void {
    this.generation++;
    stateEpoch.n++;
    const key = connKey(c.protocol, c.cip, c.cport, c.vip, c.vport);
    if (this.conns.get(key) === c) this.conns.delete(key);
    if (c.template) return;
    // ip_vs_control_del: the template no longer controls it (its own timer decides when it goes).
    c.control?.controls!.delete(c);
    this.replies.delete(connKey(c.protocol, c.dest.ip, c.dest.port, c.cip, c.cport));
    if (c.inactive) c.dest.inactConns--;
    else c.dest.activeConns--;
    // The last connection of a deleted real server frees it from the trash.
    if (c.dest.available === false && c.dest.activeConns + c.dest.inactConns === 0) {
      const i = this.trash.findIndex((t) => t.dest === c.dest);
      if (i >= 0) this.trash.splice(i, 1);
    }
  }

  /** Each connection entry with its timer to the nanosecond (`listConns` rounds to seconds): the fast path's differential tests compare them. */
  exactConns(): string[] {
    return [...this.conns.values()].map((c) => `${describeConn(c)} inactive ${c.inactive} expires ${c.expiresNs}`);
  }

  /** `ipvsadm -Ln`. */
  list(): string {
    const out = ['IP Virtual Server version 1.2.1 (size=4096)', 'Prot LocalAddress:Port Scheduler Flags', '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn'];
    for (const s of this.virtualServices()) {
      // ipvsadm: "%-4s %s" names the service, "%s %s" adds the scheduler; a real server is "  -> %-28s %-7s %-6d %-10u %-10u".
      out.push(`${s.protocol.padEnd(4)} ${formatIpv4(s.vip)}:${s.port} ${s.scheduler}${s.persistentSec !== undefined ? ` persistent ${s.persistentSec}` : ''}`);
      for (const d of sortedDests(s)) out.push(`  -> ${`${formatIpv4(d.ip)}:${d.port}`.padEnd(28)} Masq    ${String(d.weight).padEnd(6)} ${String(d.activeConns).padEnd(10)} ${String(d.inactConns).padEnd(10)}`);
    }
    return out.join('\n');
  }

  /** `ipvsadm -L --timeout`. */
  listTimeouts(): string {
    return `Timeout (tcp tcpfin udp): ${this.timeouts.tcp} ${this.timeouts.tcpfin} ${this.timeouts.udp}`;
  }

  /** `ipvsadm -Lnc`: the connection entries, with seconds left. */
  listConns(): string {
    const now = this.ns.world.sched.now;
    const out = ['IPVS connection entries', 'pro expire state       source                virtual               destination'];
    for (const c of this.conns.values()) {
      // A template's timer that fired while it controlled a connection re-armed it (nothing else changes).
      if (c.template && c.expiresNs !== 0 && c.expiresNs <= now) this.rearm(c, now);
      if (c.expiresNs !== 0 && c.expiresNs <= now) continue;
      const left = Math.max(0, Math.ceil((c.expiresNs - now) / 1e9));
      const mmss = `${String(Math.floor(left / 60)).padStart(2, '0')}:${String(left % 60).padStart(2, '0')}`;
      out.push(`${c.protocol} ${mmss}  ${c.state.padEnd(11)} ${`${formatIpv4(c.cip)}:${c.cport}`.padEnd(21)} ${`${formatIpv4(c.vip)}:${c.vport}`.padEnd(21)} ${formatIpv4(c.dest.ip)}:${c.template ? 0 : c.dest.port}`);
    }
    return out.join('\n');
  }
}

function ipHeaderLength(b: Uint8Array): number {
  return (b[0]! & 15) * 4;
}

function isSyn(b: Uint8Array): boolean {
  return ((b[ipHeaderLength(b) + 13] ?? 0) & TCP_SYN) !== 0;
}

/** Whether a packet may open a new IPVS connection: a TCP SYN, an SCTP INIT (first chunk), any UDP datagram. */
function opensConn(proto: 'TCP' | 'UDP' | 'SCTP', b: Uint8Array): boolean {
  if (proto === 'TCP') return isSyn(b);
  if (proto === 'SCTP') return b[ipHeaderLength(b) + 12] === SCTP_INIT;
  return true;
}

function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

function redecode(skb: Skb, fallback: Ipv4Packet): Ipv4Packet {
  const r = decodeIpv4(skb.data);
  return r.ok ? r.value : fallback;
}

function svcKey(p: string, vip: number, port: number): string {
  return `${p}:${vip}:${port}`;
}

function connKey(p: string, a: number, ap: number, b: number, bp: number): string {
  return `${p}:${a}:${ap}:${b}:${bp}`;
}

/**
 * ipvsadm's order (libipvs ipvs_cmp_services / ipvs_cmp_dests): protocol
 * number, address, port. The address difference is taken as a C int, so it
 * wraps: 192.168.56.11 sorts before 10.96.0.1 (their difference is over
 * 2^31). Where a node's addresses fit in no half of the address space the
 * comparison is not transitive and real ipvsadm's order also depends on its
 * qsort and the kernel's hash order; this stable sort is one such order.
 */
function serviceOrder(a: VirtualService, b: VirtualService): number {
  return PROTO_NUMBER[a.protocol] - PROTO_NUMBER[b.protocol] || addressOrder(a.vip, b.vip) || a.port - b.port;
}

/** The real servers of a service as ipvsadm lists them (`--nosort` aside); the scheduler keeps its own order. */
export function sortedDests(s: VirtualService): Dest[] {
  return [...s.dests].sort((a, b) => addressOrder(a.ip, b.ip) || a.port - b.port);
}

function addressOrder(a: number, b: number): number {
  return (a - b) | 0;
}

const PROTO_NUMBER: Record<VirtualService['protocol'], number> = { TCP: IPPROTO_TCP, UDP: IPPROTO_UDP, SCTP: IPPROTO_SCTP };

export function describeService(s: VirtualService): string {
  return `${s.protocol} ${formatIpv4(s.vip)}:${s.port} ${s.scheduler}${s.persistentSec !== undefined ? ` persistent ${s.persistentSec}` : ''}`;
}

function describeDest(d: Dest): string {
  return `${formatIpv4(d.ip)}:${d.port} (weight ${d.weight}, ${d.activeConns} active, ${d.inactConns} inactive)`;
}

function describeConn(c: Conn): string {
  return `${c.protocol} ${formatIpv4(c.cip)}:${c.cport} -> ${formatIpv4(c.vip)}:${c.vport} -> ${formatIpv4(c.dest.ip)}:${c.dest.port} ${c.state}`;
}

import type { Rng } from '../../engine/rng.js';
import type { AddrChange } from '../../wire/l4-rewrite.js';
import type { FastPath } from '../fastpath/fast-path.js';

/**
 * The contract between the netfilter rule engine (tables, chains, matches,
 * targets, iptables-save/-restore) and the rest of the kernel model (the hooks
 * in the IPv4 stack and bridge, conntrack and NAT). The engine only decides;
 * conntrack and the stack carry the decisions out.
 */

/** Netfilter hooks, named like the built-in chains that sit on them. */
export type Hook = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';

export type TableName = 'raw' | 'mangle' | 'nat' | 'filter';

/**
 * Conntrack states as `-m conntrack --ctstate` sees them. A packet has exactly
 * one of NEW/ESTABLISHED/RELATED/INVALID/UNTRACKED, plus the virtual states
 * SNAT/DNAT when its connection's reply tuple differs from the original.
 */
export type CtState = 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID' | 'UNTRACKED' | 'SNAT' | 'DNAT';

/** What a rule can see of a packet (already decoded by the caller). */
export interface NfPacket {
  src: number;
  dst: number;
  /** IP protocol number (6 tcp, 17 udp, 1 icmp, 132 sctp). */
  protocol: number;
  /** TCP/UDP/SCTP ports; absent for other protocols and non-first fragments. */
  sport?: number;
  dport?: number;
  /** TCP flags byte, when TCP. */
  tcpFlags?: number;
  /** ICMP type/code, when ICMP. */
  icmpType?: number;
  icmpCode?: number;
  /** Input / output interface names (`-i` / `-o`); absent where the hook has none. */
  inIf?: string;
  outIf?: string;
  /**
   * br_netfilter's record of the bridge ports (`-m physdev`): the port a frame
   * entered a bridge by (kept while the host routes it), and the port it is
   * being bridged out of (FORWARD/POSTROUTING of a bridged frame only).
   */
  physIn?: string;
  physOut?: string;
  /** skb->mark; MARK targets change it in place. */
  mark: number;
  /** The packet's conntrack state(s). */
  ctstate: readonly CtState[];
  /** IP total length in bytes. */
  length: number;
  /**
   * skb->ipvs_property (`-m ipvs`): IPVS sent this packet on (to a real server)
   * or gave it the VIP back, in this namespace; with the packet's conntrack
   * direction as `--vdir` reads it (`untracked`: no conntrack entry). Absent:
   * not IPVS's.
   */
  ipvs?: 'original' | 'reply' | 'untracked';
}

/**
 * What `-m ipvs` reads of the IPVS connection a packet belongs to: the virtual
 * service's address and port, and the port of the persistence template that
 * controls it (`--vportctl`).
 */
export interface IpvsConnView {
  readonly vip: number;
  readonly vport: number;
  readonly control?: { readonly vport: number };
}

/** Address types as `-m addrtype` knows them (RTN_* of the namespace's routing). */
export type AddrType = 'UNSPEC' | 'UNICAST' | 'LOCAL' | 'BROADCAST' | 'ANYCAST' | 'MULTICAST' | 'BLACKHOLE' | 'UNREACHABLE' | 'PROHIBIT' | 'THROW' | 'NAT' | 'XRESOLVE';

/** What the engine needs from the namespace while it evaluates rules. */
export interface NfEnv {
  /** Simulated time, ns (`-m recent`). */
  nowNs: number;
  /** Seeded randomness (`-m statistic --mode random`). */
  rng: Rng;
  /** The route type of an address in this namespace (`-m addrtype`). */
  addrType(ip: number): AddrType;
  /**
   * The IPVS connection a packet belongs to as xt_ipvs looks it up
   * (ip_vs_conn_out_get with the tuple inverted: the client's packet as IPVS
   * sent it to the real server); absent where the namespace has no IPVS.
   */
  ipvsConn?(pkt: NfPacket): IpvsConnView | undefined;
  /** The fast path (absent: walk every time) and the generation of the routes `addrType` reads. */
  fast?: FastPath;
  fibGeneration?: number;
}

/** Packet and byte counters of a rule or a built-in chain's policy (struct xt_counters). */
export interface Counters {
  pkts: number;
  bytes: number;
}

/**
 * What the rule engine reports while the fast path's flow table records a
 * packet's walk (../flowtable.ts): it replays these for the connection's
 * later packets.
 */
export interface FlowRecording {
  /** Every rule and policy counter the walks bumped, in order, once per bump. */
  counters: Counters[];
  /** A walk reached a rule whose outcome is not a function of the cache key: do not replay. */
  volatile: boolean;
  /** The hooks run, in order (nf-hooks.ts). */
  hooks: Hook[];
  /**
   * The cost model's netfilter charges in their order (nf-hooks.ts): -1 for a
   * hook entered (netfilterHook on the packet's length), n >= 0 for a table
   * walk that evaluated n rules (netfilterRuleNs each).
   */
  charges: number[];
  /**
   * The addresses and ports NAT rewrote the packet to (nf_nat_packet of an
   * established connection: nf-hooks.ts), by manip: the destination (before
   * routing: PREROUTING, OUTPUT) and the source (after: POSTROUTING, INPUT).
   */
  manipDst: AddrChange | undefined;
  manipSrc: AddrChange | undefined;
  /**
   * IPVS forwarded the packet on an established connection (ipvs/ipvs.ts): its
   * rewrite is in `manipDst` (a request to the real server) or `manipSrc` (the
   * answer given the VIP back); the replay moves the connection's state and
   * timer again (`Ipvs.retouch`).
   */
  ipvs: IpvsTouch | undefined;
}

/** An IPVS connection a walk moved, the way it moved it, and the state it found it in. */
export interface IpvsTouch {
  /** The connection (opaque here: ipvs/ipvs.ts). */
  readonly conn: object;
  readonly dir: 'input' | 'output';
  readonly state: string;
}

/** A NAT decision, carried out by conntrack on the first packet of a connection. */
export type NatAction =
  | { type: 'DNAT'; toIp: number; toIpMax?: number; persistent?: boolean; toPort?: number }
  | { type: 'SNAT'; toIp: number; toIpMax?: number; persistent?: boolean; toPort?: number; toPortMax?: number; random?: boolean; randomFully?: boolean }
  | { type: 'MASQUERADE'; toPort?: number; toPortMax?: number; random?: boolean; randomFully?: boolean };

export type RejectWith =
  | 'icmp-net-unreachable'
  | 'icmp-host-unreachable'
  | 'icmp-port-unreachable'
  | 'icmp-proto-unreachable'
  | 'icmp-net-prohibited'
  | 'icmp-host-prohibited'
  | 'icmp-admin-prohibited'
  | 'tcp-reset';

/** One rule whose target was taken during a traversal, as iptables-save prints it. */
export interface MatchedRule {
  table: TableName;
  chain: string;
  /** `-A CHAIN ...` exactly as `iptables-save` prints the rule. */
  rule: string;
}

/** The outcome of running one table's chain for one hook. */
export interface Traversal {
  table: TableName;
  hook: Hook;
  verdict: 'ACCEPT' | 'DROP' | 'REJECT';
  rejectWith?: RejectWith;
  /** Set when a DNAT/SNAT/MASQUERADE target decided (nat table only). */
  nat?: NatAction;
  /** Rules whose target was taken (jumps, gotos, MARK, RETURN, the final verdict), in order. */
  matched: MatchedRule[];
  /** Whether the verdict came from the built-in chain's policy rather than a rule. */
  byPolicy: boolean;
  /** Rules evaluated in all: the cost of the walk (a linear KUBE-SERVICES shows here). */
  evaluated: number;
}

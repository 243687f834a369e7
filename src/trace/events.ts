/**
 * The trace contract: one discriminated union of everything that can happen to a
 * packet. Every packet ends in exactly one `deliver` or `drop`.
 *
 * Conventions shared by all events:
 * - `t`: simulated time in integer nanoseconds since the scenario started.
 * - `pkt`: id of the packet (one skb lineage). Packets the kernel creates in
 *   response (ARP, ICMP errors, TCP replies) get their own id and name their
 *   `cause` in their `create` event.
 * - `at`: where it happened, `<netns>:<device>` (`node1:cbr0`,
 *   `default/pod1:eth0`) or just `<netns>` for namespace-level work (routing).
 */

/** Why a packet stopped without reaching a socket. Closed set, documented in docs/trace.md. */
export type DropReason =
  | 'malformed' // bytes that do not decode (bad checksum, truncated header)
  | 'other-host' // L2 destination is neither us, broadcast nor multicast
  | 'no-route' // FIB lookup found no route (ICMP net unreachable to the sender)
  | 'unreachable-route' // the route found is an `unreachable` route (forwarding: ICMP host unreachable; local send: EHOSTUNREACH)
  | 'blackhole-route' // the route found is a `blackhole` route (forwarding: silently discarded; local send: EINVAL)
  | 'zeronet-destination' // a local send to an address in 0.0.0.0/8 (not 0.0.0.0): route output refuses it, EINVAL
  | 'broadcast-denied' // a local socket sending to a broadcast address without SO_BROADCAST (EACCES), or TCP connecting to one (ENETUNREACH)
  | 'neigh-failed' // ARP got no answer after all probes (ICMP host unreachable)
  | 'neigh-queue-full' // too many packets waiting for one ARP resolution (unres_qlen)
  | 'neigh-table-overflow' // no neighbour entry could be created: gc_thresh3 reached and nothing reclaimable ("neighbor table overflow!")
  | 'ttl-exceeded' // TTL reached 0 while forwarding (ICMP time exceeded)
  | 'forwarding-disabled' // not for us and net.ipv4.ip_forward = 0
  | 'port-unreachable' // UDP to a port nobody listens on (ICMP port unreachable)
  | 'tcp-reset' // TCP segment to a closed port (answered with RST)
  | 'sctp-abort' // SCTP packet for no association: an INIT to a closed port (answered with ABORT), or out of the blue
  | 'no-handler' // IP protocol nobody handles (ICMP protocol unreachable)
  | 'broadcast-ignored' // routed here as a broadcast (a subnet's broadcast address) and taken by nobody: an echo request (icmp_echo_ignore_broadcasts), UDP to no socket, TCP, SCTP; never answered, no ICMP error
  | 'bridge-same-port' // bridge would send it back out of the port it came in on (hairpin off)
  | 'link-down' // device or its peer is down / not connected
  | 'frag-needed' // larger than the path MTU with DF set (ICMP fragmentation needed)
  | 'arp-ignored' // ARP frame not asking about one of our addresses
  | 'vxlan-fdb-miss' // VXLAN device has no FDB entry (remote VTEP) for the inner destination MAC, or wrong VNI
  | 'netfilter-drop' // a DROP target or a built-in chain's DROP policy
  | 'netfilter-reject' // a REJECT target: dropped, and an ICMP error or TCP RST sent back
  | 'conntrack-full' // nf_conntrack: table full, dropping packet
  | 'martian' // a loopback (127/8) address routed to or from another device without route_localnet, or a packet from one of our own addresses
  | 'rp-filter' // reverse-path filter: rp_filter 1 and the route back to the source leaves by another device, or no route back at all (IPReversePathFilter)
  | 'conntrack-insert-failed' // __nf_conntrack_confirm: the same flow confirmed first with a different NAT, or the reply tuple (source NAT port) is taken (insert_failed)
  | 'ipvs-no-destination' // IPVS virtual service without real servers (ip_vs_leave: ICMP port unreachable)
  | 'ipvs-dest-unavailable' // a packet of an IPVS connection whose real server was deleted (expire_nodest_conn)
  | 'policy-denied' // a NetworkPolicy isolates the pod and no rule allows this packet (the agent's DROP/REJECT)
  | 'mtu-exceeded' // a bridge's egress port cannot carry a frame that large (layer 2: dropped silently, no ICMP)
  | 'link-fault' // lost or corrupted on a link with an injected fault (loss %, corruption): a `steps:` link fault
  | 'dns-unresolved' // flow-level: the target name did not resolve, so no connection packet was sent
  | 'send-error' // flow-level: the application's send() failed (a connected UDP socket's pending ICMP error), so no packet was made
  | 'event-budget' // the simulation ran out of its event budget before the packet finished
  | 'not-finished'; // still in flight when the scenario's run ended (e.g. waiting for ARP)

export const DROP_REASONS: readonly DropReason[] = [
  'malformed',
  'other-host',
  'no-route',
  'unreachable-route',
  'blackhole-route',
  'zeronet-destination',
  'broadcast-denied',
  'neigh-failed',
  'neigh-queue-full',
  'neigh-table-overflow',
  'ttl-exceeded',
  'forwarding-disabled',
  'port-unreachable',
  'tcp-reset',
  'sctp-abort',
  'no-handler',
  'broadcast-ignored',
  'bridge-same-port',
  'link-down',
  'frag-needed',
  'arp-ignored',
  'vxlan-fdb-miss',
  'netfilter-drop',
  'netfilter-reject',
  'conntrack-full',
  'martian',
  'rp-filter',
  'conntrack-insert-failed',
  'ipvs-no-destination',
  'ipvs-dest-unavailable',
  'policy-denied',
  'mtu-exceeded',
  'link-fault',
  'dns-unresolved',
  'send-error',
  'event-budget',
  'not-finished',
];

/** What a device saw of a frame: enough to read the walk without a decoder. */
export interface FrameSummary {
  len: number; // bytes on this device (no FCS, no padding: as tcpdump shows it)
  srcMac?: string;
  dstMac?: string;
  type: 'ipv4' | 'arp' | 'other';
  src?: string; // IPv4 source, or ARP sender IP
  dst?: string; // IPv4 destination, or ARP target IP
  proto?: 'tcp' | 'udp' | 'icmp' | 'sctp' | number;
  sport?: number;
  dport?: number;
  ttl?: number;
  /** Short human description: `UDP 8080`, `TCP [S]`, `ARP who-has 10.244.1.3`, `ICMP echo request`. */
  info: string;
}

interface Base {
  t: number;
  pkt: number;
  at: string;
}

/** A packet comes into existence: an application send or the kernel answering. */
export interface CreateEvent extends Base {
  kind: 'create';
  flow?: string; // traffic item this packet belongs to (scenario name + index)
  cause?: number; // packet that caused it (ARP request for a queued packet, ICMP error, reply)
  /** `server`: an application's answer to a request it read (a UDP or TCP server that replies). */
  by: 'app' | 'arp' | 'icmp' | 'tcp' | 'sctp' | 'udp' | 'bridge' | 'server';
  frame: FrameSummary;
}

export interface TxEvent extends Base {
  kind: 'tx';
  frame: FrameSummary;
}

export interface RxEvent extends Base {
  kind: 'rx';
  frame: FrameSummary;
}

export interface ArpEvent extends Base {
  kind: 'arp';
  /** request/reply: an ARP frame was sent; the rest are neighbour-table transitions. */
  action: 'request' | 'reply' | 'resolving' | 'queued' | 'resolved' | 'failed' | 'learned';
  ip: string;
  mac?: string;
  state?: 'INCOMPLETE' | 'REACHABLE' | 'STALE' | 'FAILED' | 'PERMANENT';
}

export interface FdbEvent extends Base {
  kind: 'fdb';
  action: 'learn' | 'forward' | 'flood' | 'local' | 'hairpin';
  mac: string;
  port?: string; // egress port for forward/hairpin, ingress port for learn
}

export interface RouteEvent extends Base {
  kind: 'route';
  dst: string;
  /** The route that matched, printed as `ip route` prints it. */
  route: string;
  decision: 'local' | 'forward' | 'output';
  /** A multipath route: the path the flow's hash chose (`via 192.168.56.12 dev eth0`) and how many there were. */
  nexthop?: string;
  nexthops?: number;
  /**
   * IPVS chose a real server that is an address of this host: ip_vs_nat_send_or_cont hands the packet up to
   * the local socket without LOCAL_OUT, so no OUTPUT rule (a policy agent's egress check there included) sees it.
   */
  ipvsLocal?: true;
}

export interface ForwardEvent extends Base {
  kind: 'forward';
  ttl: number; // TTL after the decrement
}

/**
 * The reverse-path check on IP input (fib_validate_source) did something
 * worth telling: dropped the packet (`drop`, rp_filter 1 or no route back;
 * `martian`, a source that is our own address) or let an asymmetric one
 * through in loose mode (`loose-pass`: strict mode would have dropped it).
 * Packets whose route back leaves by the device they came in on make no event.
 */
export interface RpFilterEvent extends Base {
  kind: 'rpfilter';
  src: string;
  /** The effective rp_filter on the input device: max(all, device). */
  mode: 0 | 1 | 2;
  /** The route back to the source, as `ip route` prints it (`none`, `local`). */
  reverse: string;
  result: 'drop' | 'martian' | 'loose-pass';
}

export interface IcmpEvent extends Base {
  kind: 'icmp';
  /** The kernel sends an ICMP error or echo reply about packet `about`. */
  message: string; // e.g. `port unreachable`, `time exceeded in transit`, `echo reply`
  about: number;
  /**
   * Set when a rate limit withheld the error (nothing sent; `pkt` is then the offending packet): the
   * per-destination bucket (`icmp_ratelimit`), the namespace's (`icmp_msgs_per_sec`), or routing
   * input's own (`ip_rt_error_cost`).
   */
  suppressed?: 'icmp_ratelimit' | 'icmp_msgs_per_sec' | 'ip_rt_error_cost';
}

/** A tunnel device wrapped (encap) or unwrapped (decap) the packet. */
export interface TunnelEvent extends Base {
  kind: 'encap' | 'decap';
  vni?: number; // VXLAN only
  outer: string; // outer addresses and ports
  bytes: number; // header bytes added (encap) or removed (decap), Ethernet to Ethernet
}

/**
 * One netfilter table ran for one hook (`at` is the namespace): the rules whose
 * targets were taken, as `iptables-save` prints them, and the verdict.
 */
export interface NetfilterEvent extends Base {
  kind: 'netfilter';
  table: 'raw' | 'mangle' | 'nat' | 'filter';
  /** The built-in chain (= hook) the walk started in. */
  chain: 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';
  /** `-A CHAIN ...` of every rule whose target was taken, in order. */
  rules: string[];
  verdict: 'ACCEPT' | 'DROP' | 'REJECT';
  /** The verdict came from the chain policy, not from a rule. */
  policy: boolean;
  /** How many rules were evaluated (the cost of a linear chain). */
  evaluated: number;
  /** br_netfilter: a bridged frame traversed the namespace's iptables (bridge-nf-call-iptables). */
  bridged?: boolean;
}

/**
 * One nftables base chain ran for one hook (`at` is the namespace): the rules
 * taken and the set or map elements that matched (a verdict map lookup names
 * the element whose verdict was taken), the verdict, and what it cost.
 */
export interface NftablesEvent extends Base {
  kind: 'nftables';
  /** `<family> <name>`, e.g. `ip kube-proxy`. */
  table: string;
  /** The base chain the walk started in. */
  chain: string;
  hook: 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';
  priority: number;
  /** `<chain>: <rule as nft lists it>` for every rule whose statements all ran, in order. */
  rules: string[];
  /** `@<set or map>: <element>` (or `vmap { <element> }` for an anonymous map) for every lookup that matched. */
  elements: string[];
  verdict: 'accept' | 'drop' | 'reject';
  /** The verdict is the base chain's policy. */
  policy: boolean;
  /** Rules evaluated. */
  evaluated: number;
  /** Set and map lookups (hash probes), hits and misses. */
  lookups: number;
  bridged?: boolean;
}

/** The packet was looked up in (or entered into) the namespace's conntrack table. */
export interface ConntrackEvent extends Base {
  kind: 'conntrack';
  /** The `--ctstate` the packet has. */
  state: 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID' | 'UNTRACKED';
  /** Direction of the packet in its connection. */
  dir: 'original' | 'reply';
  /** The entry as `conntrack -L` would print its tuples (after any NAT decided so far). */
  entry: string;
}

/** NAT rewrote the packet's addresses (`before` / `after` as `src:sport > dst:dport`). */
export interface NatEvent extends Base {
  kind: 'nat';
  /** DNAT/SNAT/MASQUERADE on the first packet; the same binding on later ones; `reverse` on replies. */
  type: 'DNAT' | 'SNAT' | 'MASQUERADE' | 'reverse';
  manip: 'src' | 'dst';
  before: string;
  after: string;
  /** Whether this packet set up the binding (the connection's first packet). */
  first: boolean;
  /** For a load-balanced Service: every endpoint the rules could have chosen. */
  candidates?: string[];
  /** Rewritten by IPVS (masq forwarding), or decided by an nftables nat chain, not by the iptables nat table. */
  by?: 'ipvs' | 'nftables';
}

/**
 * IPVS handled the packet (`at` is the namespace): a new connection scheduled
 * to a real server (`schedule`, or `persistent` when a persistence template
 * chose it), a packet of a known connection (`existing`), a real server's
 * reply given the VIP back as source (`reply`), or a virtual service with no
 * real server (`no-destination`).
 */
export interface IpvsEvent extends Base {
  kind: 'ipvs';
  action: 'schedule' | 'persistent' | 'existing' | 'reply' | 'related' | 'no-destination';
  /** `TCP 10.96.0.10:53 rr`, as ipvsadm lists the virtual service. */
  service: string;
  scheduler: string;
  /** Every real server with its weight and connection counts, when scheduling. */
  candidates?: string[];
  /** The real server (`ip:port`). */
  chosen?: string;
  /** The connection entry: `TCP client -> VIP -> real server STATE`. */
  conn?: string;
}

/**
 * A NetworkPolicy decision for one direction of one pod, read from the policy
 * agent's rules the packet traversed (`at` is the node's namespace).
 */
export interface PolicyEvent extends Base {
  kind: 'policy';
  direction: 'ingress' | 'egress';
  /** The pod whose policies decided (`ns/name`): the destination for ingress, the source for egress. */
  pod: string;
  verdict: 'allow' | 'deny';
  /**
   * `rule`: a rule of `policy` allowed it; `no-rule`: isolated by `isolatedBy` and
   * nothing matched; `node-local`: traffic from the pod's own node, always
   * allowed; `self`: the pod reaching itself through its Service (hairpin),
   * allowed unless `networkPolicy.selfViaService: enforce`. Pods no policy
   * isolates have no chain, hence no event.
   */
  because: 'rule' | 'no-rule' | 'node-local' | 'self';
  /** The allowing policy (`ns/name`), its rule index in `ingress`/`egress`, and what matched. */
  policy?: string;
  rule?: number;
  /** The peer and port that matched, e.g. `from[0] podSelector app=frontend, ports[0] TCP/80`. */
  peer?: string;
  /** Every policy selecting the pod for this direction (`ns/name`), sorted. */
  isolatedBy: string[];
}

/**
 * An application read a whole HTTP/1.1 message off a TCP connection (`at` is
 * its namespace; `pkt` the segment that completed the message): a server or
 * the ingress controller a request, a client or the controller a response.
 */
export interface HttpEvent extends Base {
  kind: 'http';
  message: 'request' | 'response';
  /** Requests: method, Host header and request target. */
  method?: string;
  host?: string;
  path?: string;
  /** Requests: the X-Forwarded-For header, when the request carries one. */
  forwardedFor?: string;
  /** Responses: the status code. */
  status?: number;
  /** Body bytes (Content-Length). */
  bytes: number;
}

/**
 * The ingress controller decided about a request (`at` is the controller
 * pod's namespace; `pkt` the segment that completed the request):
 * `proxy` = a rule (or a default backend) chose a Service and the upstream it
 * connects to; `retry` = that upstream failed (`reason`) and the next is tried;
 * `respond` = the controller answers itself with `status` (400 an invalid request target, 301
 * auto redirect to a location named with a trailing slash, 308 ssl-redirect, 404 no rule and no default backend, 503 no endpoints, 502/504 every upstream failed).
 */
export interface IngressEvent extends Base {
  kind: 'ingress';
  action: 'proxy' | 'retry' | 'respond';
  /** The nginx server that took the request: a rule's host, a wildcard, or `_` (the catch-all). */
  server: string;
  /** The Ingress path that matched (absent: the server's root default location). */
  ingress?: string;
  host?: string;
  path?: string;
  pathType?: 'Exact' | 'Prefix' | 'ImplementationSpecific';
  /** The backend Service and port: `ns/name:port`. */
  backend?: string;
  /** The address the controller connects to: an endpoint `ip:port`, or the Service's `clusterIP:port` (service-upstream). */
  upstream?: string;
  upstreamIs?: 'endpoint' | 'service' | 'external-name';
  /** `upstreamIs: external-name`: the ExternalName Service's name, which the Lua balancer resolved to `upstream`. */
  externalName?: string;
  /** Every upstream the balancer could have chosen. */
  candidates?: string[];
  status?: number;
  reason?: string;
}

export interface DeliverEvent extends Base {
  kind: 'deliver';
  /**
   * Who consumed it: a socket, the kernel's ICMP or ARP handler, IP reassembly
   * (a fragment merged into the whole), or a tunnel daemon that carries it on as
   * a new packet (flanneld's udp backend).
   */
  to: 'udp' | 'tcp' | 'sctp' | 'icmp' | 'arp' | 'reassembly' | 'tunnel';
  socket?: string; // local ip:port of the receiving socket
  src?: string; // source IP the receiver sees
  sport?: number;
}

export interface DropEvent extends Base {
  kind: 'drop';
  reason: DropReason;
  detail: string;
}

/**
 * What can change in a cluster while packets flow: a `steps:` item, or a
 * controller reacting to one (closed set, documented in docs/trace.md).
 */
export type ChangeKind =
  | 'policy' // a NetworkPolicy was applied or deleted
  | 'service' // a Service was created, replaced or deleted (`kubectl apply` / `delete`)
  | 'label' // a pod's or namespace's labels changed
  | 'pod-created' // a pod was scheduled and its network set up (CNI ADD)
  | 'pod-pending' // a pod a controller made could not start: no node had a free pod address
  | 'pod-ready' // a pod's Ready condition became true
  | 'pod-terminating' // a pod got its deletionTimestamp (SIGTERM)
  | 'pod-deleted' // a pod's containers exited and its network was torn down (CNI DEL)
  | 'scale' // a Deployment's replicas changed
  | 'rollout' // a Deployment rolled out a new ReplicaSet
  | 'endpoints' // the EndpointSlice controller rewrote a Service's slices
  | 'proxy-sync' // kube-proxy on one node reprogrammed its rules
  | 'ingress-sync' // an ingress-nginx controller posted new backends to its nginx, or nginx's Lua timer took them
  | 'proxy-config' // kube-proxy's settings on a node changed (sync delay, conntrack cleanup)
  | 'conntrack-delete' // conntrack entries were deleted (kube-proxy's stale UDP cleanup, or `conntrack -D`)
  | 'conntrack-flush' // `conntrack -F`
  | 'node-down' // a node's link went down
  | 'node-up' // a node's link came back
  | 'routes' // the network backend added or withdrew a node's routes
  | 'link-fault' // loss, delay, jitter, corruption or reordering set on a link
  | 'mtu' // a device's MTU changed
  | 'hairpin' // a bridge port's hairpin mode changed
  | 'sysctl' // a kernel setting changed (`sysctl -w`)
  | 'kernel' // a node now runs another kernel release (a `kernel` step): nf_nat's port search, conntrack's clash handling
  | 'lb-health' // the cloud load balancer took a node out of (or back into) an address's backends after its health checks
  | 'app'; // an application event (a client gave up, a connection closed)

/**
 * The cluster changed. Not about a packet: `pkt` is 0. `at` is the namespace
 * that changed (`node1`, `default/web-1`) or `cluster` for API objects.
 */
export interface ChangeEvent extends Base {
  kind: 'change';
  change: ChangeKind;
  /** What happened, as the command or API change would read (`kubectl delete pod default/web-1`, `conntrack -F`). */
  detail: string;
}

/**
 * A TCP socket's life, as the application sees it (`at` is the namespace):
 * the connection established, the request's data all acknowledged
 * (`complete`), a retransmission (`pkt` is the retransmitted segment), and how
 * it ended: `reset` (RST received), `refused` / `unreachable` (an ICMP error
 * ended the connect), `timeout` (retries exhausted: tcp_syn_retries /
 * tcp_retries2), `gave-up` (the application's own timeout closed it).
 */
export interface TcpEvent extends Base {
  kind: 'tcp';
  /**
   * `mss`: an ICMP fragmentation-needed lowered the connection's MSS to the path MTU (segments too large for it sent again, cut to size);
   * `close`: the application closed, FIN sent; `closed`: FINs exchanged, the socket in TIME_WAIT;
   * `keepalive`: a keep-alive probe sent after the idle time.
   */
  action: 'established' | 'complete' | 'retransmit' | 'mss' | 'close' | 'closed' | 'keepalive' | 'timeout' | 'reset' | 'refused' | 'unreachable' | 'gave-up';
  flow?: string;
  /** `local > remote` as the socket sees it (`10.244.1.2:38341 > 10.96.0.10:80`). */
  conn: string;
  detail: string;
}

export type TraceEvent =
  | ChangeEvent
  | TcpEvent
  | CreateEvent
  | TxEvent
  | RxEvent
  | ArpEvent
  | FdbEvent
  | RouteEvent
  | ForwardEvent
  | IcmpEvent
  | RpFilterEvent
  | TunnelEvent
  | NetfilterEvent
  | NftablesEvent
  | ConntrackEvent
  | NatEvent
  | PolicyEvent
  | IpvsEvent
  | HttpEvent
  | IngressEvent
  | DeliverEvent
  | DropEvent;

export type TraceKind = TraceEvent['kind'];

/** Schema version of the JSON Lines trace; bump on incompatible change. */
export const TRACE_SCHEMA_VERSION = 1;

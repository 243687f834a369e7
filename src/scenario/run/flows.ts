import type { Cluster } from '../../cluster/build.js';
import type { CreateEvent, DropReason, IngressEvent, NatEvent, PolicyEvent, TraceEvent } from '../../trace/events.js';
import type { ConnectionOutcome, EndpointRef, TrafficSpec } from '../types.js';

/**
 * What became of one packet a traffic item sent (its "request"). Read-only:
 * its lists are frozen and may be shared with other results (every empty
 * one, and a train's identical paths and rules).
 */
export interface FlowResult {
  /** `name`, or `name#k` (1-based) when the item sends several packets. */
  flow: string;
  traffic: TrafficSpec;
  /** Id of the request packet (absent if it could not even be sent). */
  pkt: number | undefined;
  verdict: 'delivered' | 'dropped';
  /** Where it was delivered, as a ref string (`pod/shop/cart`, `node/alpha`, `host/client`). */
  deliveredTo?: string;
  seenSource?: string;
  dropReason?: DropReason;
  dropDetail?: string;
  /** Devices the request crossed, in order (`<netns>:<dev>`), consecutive repeats collapsed. */
  path: readonly string[];
  /** Simulated round trip: request sent to first answer received back at the sender, in ns. */
  rttNs?: number;
  /** `ip:port` the first answer came from as the sender's socket saw it (after un-NAT), when a socket read it. */
  replySource?: string;
  /** NAT applied to the request (DNAT, SNAT, MASQUERADE and their bindings; not replies' `reverse`), in order. */
  nat?: readonly NatEvent[];
  /**
   * The endpoints (`ip:port`) the load-balancing NAT chose among for the request, when one did: the
   * KUBE-SVC/KUBE-SVL chain's endpoints (iptables), the service-/local- chain's (nftables), the
   * virtual service's real servers (IPVS).
   */
  candidates?: string[];
  /** NetworkPolicy decisions taken on the request, in order. */
  policies?: readonly PolicyEvent[];
  /** Rules the request took, in order: iptables ones as iptables-save prints them (`-A CHAIN ...`), nftables ones as `<chain>: <rule>`. */
  rules?: readonly string[];
  /** TCP: the client's connection as its socket saw it (its `tcp` trace events). */
  connection?: { outcome: ConnectionOutcome; retransmits: number; detail?: string };
  /** HTTP traffic: what came back and what the backend read (see http-flow.ts). */
  http?: HttpOutcome;
  /** HTTP traffic through an ingress controller: its decision (the rule, the backend, the upstream). */
  ingress?: IngressDecision;
}

export interface HttpOutcome {
  /** The response status the client read; absent = no response came back. */
  status?: number;
  bytes?: number;
  /** X-Forwarded-For in the request the backend read. */
  forwardedFor?: string;
}

/** The ingress controller's decision about a request (from its `ingress` trace events). */
export interface IngressDecision extends Pick<IngressEvent, 'server' | 'ingress' | 'host' | 'path' | 'pathType' | 'backend'> {
  controller: string;
  /** Upstreams tried, in order (`ip:port`). */
  upstreams: string[];
  /** When the controller answered itself (404, 503, 502, 504). */
  answered?: number;
}

/** The trace indexed once by packet, so that summarizing many flows stays linear. */
export class TraceIndex {
  /** Positions of each packet's events in the trace. */
  private readonly byPkt = new Map<number, number[]>();
  /** Packets each packet caused, with who created them. */
  private readonly children = new Map<number, { pkt: number; by: CreateEvent['by'] }[]>();
  /** Packets of each flow (the `flow` their create event names), in creation order. */
  private readonly byFlow = new Map<string, number[]>();

  /** The `tcp` events (a TCP client's view), in order. */
  readonly tcpEvents: TraceEvent[] = [];

  constructor(readonly events: readonly TraceEvent[]) {
    events.forEach((e, i) => {
      if (e.kind === 'tcp') this.tcpEvents.push(e);
      let list = this.byPkt.get(e.pkt);
      if (!list) this.byPkt.set(e.pkt, (list = []));
      list.push(i);
      if (e.kind === 'create' && e.flow !== undefined) {
        let pk = this.byFlow.get(e.flow);
        if (!pk) this.byFlow.set(e.flow, (pk = []));
        pk.push(e.pkt);
      }
      if (e.kind === 'create' && e.cause !== undefined) {
        let kids = this.children.get(e.cause);
        if (!kids) this.children.set(e.cause, (kids = []));
        kids.push({ pkt: e.pkt, by: e.by });
      }
    });
  }

  /** `root` and the packets descending from it through the given creators. */
  descendants(root: number, through?: readonly CreateEvent['by'][]): number[] {
    const out = [root];
    for (let i = 0; i < out.length; i++) {
      for (const k of this.children.get(out[i]!) ?? []) if (!through || through.includes(k.by)) out.push(k.pkt);
    }
    return out;
  }

  /** Packets created for a flow, in order. */
  packetsOf(flow: string): readonly number[] {
    return this.byFlow.get(flow) ?? [];
  }

  /** Packets `pkt` caused through one creator, in order. */
  childrenOf(pkt: number, by: CreateEvent['by']): number[] {
    return (this.children.get(pkt) ?? []).filter((k) => k.by === by).map((k) => k.pkt);
  }

  /** Events of these packets, in trace order. */
  eventsOf(pkts: readonly number[]): TraceEvent[] {
    const idx = pkts.flatMap((p) => this.byPkt.get(p) ?? []).sort((a, b) => a - b);
    return idx.map((i) => this.events[i]!);
  }
}

/** The ref string (`pod/ns/name`, `node/x`, `host/y`) of a namespace, for deliveredTo. */
export function refForNetns(name: string, cluster: Cluster): string {
  if (cluster.nodes.has(name)) return `node/${name}`;
  if (cluster.hosts.has(name)) return `host/${name}`;
  if (cluster.pods.has(name)) return `pod/${name}`;
  return name;
}

export function refString(r: EndpointRef): string {
  switch (r.kind) {
    case 'pod':
      return `pod/${r.namespace}/${r.name}`;
    case 'node':
      return `node/${r.name}`;
    case 'host':
      return `host/${r.name}`;
    case 'ip':
      return r.ip;
    case 'service':
      return `service/${r.namespace}/${r.name}`;
    case 'dns':
      return r.name;
  }
}

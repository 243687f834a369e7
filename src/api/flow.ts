import type { FlowResult, HttpOutcome, IngressDecision, TraceIndex } from '../scenario/run/flows.js';
import type { ConnectionOutcome, TrafficSpec } from '../scenario/types.js';
import type { CreateEvent, DeliverEvent, DropEvent, DropReason, NatEvent, NetfilterEvent, PolicyEvent, TraceEvent, TraceKind } from '../trace/events.js';
import { renderTable } from '../trace/table.js';
import { printable } from '../trace/safe-text.js';
import { kindOf, requireObject, requireString } from './check-args.js';
import { UsageError } from './errors.js';
import { NOT_DETAILED, type RunContext } from './run-context.js';

/** Which events `hops()` returns. All given criteria must hold. */
export interface HopFilter {
  /** A namespace: a node (`node1`), a pod (`default/pod1`), a host, `gateway`, `underlay`. */
  netns?: string;
  /** Alias of `netns`, reading better for nodes. */
  node?: string;
  /** A device: `cbr0` (in any namespace) or `node1:cbr0`. */
  device?: string;
  /** One event kind or several (`'tx'`, `['netfilter', 'nat']`). */
  kind?: TraceKind | readonly TraceKind[];
  /** `request` (default): the request packet and its clones and fragments; `all`: answers, ARP and ICMP too. */
  packets?: 'request' | 'all';
}

/** One packet (skb lineage) of a flow, with its own events. */
export interface Packet {
  id: number;
  /** Who created it (`app`, `arp`, `icmp`, `tcp`, `udp`, `bridge`). */
  by: CreateEvent['by'];
  /** The packet that caused it (ARP for a queued packet, a reply, an ICMP error). */
  cause?: number;
  /**
   * `request`: the flow's request or a clone/fragment of it; `answer`: anything
   * the request caused (replies, ARP, ICMP); `lookup`: the sender's DNS queries
   * for a `to:` name, and what they caused (answers, ARP).
   */
  role: 'request' | 'answer' | 'lookup';
  events: TraceEvent[];
  /** How it ended: exactly one deliver or drop. */
  fate: DeliverEvent | DropEvent | undefined;
}

/** A matched netfilter rule: where and in which table/chain it was taken. */
export interface MatchedRule {
  at: string;
  table: NetfilterEvent['table'];
  chain: NetfilterEvent['chain'];
  /** `-A CHAIN ...` as iptables-save prints it. */
  rule: string;
  bridged: boolean;
}

/**
 * What became of one flow (one packet a traffic item or `send` sent), with
 * queries over its part of the trace. The vitest matchers take these.
 */
export class Flow {
  /** Request lineage (request, bridge clones, fragments, tunnel re-sends). */
  readonly requestPackets: readonly number[];
  /** Every packet of the flow: the request's descendants (lineage, answers, ARP, ICMP), then any DNS lookup's. */
  readonly packetIds: readonly number[];
  /** The DNS lookup's packets (queries and what they caused), when `to:` was a name. */
  readonly lookupPackets: readonly number[];
  /** The request lineage's events, in trace order. */
  readonly requestEvents: readonly TraceEvent[];
  /** All of the flow's events, in trace order. */
  readonly events: readonly TraceEvent[];

  /**
   * What the run knows (scenario, devices, whether detail was kept): the matchers judge their
   * arguments against it. Not enumerable, so printing or comparing a Flow leaves it out.
   */
  declare readonly runContext: RunContext | undefined;

  /** `lookupRoots`: packets the sender's resolver created for this flow (DNS queries), if any. */
  constructor(
    readonly result: FlowResult,
    index: TraceIndex,
    lookupRoots: readonly number[] = [],
    context?: RunContext,
  ) {
    Object.defineProperty(this, 'runContext', { value: context, enumerable: false });
    const pkt = result.pkt;
    this.requestPackets = pkt === undefined ? [] : index.descendants(pkt, ['bridge', 'app']);
    const own = pkt === undefined ? [] : index.descendants(pkt);
    const seen = new Set(own);
    const lookup: number[] = [];
    for (const id of lookupRoots.flatMap((r) => index.descendants(r))) {
      if (seen.has(id)) continue;
      seen.add(id);
      lookup.push(id);
    }
    this.lookupPackets = lookup;
    this.packetIds = [...own, ...this.lookupPackets];
    this.requestEvents = index.eventsOf(this.requestPackets);
    this.events = index.eventsOf(this.packetIds);
  }

  get name(): string {
    return this.result.flow;
  }
  get traffic(): TrafficSpec {
    return this.result.traffic;
  }
  get verdict(): 'delivered' | 'dropped' {
    return this.result.verdict;
  }
  get delivered(): boolean {
    return this.result.verdict === 'delivered';
  }
  /** `pod/<ns>/<name>`, `node/<name>` or `host/<name>`. */
  get deliveredTo(): string | undefined {
    return this.result.deliveredTo;
  }
  /** Source IP the receiving socket saw (after any SNAT). */
  get seenSource(): string | undefined {
    return this.result.seenSource;
  }
  /** When dropped: why (one of the reasons in docs/trace.md). */
  get dropReason(): DropReason | undefined {
    return this.result.dropReason;
  }
  get dropDetail(): string | undefined {
    return this.result.dropDetail;
  }
  /** Devices the request crossed, `<netns>:<dev>`, consecutive repeats collapsed. Needs a detailed run (else UsageError). */
  get path(): readonly string[] {
    this.needsDetail('path');
    return this.result.path;
  }
  /** Simulated round trip to the first answer back at the sender, in ns. */
  get rttNs(): number | undefined {
    return this.result.rttNs;
  }
  /** NAT applied to the request (DNAT/SNAT/MASQUERADE), in order. Needs a detailed run. */
  get nat(): readonly NatEvent[] {
    this.needsDetail('nat');
    return this.result.nat ?? [];
  }
  /** Needs a detailed run. */
  get natted(): boolean {
    this.needsDetail('natted');
    return this.nat.length > 0;
  }
  /** `ip:port` the first answer came from as the sender's socket saw it, after conntrack un-NATed it (a Service's address, not the pod's). */
  get replySource(): string | undefined {
    return this.result.replySource;
  }
  /**
   * The endpoints (`ip:port`) the load-balancing NAT chose among for the request, when one did: the KUBE-SVC
   * chain's (iptables), the service chain's (nftables), the virtual service's real servers (ipvs). Needs a detailed run.
   */
  get candidates(): readonly string[] | undefined {
    this.needsDetail('candidates');
    return this.result.candidates;
  }
  /**
   * TCP: the client's connection as its socket saw it: how it ended (`established`, `complete`, `closed`,
   * `timeout`, `reset`, `refused`, `unreachable`, `gave-up`, `none`) and the retransmissions it made.
   */
  get connection(): { readonly outcome: ConnectionOutcome; readonly retransmits: number; readonly detail?: string } | undefined {
    return this.result.connection;
  }
  /** HTTP traffic: the status the client read, the body size, the X-Forwarded-For the backend read. */
  get http(): HttpOutcome | undefined {
    return this.result.http;
  }
  /** HTTP traffic through an ingress controller: the rule it chose, the backend, the upstreams it tried. */
  get ingress(): IngressDecision | undefined {
    return this.result.ingress;
  }
  /** NetworkPolicy decisions on the request. Needs a detailed run. */
  get policies(): readonly PolicyEvent[] {
    this.needsDetail('policies');
    return this.result.policies ?? [];
  }
  /** Netfilter rules the request took, with where. Needs a detailed run. */
  get rules(): MatchedRule[] {
    this.needsDetail('rules');
    return this.requestEvents
      .filter((e): e is NetfilterEvent => e.kind === 'netfilter')
      .flatMap((e) => e.rules.map((rule) => ({ at: e.at, table: e.table, chain: e.chain, rule, bridged: e.bridged ?? false })));
  }
  /** The deliver or drop event that decided the verdict. */
  get outcome(): DeliverEvent | DropEvent | undefined {
    const evs = this.requestEvents;
    if (this.delivered) return evs.find((e): e is DeliverEvent => e.kind === 'deliver' && e.to !== 'arp' && e.to !== 'reassembly' && e.to !== 'tunnel');
    const own = evs.filter((e): e is DropEvent => e.kind === 'drop');
    return own.find((e) => e.pkt === this.result.pkt) ?? own[own.length - 1];
  }

  /** Events of the request (or of every packet), filtered by where and what. */
  hops(filter: HopFilter = {}): TraceEvent[] {
    checkHopFilter(filter);
    this.needsDetail('hops()');
    const ns = filter.netns ?? filter.node;
    const kinds = filter.kind === undefined ? undefined : typeof filter.kind === 'string' ? [filter.kind] : filter.kind;
    const dev = filter.device;
    return (filter.packets === 'all' ? this.events : this.requestEvents).filter(
      (e) =>
        (ns === undefined || e.at === ns || e.at.startsWith(`${ns}:`)) &&
        (kinds === undefined || kinds.includes(e.kind)) &&
        (dev === undefined || (dev.includes(':') ? e.at === dev : e.at.slice(e.at.lastIndexOf(':') + 1) === dev && e.at.includes(':'))),
    );
  }

  /** Each packet of the flow with its events and fate. */
  packets(): Packet[] {
    const request = new Set(this.requestPackets);
    const lookup = new Set(this.lookupPackets);
    return this.packetIds.map((id) => {
      const events = this.events.filter((e) => e.pkt === id);
      const create = events.find((e): e is CreateEvent => e.kind === 'create');
      return {
        id,
        by: create?.by ?? 'app',
        ...(create?.cause === undefined ? {} : { cause: create.cause }),
        role: request.has(id) ? 'request' : lookup.has(id) ? 'lookup' : 'answer',
        events,
        fate: events.find((e): e is DeliverEvent | DropEvent => e.kind === 'deliver' || e.kind === 'drop'),
      };
    });
  }

  /** Whether per-hop events were kept (`detailed`, the default): path, NAT, policies, rules and hops need them. */
  get detailed(): boolean {
    return this.runContext?.detailed ?? true;
  }

  /** A question only the per-hop trace answers: refuse it on a run that kept only outcomes, rather than answer "none". */
  private needsDetail(what: string): void {
    if (!this.detailed) throw new UsageError(what, NOT_DETAILED);
  }

  /** The request's hops (or the given events) as the CLI's hop table. */
  table(events: readonly TraceEvent[] = this.requestEvents): string {
    return renderTable(events);
  }
}

const FILTER_KEYS = ['netns', 'node', 'device', 'kind', 'packets'];
// Every kind, checked complete by the compiler: a new event kind must be added here.
const KIND_SET: Record<TraceKind, true> = { change: true, tcp: true, create: true, tx: true, rx: true, arp: true, fdb: true, route: true, forward: true, icmp: true, rpfilter: true, encap: true, decap: true, netfilter: true, nftables: true, conntrack: true, nat: true, policy: true, ipvs: true, http: true, ingress: true, deliver: true, drop: true };
const TRACE_KINDS = Object.keys(KIND_SET);

/** A hop filter as documented, or a UsageError naming the field. */
function checkHopFilter(filter: unknown): void {
  const f = requireObject(filter, 'filter');
  for (const k of Object.keys(f)) if (!FILTER_KEYS.includes(k)) throw new UsageError(`filter.${printable(k, 40)}`, `unknown field (expected ${FILTER_KEYS.join(', ')})`);
  for (const k of ['netns', 'node', 'device'] as const) if (f[k] !== undefined) requireString(f[k], `filter.${k}`);
  if (f.kind !== undefined) {
    const kinds = Array.isArray(f.kind) ? (f.kind as unknown[]) : [f.kind];
    for (const k of kinds) if (typeof k !== 'string' || !(TRACE_KINDS as readonly string[]).includes(k)) throw new UsageError('filter.kind', `expected a trace event kind (${TRACE_KINDS.join(', ')}) or a list of them, got ${kindOf(k)}`);
  }
  if (f.packets !== undefined && f.packets !== 'request' && f.packets !== 'all') throw new UsageError('filter.packets', `expected request or all, got ${kindOf(f.packets)}`);
}

import type { Cluster } from '../../cluster/build.js';
import type { CreateEvent, DropReason, TraceEvent } from '../../trace/events.js';
import type { FlowSink } from './flow-stream.js';
import type { TrafficSpec } from '../types.js';
import { ConnectionTally } from './connection-tally.js';
import type { FlowResult } from './flows.js';
import { HttpSummary } from './http-summary.js';
import { RequestSummary, unsentResult } from './request-summary.js';

/** A flow being followed: its request (once sent) and, for TCP and HTTP, what its sockets saw. */
export interface TrackedFlow {
  readonly flow: string;
  readonly traffic: TrafficSpec;
  request: RequestSummary | undefined;
  readonly connection: ConnectionTally | undefined;
  readonly http: HttpSummary | undefined;
}

/** A packet's place in the flows that care about it: in a request's lineage, or among what it caused. */
interface Owner {
  summary: RequestSummary;
  lineage: boolean;
}

/**
 * Summarises every flow of a run as the trace streams by, so no one has to
 * keep the trace. Per packet it remembers only which requests it matters to
 * (a packet inherits that from the packet that caused it, at its `create`);
 * once a request's first answer is in, what it causes outside its lineage is
 * not followed any further. Per flow it keeps a summary (RequestSummary,
 * ConnectionTally, HttpSummary), never events. The results are exactly those
 * read from the whole trace (test/scenario/flow-oracle.ts; test/scenarios).
 */
export class FlowSummarizer implements FlowSink {
  private readonly owners = new Map<number, Owner[]>();
  /** Flows by name: `tcp` events and `create`s name their flow. */
  private readonly byName = new Map<string, TrackedFlow[]>();
  /** HTTP flows by the packet their controller decided on (its upstream SYNs' cause). */
  private readonly byDecision = new Map<number, HttpSummary[]>();
  /** Requests sent, waiting for their `create` to be read. */
  private readonly requests = new Map<number, RequestSummary>();
  /** Packets created for HTTP flows (their `create` names the flow), for the summaries that read their events. */
  private readonly httpPackets = new Map<number, HttpSummary[]>();
  /** Flows by name, waiting for their request. */
  private readonly sending = new Map<string, TrackedFlow>();

  /** Start following a flow (before it is sent). */
  track(flow: string, traffic: TrafficSpec): TrackedFlow {
    const f: TrackedFlow = {
      flow,
      traffic,
      request: undefined,
      connection: traffic.protocol === 'TCP' ? new ConnectionTally() : undefined,
      http: traffic.http ? new HttpSummary(flow) : undefined,
    };
    let list = this.byName.get(flow);
    if (!list) this.byName.set(flow, (list = []));
    list.push(f);
    this.sending.set(flow, f);
    return f;
  }

  /** A flow's request was sent as packet `pkt` (FlowStream tells it before the packet's events). */
  request(flow: string, pkt: number): void {
    const f = this.sending.get(flow);
    this.sending.delete(flow);
    if (f) this.requests.set(pkt, (f.request = new RequestSummary(pkt)));
  }

  event(e: TraceEvent): void {
    if (e.kind === 'create') this.adopt(e);
    else if (e.kind === 'tcp' && e.flow !== undefined) for (const f of this.byName.get(e.flow) ?? []) f.connection?.add(e);
    const owners = this.owners.get(e.pkt);
    if (owners) {
      for (const o of owners) {
        if (o.lineage) o.summary.lineage(e);
        else o.summary.caused(e);
      }
    }
    this.httpEvent(e);
  }

  /** Packets followed (the state kept per packet; a test checks it does not grow with the trace). */
  get packetsFollowed(): number {
    return this.owners.size + this.httpPackets.size;
  }

  /** A flow's result once the run is over (`unsent`: why a request that never left was dropped). */
  result(f: TrackedFlow, cluster: Cluster, unsent: DropReason): FlowResult {
    if (!f.request) return unsentResult(f.flow, f.traffic, unsent);
    const first = f.request.result(f.flow, f.traffic, cluster, f.connection ? { connection: f.connection.result() } : {});
    return f.http ? f.http.result(first, cluster) : first;
  }

  /** A new packet: which requests it matters to, from its cause (and whether it is a request itself). */
  private adopt(e: CreateEvent): void {
    // Arrays made only when there is something to put in them: most packets matter to no flow.
    let owners: Owner[] | undefined;
    if (e.cause !== undefined) {
      const causeOwners = this.owners.get(e.cause);
      if (causeOwners) {
        for (const o of causeOwners) {
          const lineage = o.lineage && (e.by === 'bridge' || e.by === 'app');
          if (lineage || o.summary.wantsAnswers) (owners ??= []).push({ summary: o.summary, lineage });
        }
      }
      // An ingress controller's connect() to an upstream: a SYN caused by the request segment it decided on.
      const deciding = e.by === 'app' ? this.byDecision.get(e.cause) : undefined;
      if (deciding) for (const h of deciding) if (e.frame.info.startsWith('TCP [S]')) (owners ??= []).push({ summary: h.leg(e.pkt), lineage: true });
    }
    const request = this.requests.get(e.pkt);
    if (request) {
      this.requests.delete(e.pkt);
      (owners ??= []).push({ summary: request, lineage: true });
    }
    if (owners) this.owners.set(e.pkt, owners);
    if (e.flow === undefined) return;
    const flows = this.byName.get(e.flow);
    if (!flows) return;
    let http: HttpSummary[] | undefined;
    for (const f of flows) if (f.http) (http ??= []).push(f.http);
    if (!http) return;
    this.httpPackets.set(e.pkt, http);
    for (const h of http) h.adopt(e);
  }

  /** HTTP flows read the `http`, `ingress` and `tcp` events of their own packets. */
  private httpEvent(e: TraceEvent): void {
    if (e.kind !== 'http' && e.kind !== 'ingress' && e.kind !== 'tcp') return;
    for (const h of this.httpPackets.get(e.pkt) ?? []) {
      const decided = h.decisionPkt !== undefined;
      h.event(e);
      if (decided || h.decisionPkt === undefined) continue;
      let list = this.byDecision.get(h.decisionPkt);
      if (!list) this.byDecision.set(h.decisionPkt, (list = []));
      list.push(h);
    }
  }
}

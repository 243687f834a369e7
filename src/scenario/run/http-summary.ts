import type { CreateEvent, HttpEvent, IngressEvent, TraceEvent } from '../../trace/events.js';
import { ConnectionTally } from './connection-tally.js';
import type { FlowResult, IngressDecision } from './flows.js';
import { RequestSummary, type DeliveryPlaces } from './request-summary.js';

/**
 * An HTTP flow through a proxy is two TCP connections: the client's to the
 * ingress controller, and the controller's to the backend (one per upstream
 * it tries). The client's connection is the flow's request summary; this
 * follows the rest as the events stream by: the events of the packets created
 * for the flow (its `http` and `ingress` events, the client socket's `tcp`
 * events) and the upstream legs: the controller opens each with a SYN caused
 * by the request segment it read, so the legs are found from the trace, not
 * assumed. The flow ends where the last leg ended (the backend pod, or the
 * drop that stopped it); path, NAT, policies and rules are those of every leg
 * in order. Kept: its few http/ingress events and the legs' summaries.
 */
export class HttpSummary {
  private firstCreate: CreateEvent | undefined;
  private readonly ingress: IngressEvent[] = [];
  private readonly http: HttpEvent[] = [];
  private readonly client = new ConnectionTally();
  /** The upstream connections, in the order the controller opened them. */
  private readonly legs: RequestSummary[] = [];

  constructor(readonly flow: string) {}

  /** A packet created for this flow (the first one's namespace is the client's). */
  adopt(e: CreateEvent): void {
    this.firstCreate ??= e;
  }

  /** The request segment the controller decided on: the packet its upstream SYNs name as their cause. */
  get decisionPkt(): number | undefined {
    return this.ingress[0]?.pkt;
  }

  /** `e` is the controller's SYN to an upstream: follow it as a leg (its lineage only). */
  leg(pkt: number): RequestSummary {
    const leg = new RequestSummary(pkt, false);
    this.legs.push(leg);
    return leg;
  }

  /** An event of a packet created for this flow. */
  event(e: TraceEvent): void {
    if (e.kind === 'ingress') this.ingress.push(e);
    else if (e.kind === 'http') this.http.push(e);
    else if (e.kind === 'tcp' && e.flow === this.flow && e.at === this.firstCreate?.at) this.client.add(e);
  }

  /** `first` (the client's connection) completed with the legs and what came back. */
  result(first: FlowResult, places: DeliveryPlaces): FlowResult {
    const senderNs = this.firstCreate?.at;
    let out: FlowResult = first;
    const decision = this.ingress[0];
    if (decision) {
      const legs = this.legs.map((l) => l.result(first.flow, first.traffic, places));
      const last = legs[legs.length - 1];
      if (last) {
        const { verdict, deliveredTo, seenSource, dropReason, dropDetail } = last;
        const all = [first, ...legs];
        out = {
          ...first,
          verdict,
          path: all.flatMap((l) => l.path),
          nat: all.flatMap((l) => l.nat ?? []),
          policies: all.flatMap((l) => l.policies ?? []),
          rules: all.flatMap((l) => l.rules ?? []),
        };
        delete out.deliveredTo;
        delete out.seenSource;
        delete out.dropReason;
        delete out.dropDetail;
        Object.assign(out, deliveredTo === undefined ? {} : { deliveredTo }, seenSource === undefined ? {} : { seenSource }, dropReason === undefined ? {} : { dropReason }, dropDetail === undefined ? {} : { dropDetail });
      }
      out.ingress = ingressDecision(decision, this.ingress);
    }
    const response = this.http.find((e) => e.message === 'response' && e.at === senderNs);
    const controllerNs = decision?.at;
    const backendRequest = [...this.http].reverse().find((e) => e.message === 'request' && e.at !== controllerNs);
    out.http = {
      ...(response?.status === undefined ? {} : { status: response.status, bytes: response.bytes }),
      ...(backendRequest?.forwardedFor === undefined ? {} : { forwardedFor: backendRequest.forwardedFor }),
    };
    // The client's connection is the one its own socket saw (the proxy's connections carry the same flow name).
    if (out.connection) out.connection = this.client.result();
    // An HTTP exchange's round trip: the first packet sent to the response read.
    if (response && this.firstCreate) out.rttNs = response.t - this.firstCreate.t;
    return out;
  }
}

function ingressDecision(d: IngressEvent, all: IngressEvent[]): IngressDecision {
  const answered = all.find((e) => e.action === 'respond');
  return {
    controller: d.at,
    server: d.server,
    ...(d.ingress === undefined ? {} : { ingress: d.ingress }),
    ...(d.host === undefined ? {} : { host: d.host }),
    ...(d.path === undefined ? {} : { path: d.path }),
    ...(d.pathType === undefined ? {} : { pathType: d.pathType }),
    ...(d.backend === undefined ? {} : { backend: d.backend }),
    upstreams: all.filter((e) => e.action === 'proxy' && e.upstream !== undefined).map((e) => e.upstream!),
    ...(answered?.status === undefined ? {} : { answered: answered.status }),
  };
}

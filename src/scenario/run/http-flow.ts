import type { Cluster } from '../../cluster/build.js';
import type { HttpEvent, IngressEvent } from '../../trace/events.js';
import { connectionOf, summarizeFlow, type FlowResult, type IngressDecision, type TraceIndex } from './flows.js';

/**
 * An HTTP flow through a proxy is two TCP connections: the client's to the
 * ingress controller, and the controller's to the backend (one per upstream
 * it tries). `first` summarizes the client's connection; this adds the
 * upstream legs: the controller opens each with a SYN caused by the request
 * segment it read, so the legs are found from the trace, not assumed.
 * The flow ends where the last leg ended (the backend pod, or the drop that
 * stopped it); path, NAT, policies and rules are those of every leg in order.
 */
export function withHttp(first: FlowResult, index: TraceIndex, cluster: Cluster): FlowResult {
  const events = index.eventsOf(index.packetsOf(first.flow));
  const ingressEvents = events.filter((e): e is IngressEvent => e.kind === 'ingress');
  const httpEvents = events.filter((e): e is HttpEvent => e.kind === 'http');
  const senderNs = events.find((e) => e.kind === 'create')?.at;
  let out: FlowResult = first;
  const decision = ingressEvents[0];
  if (decision) {
    // The controller's connect()s (SYNs it sent because of the request), not its writes to the client.
    const syns = index.childrenOf(decision.pkt, 'app').filter((p) => index.eventsOf([p]).some((e) => e.kind === 'create' && e.frame.info.startsWith('TCP [S]')));
    const legs = syns.map((syn) => summarizeFlow(first.flow, first.traffic, syn, index, cluster));
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
    out.ingress = ingressDecision(decision, ingressEvents);
  }
  const response = httpEvents.find((e) => e.message === 'response' && e.at === senderNs);
  const controllerNs = decision?.at;
  const backendRequest = [...httpEvents].reverse().find((e) => e.message === 'request' && e.at !== controllerNs);
  out.http = {
    ...(response?.status === undefined ? {} : { status: response.status, bytes: response.bytes }),
    ...(backendRequest?.forwardedFor === undefined ? {} : { forwardedFor: backendRequest.forwardedFor }),
  };
  // The client's connection is the one its own socket saw (the proxy's connections carry the same flow name).
  if (out.connection) out.connection = connectionOf(events.filter((e) => e.at === senderNs), first.flow);
  // An HTTP exchange's round trip: the SYN sent to the response read.
  const sent = events.find((e) => e.kind === 'create');
  if (response && sent) out.rttNs = response.t - sent.t;
  return out;
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

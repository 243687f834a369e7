/**
 * The reference flow summary: what `podwalk run` computed from the whole
 * trace before flows were summarised as the events streamed by
 * (src/scenario/run/flow-summarizer.ts). Kept here as the oracle the
 * streaming summariser must match on every scenario (test/scenarios).
 */
import type { Cluster } from '../../src/cluster/build.js';
import type { DeliverEvent, DropEvent, DropReason, HttpEvent, IngressEvent, NatEvent, PolicyEvent, TraceEvent } from '../../src/trace/events.js';
import type { ConnectionOutcome, TrafficSpec } from '../../src/scenario/types.js';
import { refForNetns, TraceIndex, type FlowResult, type IngressDecision } from '../../src/scenario/run/flows.js';
import type { RunResult } from '../../src/scenario/run/simulate.js';

/** Every flow of a finished run, summarised from its kept trace the way podwalk used to. */
export function oracleFlows(result: RunResult): FlowResult[] {
  const index = new TraceIndex(result.events);
  const unsent = result.stopped === 'budget' ? 'event-budget' : 'not-finished';
  return result.flows.map((f) => {
    // Flow-level outcomes with no packet: the name did not resolve, or send() failed (a connected UDP socket's pending error).
    if ((f.dropReason === 'dns-unresolved' || f.dropReason === 'send-error') && f.pkt === undefined) return f;
    const r = summarizeFlow(f.flow, f.traffic, f.pkt, index, result.cluster, unsent);
    return f.traffic.http && r.pkt !== undefined ? withHttp(r, index, result.cluster) : r;
  });
}

/**
 * A TCP flow's connection from the client socket's `tcp` events: the last
 * ending (closed, timeout, reset, refused, unreachable, gave-up) wins, else
 * `complete`, else `established`, else `none`; retransmissions counted.
 */
export function connectionOf(events: readonly TraceEvent[], flow: string): NonNullable<FlowResult['connection']> {
  let outcome: ConnectionOutcome = 'none';
  let detail: string | undefined;
  let retransmits = 0;
  for (const e of events) {
    if (e.kind !== 'tcp' || e.flow !== flow) continue;
    if (e.action === 'retransmit') retransmits++;
    else if (e.action === 'mss' || e.action === 'close' || e.action === 'keepalive') continue;
    else if (e.action === 'established') {
      if (outcome === 'none') outcome = 'established';
    } else if (e.action === 'complete') {
      if (outcome === 'none' || outcome === 'established') outcome = 'complete';
    } else {
      outcome = e.action;
      detail = e.detail;
    }
  }
  return { outcome, retransmits, ...(detail === undefined ? {} : { detail }) };
}

/**
 * Reads a flow's fate out of the trace: its request packet, the bridge clones
 * and fragments made of it form one lineage; delivered if any of them reached
 * a socket, else dropped with the reason the packet itself ended with.
 */
export function summarizeFlow(flow: string, traffic: TrafficSpec, pkt: number | undefined, index: TraceIndex, cluster: Cluster, unsent: DropReason = 'not-finished'): FlowResult {
  // Never sent: the run stopped (event budget) before the traffic item's time came.
  if (pkt === undefined) return { flow, traffic, pkt, verdict: 'dropped', dropReason: unsent, dropDetail: 'never sent: the run stopped first', path: [] };
  const lineage = index.descendants(pkt, ['bridge', 'app']);
  const path: string[] = [];
  let delivered: DeliverEvent | undefined;
  let ownDrop: DropEvent | undefined;
  let anyDrop: DropEvent | undefined;
  let sentAt = 0;
  let senderNs: string | undefined;
  const nat: NatEvent[] = [];
  const policies: PolicyEvent[] = [];
  const rules: string[] = [];
  let candidates: string[] | undefined;
  for (const e of index.eventsOf(lineage)) {
    if (e.kind === 'create' && e.pkt === pkt) {
      sentAt = e.t;
      senderNs = e.at;
    } else if (e.kind === 'tx' || e.kind === 'rx' || e.kind === 'fdb' || e.kind === 'encap' || e.kind === 'decap') {
      if (path[path.length - 1] !== e.at) path.push(e.at);
    } else if (e.kind === 'deliver' && e.to !== 'arp' && e.to !== 'reassembly' && e.to !== 'tunnel' && !delivered) {
      delivered = e;
    } else if (e.kind === 'drop') {
      if (e.pkt === pkt) ownDrop = e;
      anyDrop = e;
    } else if (e.kind === 'nat') {
      if (e.type !== 'reverse') nat.push(e);
      if (e.type !== 'reverse' && e.candidates && !candidates) candidates = e.candidates;
    } else if (e.kind === 'ipvs') {
      // A real server is described as `ip:port (weight w, n active, m inactive)`.
      if ((e.action === 'schedule' || e.action === 'persistent') && e.candidates && !candidates) candidates = e.candidates.map((c) => c.split(' ')[0]!);
    } else if (e.kind === 'policy') {
      policies.push(e);
    } else if (e.kind === 'netfilter') {
      rules.push(...e.rules);
    } else if (e.kind === 'nftables') {
      rules.push(...e.rules);
    }
  }
  const matched = { nat, ...(candidates ? { candidates } : {}), policies, rules, ...(traffic.protocol === 'TCP' ? { connection: connectionOf(index.tcpEvents, flow) } : {}) };
  // The round trip ends with the first answer (reply, RST, ICMP error) delivered back at the sender.
  const inLineage = new Set(lineage);
  const answers = index.descendants(pkt).filter((p) => !inLineage.has(p));
  const answer = index
    .eventsOf(answers)
    .find((e) => e.kind === 'deliver' && e.to !== 'arp' && e.to !== 'reassembly' && e.to !== 'tunnel' && senderNs !== undefined && e.at.startsWith(`${senderNs}:`));
  const rttNs = answer ? answer.t - sentAt : undefined;
  const replySource = answer?.kind === 'deliver' && answer.src !== undefined && (answer.to === 'udp' || answer.to === 'tcp') ? `${answer.src}${answer.sport === undefined ? '' : `:${answer.sport}`}` : undefined;
  if (delivered) {
    const netnsName = delivered.at.slice(0, delivered.at.lastIndexOf(':'));
    return {
      flow,
      traffic,
      pkt,
      verdict: 'delivered',
      deliveredTo: refForNetns(netnsName, cluster),
      ...(delivered.src === undefined ? {} : { seenSource: delivered.src }),
      path,
      ...(rttNs === undefined ? {} : { rttNs }),
      ...(replySource === undefined ? {} : { replySource }),
      ...matched,
    };
  }
  const drop = ownDrop ?? anyDrop;
  return { flow, traffic, pkt, verdict: 'dropped', ...(drop ? { dropReason: drop.reason, dropDetail: drop.detail } : {}), path, ...matched };
}

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

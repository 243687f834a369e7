import type { FlowResult, HttpOutcome, IngressDecision } from '../run/flows.js';
import { refString } from '../run/flows.js';
import type { ConnectionOutcome } from '../types.js';

/**
 * The per-flow summary record of the JSON Lines output (`"kind":"flow"`):
 * what a jq user would otherwise rebuild from the events. Not a trace event
 * (no `t`/`pkt`/`at`); documented in docs/trace.md.
 */
export interface FlowSummaryRecord {
  kind: 'flow';
  flow: string;
  from: string;
  /** The destination as the scenario wrote it. */
  to: string;
  protocol: string;
  port?: number;
  pkt?: number;
  verdict: 'delivered' | 'dropped';
  deliveredTo?: string;
  seenSource?: string;
  dropReason?: string;
  dropDetail?: string;
  rttNs?: number;
  /** Devices the request crossed, `<netns>:<dev>`. */
  path: readonly string[];
  nat: { at: string; type: string; manip: string; before: string; after: string; by?: string }[];
  policies: { at: string; direction: string; pod: string; verdict: string; because: string; policy?: string; rule?: number }[];
  /** Netfilter rules whose targets the request took, as iptables-save prints them. */
  rules: readonly string[];
  /** `http` traffic: the status the client read, body bytes, the X-Forwarded-For the backend read. */
  http?: HttpOutcome;
  /** `http` traffic through an ingress controller: the rule, backend and upstreams tried. */
  ingress?: IngressDecision;
  /** TCP: how the client's connection ended up (`expect.connection`'s values), whatever became of the first packet. */
  connection?: ConnectionOutcome;
  /** TCP: retransmissions the client made (a dropped SYN whose retransmission got through: `verdict` dropped, `connection` complete, `retransmits` 1). */
  retransmits?: number;
}

export function flowSummaryRecord(f: FlowResult): FlowSummaryRecord {
  return {
    kind: 'flow',
    flow: f.flow,
    from: refString(f.traffic.from),
    to: refString(f.traffic.to),
    protocol: f.traffic.protocol,
    ...(f.traffic.port === undefined ? {} : { port: f.traffic.port }),
    ...(f.pkt === undefined ? {} : { pkt: f.pkt }),
    verdict: f.verdict,
    ...(f.deliveredTo === undefined ? {} : { deliveredTo: f.deliveredTo }),
    ...(f.seenSource === undefined ? {} : { seenSource: f.seenSource }),
    ...(f.dropReason === undefined ? {} : { dropReason: f.dropReason }),
    ...(f.dropDetail === undefined ? {} : { dropDetail: f.dropDetail }),
    ...(f.rttNs === undefined ? {} : { rttNs: f.rttNs }),
    path: f.path,
    nat: (f.nat ?? []).map((n) => ({ at: n.at, type: n.type, manip: n.manip, before: n.before, after: n.after, ...(n.by ? { by: n.by } : {}) })),
    policies: (f.policies ?? []).map((p) => ({ at: p.at, direction: p.direction, pod: p.pod, verdict: p.verdict, because: p.because, ...(p.policy === undefined ? {} : { policy: p.policy }), ...(p.rule === undefined ? {} : { rule: p.rule }) })),
    rules: f.rules ?? [],
    ...(f.http ? { http: f.http } : {}),
    ...(f.ingress ? { ingress: f.ingress } : {}),
    ...(f.connection ? { connection: f.connection.outcome, retransmits: f.connection.retransmits } : {}),
  };
}

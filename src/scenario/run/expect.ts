import type { NatEvent, PolicyEvent } from '../../trace/events.js';
import { formatTime } from '../../trace/format.js';
import type { FlowResult, IngressDecision } from './flows.js';
import { refString } from './flows.js';
import type { Expectation, IngressRuleExpectation, NatExpectation, PolicyExpectation } from '../types.js';

/** One unmet expectation: what was expected and what happened. */
export interface Mismatch {
  flow: string;
  field: 'verdict' | 'deliveredTo' | 'seenSource' | 'dropReason' | 'via' | 'notVia' | 'natted' | 'policy' | 'hops' | 'rtt' | 'connection' | 'retransmits' | 'replySource' | 'httpStatus' | 'ingressRule' | 'forwardedFor' | 'candidates' | 'sameBackendAs';
  expected: string;
  actual: string;
}

/** Every flow's expectation checked; `sameBackendAs` looks the other flows up among `flows`. */
export function checkExpectations(flows: readonly FlowResult[]): Mismatch[] {
  const byName = new Map<string, FlowResult>();
  for (const f of flows) {
    byName.set(f.flow, f);
    // `name` alone is the item's first request (`name` or `name#1`).
    const item = f.flow.replace(/#1$/, '');
    if (!byName.has(item)) byName.set(item, f);
  }
  return flows.flatMap((f) => (f.traffic.expect ? checkExpectation(f, f.traffic.expect, (name) => byName.get(name)) : []));
}

/**
 * Compare a flow with its expectation; an empty list means it passed. The
 * vitest matchers (`podwalk/vitest`) use the same predicates below, so a
 * scenario's `expect:` and a test's `expect(flow)` can never disagree.
 * `other` finds another flow's result by name (for `sameBackendAs`).
 */
export function checkExpectation(r: FlowResult, e: Expectation, other?: (flow: string) => FlowResult | undefined): Mismatch[] {
  const out: Mismatch[] = [];
  const miss = (field: Mismatch['field'], expected: string, actual: string): void => {
    out.push({ flow: r.flow, field, expected, actual });
  };
  if (e.verdict && e.verdict !== r.verdict) miss('verdict', e.verdict, r.verdict + (r.dropReason ? ` (${r.dropReason}: ${r.dropDetail ?? ''})` : ''));
  if (e.deliveredTo) {
    const wanted = e.deliveredTo.map(refString);
    if (!r.deliveredTo || !wanted.includes(r.deliveredTo)) miss('deliveredTo', wanted.join(' | '), r.deliveredTo ?? 'not delivered');
  }
  if (e.seenSource !== undefined && e.seenSource !== r.seenSource) miss('seenSource', e.seenSource, r.seenSource ?? 'not delivered');
  if (e.dropReason !== undefined && e.dropReason !== r.dropReason) miss('dropReason', e.dropReason, r.dropReason ?? `none (${r.verdict})`);
  if (e.via) {
    const missing = firstMissing(e.via, r.path);
    if (missing !== undefined) miss('via', e.via.join(' -> '), `${r.path.join(' -> ')}  (first missing: ${missing})`);
  }
  if (e.notVia) {
    const crossed = e.notVia.filter((d) => r.path.includes(d));
    if (crossed.length > 0) miss('notVia', `not ${e.notVia.join(', ')}`, `crossed ${crossed.join(', ')}: ${r.path.join(' -> ')}`);
  }
  if (e.natted !== undefined && !natMatches(r.nat ?? [], e.natted)) miss('natted', describeNatExpectation(e.natted), describeNat(r.nat ?? []));
  for (const p of e.policy ?? []) {
    if (!policyMatches(r.policies ?? [], p)) miss('policy', describePolicyExpectation(p), describePolicies(r.policies ?? []));
  }
  if (e.hops && !inRange(r.path.length, e.hops.min, e.hops.max)) miss('hops', describeRange(e.hops.min, e.hops.max, String), `${r.path.length}: ${r.path.join(' -> ')}`);
  if (e.rtt) {
    const fmt = (ns: number): string => `${formatTime(ns)} us`;
    if (r.rttNs === undefined) miss('rtt', describeRange(e.rtt.minNs, e.rtt.maxNs, fmt), 'no answer came back');
    else if (!inRange(r.rttNs, e.rtt.minNs, e.rtt.maxNs)) miss('rtt', describeRange(e.rtt.minNs, e.rtt.maxNs, fmt), fmt(r.rttNs));
  }
  const c = r.connection ?? { outcome: 'none', retransmits: 0 };
  if (e.connection && e.connection !== c.outcome) miss('connection', e.connection, `${c.outcome}${c.detail ? ` (${c.detail})` : ''}`);
  if (e.retransmits && !inRange(c.retransmits, e.retransmits.min, e.retransmits.max)) miss('retransmits', describeRange(e.retransmits.min, e.retransmits.max, String), String(c.retransmits));
  if (e.replySource !== undefined) {
    const got = r.replySource;
    const ok = got !== undefined && (e.replySource.includes(':') ? got === e.replySource : got.split(':')[0] === e.replySource);
    if (!ok) miss('replySource', e.replySource, got ?? 'no answer came back');
  }
  if (e.httpStatus !== undefined && r.http?.status !== e.httpStatus) miss('httpStatus', String(e.httpStatus), r.http?.status === undefined ? 'no HTTP response' : String(r.http.status));
  if (e.forwardedFor !== undefined && r.http?.forwardedFor !== e.forwardedFor) miss('forwardedFor', e.forwardedFor, r.http?.forwardedFor ?? 'no X-Forwarded-For read by a backend');
  if (e.ingressRule && !ingressRuleMatches(r.ingress, e.ingressRule)) miss('ingressRule', describeIngressRule(e.ingressRule), describeIngressDecision(r.ingress));
  if (e.candidates && !candidatesMatch(r.candidates, e.candidates.map((c) => c.address))) {
    miss('candidates', e.candidates.map((c) => (c.written === c.address ? c.address : `${c.written} (${c.address})`)).join(', '), r.candidates ? r.candidates.join(', ') : 'no load-balancing NAT chose an endpoint');
  }
  if (e.sameBackendAs !== undefined) {
    const o = other?.(e.sameBackendAs);
    const mine = backendOf(r);
    const theirs = o ? backendOf(o) : undefined;
    if (!o) miss('sameBackendAs', `the backend of ${e.sameBackendAs}`, `no flow ${e.sameBackendAs} in this run`);
    else if (mine === undefined || mine !== theirs) miss('sameBackendAs', `${theirs ?? 'no backend'} (as ${o.flow})`, mine ?? 'no backend: neither NATed to an endpoint nor delivered');
  }
  return out;
}

/** Exactly the expected addresses: `ip` matches any port of that IP, `ip:port` only itself. */
export function candidatesMatch(actual: readonly string[] | undefined, wanted: readonly string[]): boolean {
  if (!actual) return false;
  return actual.every((a) => wanted.some((w) => addressMatches(a, w))) && wanted.every((w) => actual.some((a) => addressMatches(a, w)));
}

/**
 * The backend a request went to: the endpoint (`ip:port`) its first destination NAT chose (iptables
 * DNAT, IPVS, nftables), else, without NAT, where it was delivered.
 */
export function backendOf(r: FlowResult): string | undefined {
  const dnat = (r.nat ?? []).find((n) => n.manip === 'dst');
  if (dnat) return endpoints(dnat.after).dst;
  return r.deliveredTo;
}

/** Whether the controller's decision is the expected rule (every given field equal; `default` = no rule path matched). */
export function ingressRuleMatches(d: IngressDecision | undefined, e: IngressRuleExpectation): boolean {
  if (!d) return false;
  if (e.default !== undefined && e.default !== (d.path === undefined)) return false;
  return (
    (e.ingress === undefined || e.ingress === d.ingress) &&
    (e.host === undefined || e.host === d.host) &&
    (e.path === undefined || e.path === d.path) &&
    (e.pathType === undefined || e.pathType === d.pathType) &&
    (e.backend === undefined || e.backend === d.backend)
  );
}

export function describeIngressRule(e: IngressRuleExpectation): string {
  if (e.default) return 'no rule (the default backend)';
  return [e.ingress, e.host && `host ${e.host}`, e.path && `path ${e.path}`, e.pathType, e.backend && `-> ${e.backend}`].filter(Boolean).join(' ');
}

export function describeIngressDecision(d: IngressDecision | undefined): string {
  if (!d) return 'no ingress controller decided about the request';
  const rule = d.path === undefined ? `no rule (server ${d.server} default${d.ingress ? ` of ${d.ingress}` : ''})` : `${d.ingress} host ${d.host ?? '*'} path ${d.path} ${d.pathType}`;
  return `${rule}${d.backend ? ` -> ${d.backend}` : ''}${d.answered ? ` answered ${d.answered}` : ''}`;
}

/** The first element of `want` not found, in order, as a subsequence of `have`. */
export function firstMissing(want: readonly string[], have: readonly string[]): string | undefined {
  return subsequenceGap(want, have).missing;
}

/**
 * Where an ordered subsequence match of `want` in `have` stops: the first
 * wanted item not found (undefined = all found), how many were found, and the
 * index in `have` just after the last one found (where the walk went elsewhere).
 */
export function subsequenceGap(want: readonly string[], have: readonly string[]): { missing?: string; found: number; after: number } {
  let i = 0;
  let found = 0;
  let after = 0;
  for (const w of want) {
    let j = i;
    while (j < have.length && have[j] !== w) j++;
    if (j >= have.length) return { missing: w, found, after };
    i = j + 1;
    after = i;
    found++;
  }
  return { found, after };
}

/** The two endpoints of a NAT event's `before`/`after` (`src:sport > dst:dport`; a ping's ` id N` left out). */
function endpoints(s: string): { src: string; dst: string } {
  const [src = '', dst = ''] = s.split(' > ');
  return { src: src.split(' id ')[0]!, dst: dst.split(' id ')[0]! };
}

/** `ip` matches `ip` and `ip:port`; `ip:port` matches only itself. */
export function addressMatches(actual: string, wanted: string): boolean {
  return wanted.includes(':') ? actual === wanted : actual === wanted || actual.startsWith(`${wanted}:`);
}

/** Whether the request's NAT steps meet `e` (see NatExpectation). */
export function natMatches(nat: readonly NatEvent[], e: NatExpectation): boolean {
  if (typeof e === 'boolean') return e === nat.length > 0;
  if (e.dst !== undefined && !nat.some((n) => n.manip === 'dst' && addressMatches(endpoints(n.after).dst, e.dst!))) return false;
  if (e.src !== undefined && !nat.some((n) => n.manip === 'src' && addressMatches(endpoints(n.after).src, e.src!))) return false;
  return true;
}

export function describeNatExpectation(e: NatExpectation): string {
  if (typeof e === 'boolean') return e ? 'some NAT' : 'no NAT';
  return [e.dst !== undefined ? `DNAT to ${e.dst}` : '', e.src !== undefined ? `SNAT to ${e.src}` : ''].filter(Boolean).join(' and ');
}

export function describeNat(nat: readonly NatEvent[]): string {
  if (nat.length === 0) return 'no NAT';
  return nat.map((n) => `${n.type} ${n.manip} ${n.before} -> ${n.after} at ${n.at}`).join('; ');
}

/**
 * A policy decision matches `p` when `p.name` allowed it by one of its rules,
 * or denied it by isolating the pod (every isolating policy shares a deny).
 */
export function policyMatches(decisions: readonly PolicyEvent[], p: PolicyExpectation): boolean {
  return decisions.some(
    (d) =>
      (d.policy === p.name || (d.verdict === 'deny' && d.isolatedBy.includes(p.name))) &&
      (p.direction === undefined || d.direction === p.direction) &&
      (p.verdict === undefined || d.verdict === p.verdict),
  );
}

export function describePolicyExpectation(p: PolicyExpectation): string {
  return `${p.name}${p.direction ? ` ${p.direction}` : ''}${p.verdict ? ` ${p.verdict}` : ''}`;
}

export function describePolicies(decisions: readonly PolicyEvent[]): string {
  if (decisions.length === 0) return 'no NetworkPolicy decision on the request';
  return decisions
    .map((d) => `${d.direction} ${d.pod} ${d.verdict} (${d.because}${d.policy ? ` ${d.policy}` : ''}${d.because === 'no-rule' ? ` isolated by ${d.isolatedBy.join(', ')}` : ''})`)
    .join('; ');
}

function inRange(v: number, min: number | undefined, max: number | undefined): boolean {
  return (min === undefined || v >= min) && (max === undefined || v <= max);
}

function describeRange(min: number | undefined, max: number | undefined, fmt: (n: number) => string): string {
  if (min !== undefined && max !== undefined) return min === max ? fmt(min) : `between ${fmt(min)} and ${fmt(max)}`;
  if (min !== undefined) return `at least ${fmt(min)}`;
  return `at most ${fmt(max!)}`;
}

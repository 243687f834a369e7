import type { TraceEvent } from '../events.js';
import { renderTable } from '../table.js';
import { endpoint, FlowPackets, formatDuration, isFinalDelivery, lastOf, netnsOf, shortWhere, type WalkFlow } from './flow-packets.js';
import { requestSteps, type Step } from './hops.js';
import { proxiedSteps, upstreamLegs, upstreamPackets } from './proxied.js';
import type { ViewOptions } from './options.js';
import { devicesCrossed, replySummary } from './reply.js';
import { retriedRequest, retriedSummary, type Retried } from './retried.js';
import { arpSummary, dnsSummary } from './side.js';
import { connectionTimeout } from './connection-end.js';
import { fit, fitAll, paint, type Terminal, visibleWidth } from './terminal.js';

/** `--flow NAME`: a traffic item's name selects all its packets (`name#1`, `name#2`, …). */
export function selectFlows<T extends { name: string }>(flows: readonly T[], names: readonly string[]): T[] {
  return names.length === 0 ? [...flows] : flows.filter((f) => isSelected(f.name, names));
}

/** Whether `--flow` `names` (none: every flow) select the flow `flow`. */
export function isSelected(flow: string, names: readonly string[]): boolean {
  return names.length === 0 || names.some((n) => n === flow || (flow.startsWith(n) && flow.charCodeAt(n.length) === 35)); // 35: '#'
}

/** Just the headline (`--quiet`). */
export function renderHeadline(flow: WalkFlow, term: Terminal): string[] {
  const fp = new FlowPackets(flow.events);
  return headline(flow, fp, flow.pkt === undefined ? [] : fp.eventsOf(fp.requestChain(flow.pkt)), retried(flow, fp), term);
}

/** A dropped request whose retransmission got through (the headline tells the end; the steps, the first copy's drop). */
function retried(flow: WalkFlow, fp: FlowPackets): Retried | undefined {
  return flow.verdict === 'dropped' && flow.pkt !== undefined ? retriedRequest(fp, flow.pkt) : undefined;
}

/**
 * One flow as people read a traceroute: a headline (who talks to whom, what
 * it resolved to, the verdict and the round trip), then, by detail level,
 * the devices crossed (`path`), numbered hops and decisions with side
 * traffic and the answer summarised (`hops`), or every trace event (`full`).
 */
export function renderWalk(flow: WalkFlow, opts: ViewOptions, term: Terminal): string[] {
  const fp = new FlowPackets(flow.events);
  const chain = flow.pkt === undefined ? [] : fp.requestChain(flow.pkt);
  const chainEvents = fp.eventsOf(chain);
  const retry = retried(flow, fp);
  const lines = headline(flow, fp, chainEvents, retry, term);
  if (opts.detail === 'full') return [...lines, ...tableLines(flow.events, term)];
  const path = devicesCrossed(chainEvents);
  // Through a proxy, each upstream connection's devices follow, after a `⇒` (the controller read the request and sent its own).
  if (opts.detail === 'path') return [...lines, ...fit(`  path: ${[path, ...upstreamLegs(fp)].map(pathText).join(' ⇒ ')}`, term, 8)];
  const steps = [...requestSteps(chainEvents, opts.visibility), ...proxiedSteps(fp, opts.visibility)];
  lines.push(...stepLines(steps, term));
  const side: string[] = [];
  const dns = dnsSummary(fp, flow.pkt);
  if (dns) side.push(dns);
  if (opts.visibility.arp !== 'hidden') side.push(...arpSummary(fp, opts.visibility.arp === 'summary'));
  // After a retransmission got through, the answer is compared with its path, and the copies are told here, not under `then:`.
  if (retry && flow.pkt !== undefined) side.push(retriedSummary(fp, flow.pkt, retry));
  if (flow.pkt !== undefined && fp.created.has(flow.pkt)) side.push(...replySummary(fp, flow.pkt, retry ? devicesCrossed(retry.chain) : path, retry?.all.slice(0, retry.nth)));
  const timedOut = connectionTimeout(flow.name, flow.events);
  if (timedOut) side.push(timedOut);
  for (const s of side) lines.push(...fit(`     ${paint(term, 'dim', s)}`, term, 7));
  return lines;
}

function headline(flow: WalkFlow, fp: FlowPackets, request: readonly TraceEvent[], retry: Retried | undefined, term: Terminal): string[] {
  const req = flow.pkt === undefined ? undefined : fp.created.get(flow.pkt);
  // What happened in the end: a first SYN dropped and its retransmission delivered is a connection that got through.
  const fate =
    flow.verdict === 'delivered'
      ? paint(term, 'good', 'delivered')
      : retry
        ? `${paint(term, 'good', `delivered after ${retry.nth} retransmission${retry.nth === 1 ? '' : 's'}`)} ${paint(term, 'note', `(first ${retry.what} dropped: ${flow.dropReason ?? 'unknown'})`)}`
        : paint(term, 'bad', `dropped: ${flow.dropReason ?? 'unknown'}`);
  const rtt = flow.rttNs === undefined ? (flow.verdict === 'delivered' ? ', no answer' : '') : `, rtt ${formatDuration(flow.rttNs)}`;
  // The endpoint and the receiver the headline names are the delivered copy's.
  const chain = retry ? retry.chain : request;
  const deliveredAt = retry?.chain.find(isFinalDelivery)?.at;
  // Named as the run names a delivery (`node/node2`, not the namespace `node2`), so it reads as every other headline.
  const deliveredTo = flow.deliveredTo ?? (deliveredAt === undefined ? undefined : placeOf(flow, netnsOf(deliveredAt)));
  // A plain `http` item (no Ingress in between, whose hops show the response): the status the client read.
  const response = flow.events.some((e) => e.kind === 'ingress') ? undefined : lastOf(flow.events, (e) => e.kind === 'http' && e.message === 'response');
  const status = response?.kind === 'http' && response.status !== undefined ? `, HTTP ${response.status}` : '';
  const first = `${paint(term, 'bold', flow.name)}: ${flow.protocol}, ${fate}${rtt}${status}`;
  const out = fit(first, term, 4);
  if (!req) {
    out.push(...fit(`  → ${flow.target}${flow.dropDetail ? ` (${flow.dropDetail})` : ''}`, term, 4));
    return out;
  }
  const from = `${shortWhere(req.at)} ${endpoint(req.frame.src, req.frame.sport)}`;
  const sent = endpoint(req.frame.dst, req.frame.dport);
  const written = flow.target === req.frame.dst ? sent : `${flow.target} ${sent}`;
  const dnat = chain.find((e): e is Extract<TraceEvent, { kind: 'nat' }> => e.kind === 'nat' && e.manip === 'dst' && e.type !== 'reverse');
  const ipvs = chain.find((e): e is Extract<TraceEvent, { kind: 'ipvs' }> => e.kind === 'ipvs' && e.chosen !== undefined);
  const endpointAfter = dnat ? dnat.after.split(' > ')[1] : ipvs?.chosen;
  const to = deliveredTo ? shortWhere(deliveredTo.replace(/^pod\//, '')) : undefined;
  // Not delivered: the endpoint the request was DNATed to is still someone's (a denied pod is named, not only its address).
  const owner = to === undefined && endpointAfter ? flow.ownerOf?.(endpointAfter.slice(0, endpointAfter.lastIndexOf(':'))) : undefined;
  const named = to ?? (owner === undefined ? undefined : shortWhere(owner.replace(/^pod\//, '')));
  // A proxy (nginx of an Ingress) took the request and sent it on over a connection of its own: the DNAT's
  // address is the proxy's, so it is named with it, then the backend the upstream connection reached.
  const upstream = upstreamPackets(fp);
  const proxy = upstream === undefined ? undefined : chain.find((e): e is Extract<TraceEvent, { kind: 'deliver' }> => isFinalDelivery(e));
  const reached = upstream === undefined ? undefined : lastOf(fp.events, (e) => upstream.has(e.pkt) && isFinalDelivery(e) && e.kind === 'deliver' && e.to === 'tcp');
  const backend = reached?.kind === 'deliver' ? reached.socket?.split(' ').pop() : undefined;
  const resolved = proxy
    ? ` ⇒ ${shortWhere(placeOf(flow, netnsOf(proxy.at)).replace(/^pod\//, ''))} ${endpointAfter ?? proxy.socket?.split(' ').pop() ?? ''}${backend ? ` → ${to ? `${to} ` : ''}${backend}` : ''}`
    : endpointAfter
      ? ` ⇒ ${named ? `${named} ` : ''}${endpointAfter}`
      : to && !flow.target.endsWith(to)
        ? ` ⇒ ${to}`
        : '';
  out.push(...fit(`  ${from} → ${written}${resolved}`, term, 4));
  return out;
}

function placeOf(flow: WalkFlow, netns: string): string {
  return flow.placeOf ? flow.placeOf(netns) : netns;
}

function stepLines(steps: readonly Step[], term: Terminal): string[] {
  const numW = String(steps.length).length;
  const whereW = Math.min(Math.max(0, ...steps.map((s) => visibleWidth(s.where))), term.width === undefined ? 40 : Math.floor(term.width / 3));
  const indent = 2 + numW + 2 + whereW + 2;
  const out: string[] = [];
  steps.forEach((s, i) => {
    const where = s.where.length > whereW ? s.where : s.where.padEnd(whereW);
    out.push(...fit(`  ${String(i + 1).padStart(numW)}  ${where}  ${paint(term, s.tone, s.text)}`, term, indent));
    for (const d of s.details) out.push(...fit(`${' '.repeat(indent)}${paint(term, 'dim', d)}`, term, indent + 2));
  });
  return out;
}

/** `pod1:eth0 → node1:veth… → cbr0 → … → pod2:eth0`: the namespace only when it changes. */
export function pathText(path: readonly string[]): string {
  let ns: string | undefined;
  return path
    .map((at) => {
      const n = netnsOf(at);
      const dev = at.slice(n.length + 1);
      const s = n === ns ? dev : shortWhere(at);
      ns = n;
      return s;
    })
    .join(' → ');
}

/** The full event table; on a terminal its columns are narrowed to fit. */
function tableLines(events: readonly TraceEvent[], term: Terminal): string[] {
  return fitAll(renderTable(events, term.width).split('\n'), term);
}

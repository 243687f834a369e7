import type { TraceEvent } from '../events.js';
import type { FlowPackets } from './flow-packets.js';
import { requestSteps, type Step } from './hops.js';
import type { Category, Visibility } from './options.js';
import { devicesCrossed } from './reply.js';

/**
 * When an application (an ingress controller) read the request and carried
 * it on over its own connection, the walk goes on: the HTTP messages read,
 * the controller's decision, and the walk of each connection it opened (the
 * SYNs it sent because of the request), in the order they happened.
 */
export function proxiedSteps(fp: FlowPackets, show: Record<Category, Visibility>): Step[] {
  const events = proxiedEvents(fp);
  return events.length === 0 ? [] : requestSteps(events, show);
}

/** The events `proxiedSteps` walks: the HTTP messages, the controller's decisions and its upstream connections' packets (none without a proxy). */
export function proxiedEvents(fp: FlowPackets): TraceEvent[] {
  const upstream = upstreamPackets(fp);
  if (upstream === undefined) return [];
  return fp.events.filter((e) => e.kind === 'http' || e.kind === 'ingress' || upstream.has(e.pkt));
}

/** The devices each upstream connection's first SYN crossed, one list per connection, in the order they were opened. */
export function upstreamLegs(fp: FlowPackets): string[][] {
  return upstreamSyns(fp).map((syn) => devicesCrossed(fp.eventsOf(fp.requestChain(syn))));
}

/** The packets of the connections the controller opened because of the request (undefined: no proxy decided anything). */
export function upstreamPackets(fp: FlowPackets): Set<number> | undefined {
  const decisions = fp.events.filter((e) => e.kind === 'ingress');
  if (decisions.length === 0) return undefined;
  const upstream = new Set<number>();
  for (const syn of upstreamSyns(fp)) for (const p of fp.requestChain(syn)) upstream.add(p);
  return upstream;
}

/** The SYNs the controller sent because of a decision about the request. */
function upstreamSyns(fp: FlowPackets): number[] {
  const out: number[] = [];
  const decisions = new Set(fp.events.filter((e) => e.kind === 'ingress').map((e) => e.pkt));
  for (const d of decisions) {
    for (const kid of fp.descendants(d, ['app'])) {
      const c = fp.created.get(kid);
      if (kid !== d && c && c.cause === d && c.frame.info.startsWith('TCP [S]')) out.push(kid);
    }
  }
  return out;
}

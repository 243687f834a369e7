import type { TraceEvent } from '../events.js';
import type { FlowPackets } from './flow-packets.js';
import { requestSteps, type Step } from './hops.js';
import type { Category, Visibility } from './options.js';

/**
 * When an application (an ingress controller) read the request and carried
 * it on over its own connection, the walk goes on: the HTTP messages read,
 * the controller's decision, and the walk of each connection it opened (the
 * SYNs it sent because of the request), in the order they happened.
 */
export function proxiedSteps(fp: FlowPackets, show: Record<Category, Visibility>): Step[] {
  const upstream = upstreamPackets(fp);
  if (upstream === undefined) return [];
  const events: TraceEvent[] = fp.events.filter((e) => e.kind === 'http' || e.kind === 'ingress' || upstream.has(e.pkt));
  return requestSteps(events, show);
}

/** The packets of the connections the controller opened because of the request (undefined: no proxy decided anything). */
export function upstreamPackets(fp: FlowPackets): Set<number> | undefined {
  const decisions = fp.events.filter((e) => e.kind === 'ingress');
  if (decisions.length === 0) return undefined;
  const upstream = new Set<number>();
  for (const d of new Set(decisions.map((e) => e.pkt))) {
    for (const kid of fp.descendants(d, ['app'])) {
      const c = fp.created.get(kid);
      if (kid !== d && c && c.cause === d && c.frame.info.startsWith('TCP [S]')) for (const p of fp.requestChain(kid)) upstream.add(p);
    }
  }
  return upstream;
}

import type { Cluster } from '../cluster/build.js';
import type { DeliverEvent, DropEvent, TraceEvent } from '../trace/events.js';
import type { EndpointRef, TrafficSpec } from './types.js';

/** What became of one packet a traffic item sent (its "request"). */
export interface FlowResult {
  /** `name`, or `name#k` (1-based) when the item sends several packets. */
  flow: string;
  traffic: TrafficSpec;
  /** Id of the request packet (absent if it could not even be sent). */
  pkt: number | undefined;
  verdict: 'delivered' | 'dropped';
  /** Where it was delivered, as a ref string (`pod/shop/cart`, `node/alpha`, `host/client`). */
  deliveredTo?: string;
  seenSource?: string;
  dropReason?: string;
  dropDetail?: string;
  /** Devices the request crossed, in order (`<netns>:<dev>`), consecutive repeats collapsed. */
  path: string[];
  /** Simulated round trip: request sent to first answer received back at the sender, in ns. */
  rttNs?: number;
}

/**
 * Reads a flow's fate out of the trace: its request packet and the bridge
 * clones made of it form one lineage; delivered if any of them reached a
 * socket, else dropped with the reason the packet itself ended with.
 */
export function summarizeFlow(flow: string, traffic: TrafficSpec, pkt: number | undefined, events: readonly TraceEvent[], cluster: Cluster): FlowResult {
  if (pkt === undefined) return { flow, traffic, pkt, verdict: 'dropped', dropReason: 'no-route', path: [] };
  const lineage = new Set<number>([pkt]);
  const path: string[] = [];
  let delivered: DeliverEvent | undefined;
  let ownDrop: DropEvent | undefined;
  let anyDrop: DropEvent | undefined;
  let sentAt = 0;
  let rttNs: number | undefined;
  let senderNs: string | undefined;
  const causes = new Map<number, number>();
  for (const e of events) if (e.kind === 'create' && e.cause !== undefined) causes.set(e.pkt, e.cause);
  for (const e of events) {
    if (e.kind === 'create') {
      if (e.pkt === pkt) {
        sentAt = e.t;
        senderNs = e.at;
      } else if (e.cause !== undefined && lineage.has(e.cause) && (e.by === 'bridge' || e.by === 'app')) lineage.add(e.pkt);
      continue;
    }
    if (e.kind === 'deliver' && rttNs === undefined && e.to !== 'arp' && !lineage.has(e.pkt) && senderNs !== undefined && e.at.startsWith(`${senderNs}:`) && descendsFrom(e.pkt, pkt, causes)) {
      rttNs = e.t - sentAt;
    }
    if (!lineage.has(e.pkt)) continue;
    if (e.kind === 'tx' || e.kind === 'rx' || e.kind === 'fdb') {
      if (path[path.length - 1] !== e.at) path.push(e.at);
    } else if (e.kind === 'deliver' && e.to !== 'arp' && e.to !== 'reassembly' && !delivered) {
      delivered = e;
    } else if (e.kind === 'drop') {
      if (e.pkt === pkt) ownDrop = e;
      anyDrop = e;
    }
  }
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
    };
  }
  const drop = ownDrop ?? anyDrop;
  return { flow, traffic, pkt, verdict: 'dropped', ...(drop ? { dropReason: drop.reason, dropDetail: drop.detail } : {}), path };
}

/** Was packet `id` caused, directly or through a chain, by packet `root`? */
function descendsFrom(id: number, root: number, causes: Map<number, number>): boolean {
  let cur: number | undefined = id;
  for (let i = 0; cur !== undefined && i < 64; i++) {
    if (cur === root) return true;
    cur = causes.get(cur);
  }
  return false;
}

/** The ref string (`pod/ns/name`, `node/x`, `host/y`) of a namespace, for deliveredTo. */
export function refForNetns(name: string, cluster: Cluster): string {
  if (cluster.nodes.has(name)) return `node/${name}`;
  if (cluster.hosts.has(name)) return `host/${name}`;
  if (cluster.pods.has(name)) return `pod/${name}`;
  return name;
}

export function refString(r: EndpointRef): string {
  switch (r.kind) {
    case 'pod':
      return `pod/${r.namespace}/${r.name}`;
    case 'node':
      return `node/${r.name}`;
    case 'host':
      return `host/${r.name}`;
    case 'ip':
      return r.ip;
    case 'service':
      return `service/${r.namespace}/${r.name}`;
    case 'dns':
      return r.name;
  }
}

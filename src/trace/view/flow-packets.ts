import type { CreateEvent, TraceEvent } from '../events.js';

/** What the view needs to know about one traffic item: its outcome and its packets' events. */
export interface WalkFlow {
  /** `name` or `name#k`. */
  name: string;
  protocol: string;
  /** The destination as the scenario wrote it (`pod/pod2`, `service/shop/cart`, `cart.shop`, an IP). */
  target: string;
  port?: number;
  verdict: 'delivered' | 'dropped';
  /** `pod/ns/name`, `node/x`, `host/y`. */
  deliveredTo?: string;
  /**
   * A namespace (`default/pod1`, `node2`) named as `deliveredTo` names it: for
   * where a retransmission that got through was delivered (a dropped request
   * has no `deliveredTo`). Absent: the namespace's own name.
   */
  placeOf?: (netns: string) => string;
  /**
   * Who holds an address (`pod/ns/name`, `node/x`, `host/y`), as the cluster
   * stands: names the endpoint a dropped request was DNATed to, which no
   * delivery names. Absent or undefined: the address alone.
   */
  ownerOf?: (ip: string) => string | undefined;
  dropReason?: string;
  dropDetail?: string;
  rttNs?: number;
  /** The request packet, if one was sent. */
  pkt?: number;
  /** Every event of the flow's packets (request, side traffic, answers), in trace order. */
  events: readonly TraceEvent[];
}

/** A socket (not ARP, not reassembly, not a tunnel daemon) took the packet. */
export function isFinalDelivery(e: TraceEvent): boolean {
  return e.kind === 'deliver' && e.to !== 'arp' && e.to !== 'reassembly' && e.to !== 'tunnel';
}

/** The flow's packets as a family tree (who caused whom), to tell the request from side traffic and answers. */
export class FlowPackets {
  readonly created = new Map<number, CreateEvent>();
  private readonly children = new Map<number, number[]>();
  private readonly byPkt = new Map<number, TraceEvent[]>();

  constructor(readonly events: readonly TraceEvent[]) {
    for (const e of events) {
      let list = this.byPkt.get(e.pkt);
      if (!list) this.byPkt.set(e.pkt, (list = []));
      list.push(e);
      if (e.kind !== 'create') continue;
      this.created.set(e.pkt, e);
      if (e.cause === undefined) continue;
      let kids = this.children.get(e.cause);
      if (!kids) this.children.set(e.cause, (kids = []));
      kids.push(e.pkt);
    }
  }

  of(pkt: number): readonly TraceEvent[] {
    return this.byPkt.get(pkt) ?? [];
  }

  /** `root` and what descends from it, optionally only through these creators. */
  descendants(root: number, through?: readonly CreateEvent['by'][]): number[] {
    const out = [root];
    for (let i = 0; i < out.length; i++) {
      for (const k of this.children.get(out[i]!) ?? []) if (!through || through.includes(this.created.get(k)!.by)) out.push(k);
    }
    return out;
  }

  /** `pkt` and its ancestors up to `root` (inclusive), root first. */
  chainTo(root: number, pkt: number): number[] {
    const chain = [pkt];
    let p = pkt;
    while (p !== root) {
      const c = this.created.get(p)?.cause;
      if (c === undefined) return [root];
      chain.push((p = c));
    }
    return chain.reverse();
  }

  /** Events of these packets, in trace order. */
  eventsOf(pkts: Iterable<number>): TraceEvent[] {
    const set = new Set(pkts);
    return this.events.filter((e) => set.has(e.pkt));
  }

  /**
   * The packets that carried the request to where it ended: the request, and,
   * when a bridge clone or a tunnel daemon's new packet took it on, those.
   */
  requestChain(root: number): number[] {
    const lineage = this.descendants(root, ['bridge', 'app']);
    const end = this.eventsOf(lineage).find(isFinalDelivery) ?? this.of(root).find((e) => e.kind === 'drop') ?? lastOf(this.eventsOf(lineage), (e) => e.kind === 'drop');
    return end ? this.chainTo(root, end.pkt) : [root];
  }
}

/** The last element matching (Array.prototype.findLast is ES2023; the build targets ES2022). */
export function lastOf<T>(xs: readonly T[], p: (x: T) => boolean): T | undefined {
  for (let i = xs.length - 1; i >= 0; i--) if (p(xs[i]!)) return xs[i];
  return undefined;
}

/** `default/pod1:eth0` → `pod1:eth0`: the default namespace goes without saying. */
export function shortWhere(at: string): string {
  return at.startsWith('default/') ? at.slice('default/'.length) : at;
}

export function netnsOf(at: string): string {
  const i = at.lastIndexOf(':');
  return i < 0 ? at : at.slice(0, i);
}

export function deviceOf(at: string): string | undefined {
  const i = at.lastIndexOf(':');
  return i < 0 ? undefined : at.slice(i + 1);
}

/** `TCP [S] seq 3736732665` → `TCP [S]`: sequence numbers say nothing at a glance. */
export function shortInfo(info: string): string {
  return info.replace(/ (seq|ack) \d+/g, '').replace(/ win \d+/g, '');
}

export function endpoint(ip: string | undefined, port: number | undefined): string {
  return port === undefined ? (ip ?? '?') : `${ip ?? '?'}:${port}`;
}

/** `default via 10.244.1.1 dev eth0 proto kernel ...` → `default via 10.244.1.1 dev eth0`: the part that decided. */
export function shortRoute(route: string): string {
  return route.replace(/ (proto|scope|src|metric) \S+/g, '');
}

/** Simulated time for people: µs under a millisecond, else ms. */
export function formatDuration(ns: number): string {
  if (ns < 1_000_000) return `${(ns / 1000).toFixed(1)} µs`;
  if (ns < 1_000_000_000) return `${(ns / 1_000_000).toFixed(3)} ms`;
  // A connection that waited for retransmissions: seconds read at a glance, to the millisecond.
  return `${(ns / 1_000_000_000).toFixed(3)} s`;
}

import type { TraceEvent } from '../events.js';
import { devicesCrossed } from './reply.js';
import { type FlowPackets, formatDuration, isFinalDelivery, shortWhere } from './flow-packets.js';

/** A dropped request that a retransmission (TCP, SCTP) of it got through: what happened in the end. */
export interface Retried {
  /** The retransmission that was delivered. */
  pkt: number;
  /** Its place among the retransmissions (1 = the first). */
  nth: number;
  /** Every retransmission of the request, in order. */
  all: number[];
  /** The events of the packets that carried it to where it was delivered. */
  chain: TraceEvent[];
  /** What the request was: `SYN`, `INIT` or `segment`. */
  what: string;
}

/**
 * The request's retransmissions are the kernel's copies of it (created by
 * its TCP or SCTP stack, same addresses, ports and header); the first of
 * them delivered is the one that got through. Undefined when none was.
 */
export function retriedRequest(fp: FlowPackets, request: number): Retried | undefined {
  const req = fp.created.get(request);
  if (!req) return undefined;
  const copy = (p: number): boolean => {
    const c = fp.created.get(p);
    return c !== undefined && (c.by === 'tcp' || c.by === 'sctp') && c.frame.src === req.frame.src && c.frame.dst === req.frame.dst && c.frame.sport === req.frame.sport && c.frame.dport === req.frame.dport && c.frame.info === req.frame.info;
  };
  const all = fp.descendants(request, ['tcp', 'sctp']).filter((p) => p !== request && copy(p));
  for (let i = 0; i < all.length; i++) {
    const chain = fp.eventsOf(fp.requestChain(all[i]!));
    if (!chain.some(isFinalDelivery)) continue;
    const what = req.frame.info.startsWith('TCP [S]') ? 'SYN' : req.frame.info.includes('INIT') ? 'INIT' : 'segment';
    return { pkt: all[i]!, nth: i + 1, all, chain, what };
  }
  return undefined;
}

/**
 * The retransmission in one line: when it went, where it was delivered, how
 * far, and the NAT it met (often what differs from the dropped first copy:
 * another source port, another endpoint).
 */
export function retriedSummary(fp: FlowPackets, request: number, r: Retried): string {
  const delay = formatDuration(fp.created.get(r.pkt)!.t - fp.created.get(request)!.t);
  const end = r.chain.find(isFinalDelivery);
  const devices = devicesCrossed(r.chain).length;
  const nat = r.chain
    .filter((e): e is Extract<TraceEvent, { kind: 'nat' }> => e.kind === 'nat' && e.type !== 'reverse')
    .map((e) => `, ${e.type} at ${shortWhere(e.at)} → ${(e.manip === 'src' ? e.after.split(' > ')[0] : e.after.split(' > ')[1]) ?? e.after}`)
    .join('');
  const which = r.nth === 1 ? `retransmitted ${delay} later` : `retransmitted ${r.nth} times (${r.nth === 2 ? 'the first retransmission' : `the first ${r.nth - 1} retransmissions`} dropped too); the last, ${delay} after the first ${r.what}`;
  return `${which}: delivered to ${end ? shortWhere(end.at) : '?'} through ${devices} device${devices === 1 ? '' : 's'}${nat}`;
}

import type { TraceEvent } from '../events.js';
import { type FlowPackets, formatDuration, isFinalDelivery, netnsOf, shortInfo, shortWhere } from './flow-packets.js';
import { count } from '../plural.js';

/** More packets than this after the answer are counted, not listed. */
const MAX_LISTED = 8;

/** Devices a packet crossed, in order, consecutive repeats collapsed (as FlowResult.path). */
export function devicesCrossed(events: readonly TraceEvent[]): string[] {
  const path: string[] = [];
  for (const e of events) {
    if (e.kind !== 'tx' && e.kind !== 'rx' && e.kind !== 'fdb' && e.kind !== 'encap' && e.kind !== 'decap') continue;
    if (path[path.length - 1] !== e.at) path.push(e.at);
  }
  return path;
}

/** The packets answering the request (reply, RST, ICMP error) and the rest of the exchange. */
export function answerPackets(fp: FlowPackets, request: number): { answer?: number; rest: number[] } {
  const lineage = new Set(fp.descendants(request, ['bridge', 'app']));
  const sender = fp.created.get(request)?.at;
  const own = (p: number): boolean => {
    const by = fp.created.get(p)?.by;
    return by !== 'arp' && by !== 'bridge';
  };
  const answers = fp.descendants(request).filter((p) => !lineage.has(p) && own(p));
  const answer = answers.find((p) => fp.eventsOf(fp.descendants(p, ['bridge', 'app'])).some((e) => isFinalDelivery(e) && netnsOf(e.at) === sender));
  // Later packets of the same exchange (the handshake's ACK, the data, their ACKs), sent by either side.
  const answered = new Set(answer === undefined ? [] : fp.descendants(answer, ['bridge', 'app']));
  const relayed = (c: { by: string; cause?: number }): boolean => c.by === 'app' && c.cause !== undefined; // a tunnel daemon's copy
  const rest = answers.filter((p) => !answered.has(p) && !relayed(fp.created.get(p)!));
  return { ...(answer === undefined ? {} : { answer }), rest };
}

/**
 * The answer in one line: what came back, whether it retraced the request's
 * devices, where NAT was undone, how long it took; then the rest of the
 * exchange in one more line (but the packets `told` already).
 */
export function replySummary(fp: FlowPackets, request: number, requestPath: readonly string[], told: readonly number[] = []): string[] {
  const { answer, rest: all } = answerPackets(fp, request);
  // Packets already told elsewhere (the request's retransmissions up to the one that got through).
  const rest = told.length === 0 ? all : all.filter((p) => !told.includes(p));
  const out: string[] = [];
  if (answer === undefined) out.push('reply: none came back');
  else {
    const chain = fp.requestChain(answer);
    const evs = fp.eventsOf(chain);
    const c = fp.created.get(answer)!;
    const back = devicesCrossed(evs);
    const reversed = [...requestPath].reverse();
    const same = back.length === reversed.length && back.every((d, i) => d === reversed[i]);
    const route = same ? (back.length === 1 ? 'the same device' : `the same ${back.length} devices in reverse`) : `${count(back.length, 'device')}${back.length > 0 ? ` (${shortWhere(back[0]!)} … ${shortWhere(back[back.length - 1]!)})` : ''}`;
    const unnat = evs
      .filter((e): e is Extract<TraceEvent, { kind: 'nat' }> => e.kind === 'nat' && e.type === 'reverse')
      .map((e) => `un-NATed at ${shortWhere(e.at)} (${e.manip === 'src' ? 'source' : 'destination'} ${pick(e.before, e.manip)} → ${pick(e.after, e.manip)})`);
    const done = evs.find(isFinalDelivery);
    const req = fp.created.get(request)!;
    out.push(`reply: ${shortInfo(c.frame.info)} from ${shortWhere(c.at)}, back through ${route}${unnat.length > 0 ? `, ${unnat.join(', ')}` : ''}${done ? `, after ${formatDuration(done.t - req.t)}` : ', not delivered'}`);
  }
  if (rest.length > MAX_LISTED) {
    const ok = rest.filter((p) => fp.eventsOf(fp.requestChain(p)).some(isFinalDelivery)).length;
    const out0 = rest.filter((p) => fp.created.get(p)!.frame.src === fp.created.get(request)?.frame.src).length;
    out.push(`then: ${rest.length} more packets (${out0} →, ${rest.length - out0} ←): ${ok === rest.length ? 'all delivered' : `${ok} delivered, ${rest.length - ok} dropped`}`);
  } else if (rest.length > 0) {
    const parts = rest.map((p) => {
      const c = fp.created.get(p)!;
      const evs = fp.eventsOf(fp.requestChain(p));
      const ok = evs.some(isFinalDelivery);
      const drop = evs.find((e) => e.kind === 'drop');
      return `${c.frame.src === fp.created.get(request)?.frame.src ? '→' : '←'} ${shortInfo(c.frame.info).replace(/^(TCP|UDP) /, '')}${ok ? '' : ` (dropped${drop && drop.kind === 'drop' ? `: ${drop.reason}` : ''})`}`;
    });
    const all = rest.every((p) => fp.eventsOf(fp.requestChain(p)).some(isFinalDelivery));
    // Repeats in a row (a SYN retransmitted into the same drop) are one entry with a count.
    const grouped: string[] = [];
    for (let i = 0; i < parts.length; ) {
      let j = i;
      while (j < parts.length && parts[j] === parts[i]) j++;
      grouped.push(j - i > 1 ? `${parts[i]!} ×${j - i}` : parts[i]!);
      i = j;
    }
    out.push(`then: ${grouped.join(', ')}${all ? ': all delivered' : ''}`);
  }
  return out;
}

function pick(addrs: string, manip: 'src' | 'dst'): string {
  const [src, dst] = addrs.split(' > ');
  return (manip === 'src' ? src : dst) ?? addrs;
}

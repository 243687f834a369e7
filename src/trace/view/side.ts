import type { TraceEvent } from '../events.js';
import { type FlowPackets, isFinalDelivery, netnsOf, shortWhere } from './flow-packets.js';

/**
 * Side traffic in one line each: the ARP exchanges that resolved the next
 * hops, and the DNS lookup that resolved a name. Read off the packets the
 * kernel created for the flow (`create` by `arp`, the resolver's queries).
 */
export function arpSummary(fp: FlowPackets, oneLine = true): string[] {
  const exchanges: string[] = [];
  const times = new Map<string, number>();
  let ignored = 0;
  for (const c of fp.created.values()) {
    if (c.by !== 'arp' || !c.frame.info.includes('who-has')) continue;
    const copies = fp.descendants(c.pkt, ['bridge']);
    const answers = [...fp.created.values()].filter((r) => r.by === 'arp' && r.cause !== undefined && copies.includes(r.cause) && r.frame.info.includes('is-at'));
    ignored += fp.eventsOf(copies).filter((e) => e.kind === 'drop' && e.reason === 'arp-ignored').length;
    const who = shortWhere(c.at);
    if (!oneLine) {
      const flood = copies.length > 1 ? `, broadcast to ${copies.length - 1} bridge port${copies.length === 2 ? '' : 's'}` : '';
      exchanges.push(`ARP at ${formatTimeShort(c.t)}: ${who} who-has ${c.frame.dst ?? '?'}${flood}; ${answers.length > 0 ? `${shortWhere(answers[0]!.at)} ${answers[0]!.frame.info.replace(/^ARP /, '')}` : 'no answer'}`);
      continue;
    }
    const x = `${who} ↔ ${answers.length > 0 ? shortWhere(answers[0]!.at) : 'no answer'} (${c.frame.dst ?? '?'})`;
    if (!times.has(x)) exchanges.push(x);
    times.set(x, (times.get(x) ?? 0) + 1);
  }
  if (!oneLine || exchanges.length === 0) return exchanges;
  const n = [...times.values()].reduce((a, b) => a + b, 0);
  const listed = exchanges.map((x) => (times.get(x)! > 1 ? `${x} ×${times.get(x)!}` : x));
  return [`ARP: ${n} exchange${n === 1 ? '' : 's'}: ${listed.join(', ')}${ignored > 0 ? `; ${ignored} broadcast cop${ignored === 1 ? 'y' : 'ies'} ignored elsewhere` : ''}`];
}

function formatTimeShort(ns: number): string {
  return `${(ns / 1000).toFixed(1)} µs`;
}

/**
 * The resolver's DNS lookup before the request: every query (the search list
 * tried in order) and what came back, as tcpdump prints DNS.
 */
export function dnsSummary(fp: FlowPackets, request: number | undefined): string | undefined {
  const queries = [...fp.created.values()].filter((c) => c.by === 'app' && c.cause === undefined && c.frame.dport === 53 && c.pkt !== request);
  if (queries.length === 0) return undefined;
  const parts: string[] = [];
  let lastName: string | undefined;
  let server: string | undefined;
  let first: number | undefined;
  let lastAnswer: number | undefined;
  for (const q of queries) {
    server ??= q.frame.dst;
    first ??= q.t;
    const m = /(\S+)\?\s(\S+)/.exec(q.frame.info);
    const type = m?.[1] ?? '';
    const name = (m?.[2] ?? q.frame.info).replace(/\.$/, '');
    const answer = fp.eventsOf(fp.descendants(q.pkt).filter((p) => p !== q.pkt)).find((e): e is Extract<TraceEvent, { kind: 'deliver' }> => isFinalDelivery(e) && netnsOf(e.at) === q.at);
    const reply = answer ? fp.created.get(answer.pkt) : undefined;
    if (answer) lastAnswer = answer.t;
    // The resolver asks A and AAAA for each name: one part per name, its answers by type.
    const text = `${type} ${reply ? answerText(reply.frame.info) : 'no answer'}`;
    if (name === lastName) parts[parts.length - 1] += `, ${text}`;
    else parts.push(`${name}: ${text}`);
    lastName = name;
  }
  const took = first !== undefined && lastAnswer !== undefined ? `, ${((lastAnswer - first) / 1000).toFixed(1)} µs` : '';
  return `DNS: ${queries.length} quer${queries.length === 1 ? 'y' : 'ies'} to ${server ?? '?'}:53${took}: ${parts.join('; ')}`;
}

/** `UDP 53: 13969 1/0/0 A 10.96.0.11 (68)` → `A 10.96.0.11`; `… NXDomain …` → `NXDomain`. */
function answerText(info: string): string {
  if (info.includes('NXDomain')) return 'NXDomain';
  const a = [...info.matchAll(/\bA (\d+\.\d+\.\d+\.\d+)/g)].map((m) => m[1]);
  if (a.length > 0) return `→ ${a.join(', ')}`;
  // NOERROR with no answer (only the SOA in authority): the name exists, the type does not.
  if (/\s0\/\d+\/\d+ \(\d+\)$/.test(info) && !/ServFail|Refused|FormErr|NotImp/.test(info)) return 'NODATA';
  return /: \S+ (.*) \(\d+\)$/.exec(info)?.[1] ?? info;
}

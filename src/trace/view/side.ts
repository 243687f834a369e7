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
    // Several hosts claiming the address (every ipvs-mode node for a kube-ipvs0 address without strictARP): the first answer wins.
    const also = answers.length > 1 ? `; also answered by ${answers.slice(1).map((r) => shortWhere(r.at)).join(', ')}, not taken` : '';
    if (!oneLine) {
      const flood = copies.length > 1 ? `, broadcast to ${copies.length - 1} bridge port${copies.length === 2 ? '' : 's'}` : '';
      exchanges.push(`ARP at ${formatTimeShort(c.t)}: ${who} who-has ${c.frame.dst ?? '?'}${flood}; ${answers.length > 0 ? `${shortWhere(answers[0]!.at)} ${answers[0]!.frame.info.replace(/^ARP /, '')}` : 'no answer'}${also}`);
      continue;
    }
    const x = `${who} ↔ ${answers.length > 0 ? shortWhere(answers[0]!.at) : 'no answer'} (${c.frame.dst ?? '?'}${also})`;
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
 * tried in order) and what came back, as tcpdump prints DNS. Queries retried
 * over TCP (after a truncated answer, or `options use-vc`) are read off the
 * connection's data segments and marked `(TCP)`.
 */
export function dnsSummary(fp: FlowPackets, request: number | undefined): string | undefined {
  const created = [...fp.created.values()];
  const isTcpQuery = (c: (typeof created)[number]): boolean => c.frame.proto === 'tcp' && c.frame.dport === 53 && /\?\s/.test(c.frame.info);
  const tcpQueries = new Set(created.filter(isTcpQuery).map((c) => c.pkt));
  const sends = created.filter(
    (c) => c.frame.dport === 53 && c.pkt !== request && ((c.by === 'app' && c.cause === undefined && c.frame.proto === 'udp') || (tcpQueries.has(c.pkt) && (c.cause === undefined || !tcpQueries.has(c.cause)))),
  );
  if (sends.length === 0) return undefined;
  const parts: string[] = [];
  let lastName: string | undefined;
  let server: string | undefined;
  let first: number | undefined;
  let lastAnswer: number | undefined;
  let count = 0;
  const drops = new Set<string>();
  for (const q of sends) {
    server ??= q.frame.dst;
    first ??= q.t;
    const tcp = q.frame.proto === 'tcp';
    // Answers by DNS id: every message delivered back to the asking namespace after this send.
    const answers = new Map<string, string>();
    // An ICMP error about the query that reached the resolver (kube-dns without endpoints: port unreachable).
    let icmp: string | undefined;
    // Why a query never came back: a drop of the query itself or of its answer (ARP's side packets aside), said once for the line.
    let dropped = false;
    for (const e of fp.eventsOf(fp.descendants(q.pkt))) {
      if (e.kind === 'policy' && e.verdict === 'deny') drops.add(`dropped by NetworkPolicy (${e.direction} of ${e.pod}, isolated by ${e.isolatedBy.join(', ')})`);
      else if (e.kind === 'drop' && fp.created.get(e.pkt)?.by !== 'arp' && e.reason !== 'arp-ignored' && e.reason !== 'policy-denied') drops.add(`dropped: ${e.reason}`);
      else continue;
      dropped = true;
    }
    for (const e of fp.eventsOf(fp.descendants(q.pkt).filter((p) => p !== q.pkt))) {
      if (!isFinalDelivery(e) || netnsOf(e.at) !== q.at) continue;
      const reply = fp.created.get(e.pkt);
      if (!reply) continue;
      if (reply.frame.proto === 'icmp') icmp ??= reply.frame.info.replace(/^ICMP /, '');
      for (const m of dnsMessages(reply.frame.info)) {
        if (!answers.has(dnsId(m))) answers.set(dnsId(m), m);
        lastAnswer = Math.max(lastAnswer ?? 0, e.t);
      }
    }
    for (const m of dnsMessages(q.frame.info)) {
      count++;
      const qm = /(\S+)\?\s(\S+)/.exec(m);
      const type = qm?.[1] ?? '';
      const name = (qm?.[2] ?? m).replace(/\.$/, '');
      const reply = answers.get(dnsId(m));
      // The resolver asks A and AAAA for each name: one part per name, its answers by type.
      const text = `${type}${tcp ? ' (TCP)' : ''} ${reply ? answerText(`: ${reply}`) : icmp !== undefined ? `ICMP ${icmp}` : dropped ? 'dropped' : 'no answer'}`;
      if (name === lastName) parts[parts.length - 1] += `, ${text}`;
      else parts.push(`${name}: ${text}`);
      lastName = name;
    }
  }
  // A TCP retry whose connection never carried a query: say so, it is why the lookup failed.
  const syns = created.filter((c) => c.frame.proto === 'tcp' && c.frame.dport === 53 && c.pkt !== request && /^TCP \[S\]/.test(c.frame.info)).length;
  if (syns > 0 && tcpQueries.size === 0) parts.push(`then TCP 53: no connection (${syns} SYN${syns === 1 ? '' : 's'})`);
  if (drops.size > 0) parts.push([...drops].join('; '));
  const took = first !== undefined && lastAnswer !== undefined ? `, ${((lastAnswer - first) / 1000).toFixed(1)} µs` : '';
  return `DNS: ${count} quer${count === 1 ? 'y' : 'ies'} to ${server ?? '?'}:53${took}: ${parts.join('; ')}`;
}

/** A message's id: tcpdump's text starts with it. */
function dnsId(text: string): string {
  return /^\d+/.exec(text)?.[0] ?? text;
}

/** The DNS messages a frame description holds: `UDP 53: <msg>`, `TCP [P.] len 62: <msg>; <msg>`. */
function dnsMessages(info: string): string[] {
  const m = /^(?:UDP 53|TCP \S+ len \d+): (.*)$/.exec(info);
  return m ? m[1]!.split('; ') : [];
}

/** `UDP 53: 13969 1/0/0 A 10.96.0.11 (68)` → `A 10.96.0.11`; `… NXDomain …` → `NXDomain`. */
function answerText(info: string): string {
  if (info.includes('NXDomain')) return 'NXDomain';
  // Over TCP a long answer spans segments: the first one shows its header (`40/0/0 [|domain]`).
  const head = /: \d+\S* (\d+)\/\d+\/\d+ \[\|domain\]$/.exec(info);
  if (head) return `${head[1]} record${head[1] === '1' ? '' : 's'}`;
  const a = [...info.matchAll(/\bA (\d+\.\d+\.\d+\.\d+)/g)].map((m) => m[1]);
  // tcpdump's `|` after the id: the TC bit, the answer was cut to what fits a UDP message.
  const truncated = /: \d+\S*\|/.test(info) ? 'truncated (TC), ' : '';
  if (a.length > 4) return `${truncated}→ ${a.slice(0, 3).join(', ')} and ${a.length - 3} more`;
  if (a.length > 0) return `${truncated}→ ${a.join(', ')}`;
  if (truncated) return 'truncated (TC)';
  // NOERROR with no answer (only the SOA in authority): the name exists, the type does not.
  if (/\s0\/\d+\/\d+ \(\d+\)$/.test(info) && !/ServFail|Refused|FormErr|NotImp/.test(info)) return 'NODATA';
  // Any other rcode by its name alone, as NXDomain (tcpdump's flags and counts after it say nothing more here).
  const code = /\b(ServFail|Refused|FormErr|NotImp|YXDomain|NXRRSet|NotAuth|NotZone)\b/.exec(info)?.[1];
  if (code) return code;
  // NOERROR with records but no address (an ExternalName's lone CNAME): the resolver's search ends on it.
  const cname = /\bCNAME (\S+)/.exec(info)?.[1];
  if (cname) return `CNAME ${cname} (no address)`;
  return /: \S+ (.*) \(\d+\)$/.exec(info)?.[1] ?? info;
}

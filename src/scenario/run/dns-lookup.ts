import type { NetNs } from '../../kernel/netns.js';
import { formatIpv4, parseIpv4 } from '../../wire/addr.js';
import { rcode, RCODE_NOERROR, RCODE_NXDOMAIN, RCODE_SERVFAIL, type DnsMessage } from '../../wire/dns.js';
import { resolverLimits, searchPlan, type ResolvConfLines } from '../../cluster/dns/resolver.js';
import { rcodeName, resSend, type ResSendResult, type ResState } from '../../cluster/dns/res-send.js';
import { sortDestinations } from '../../cluster/dns/gai-sort.js';

export type LookupResult = { ok: true; ip: number; name: string } | { ok: false; why: string };

/**
 * A pod's stub resolver (glibc's getaddrinfo over the resolv.conf kubelet
 * writes for it: cluster/resolver.ts podResolvConf): res_search over the
 * search candidates (searchPlan), each
 * asked with an A and an AAAA query by res_send (src/cluster/res-send.ts:
 * back to back from one UDP socket, tries over the nameservers, TCP after a
 * truncated answer; resolv.conf `options` single-request(-reopen), use-vc,
 * edns0, rotate, ndots, timeout and attempts;
 * `attempts:0` sends nothing and fails). An A record ends the lookup (the
 * cluster is IPv4: AAAA answers NODATA).
 *
 * Which failure ends the lookup is res_query's and res_search's: the name
 * tried as is first (at least `ndots` dots) may fail in any way, the search
 * list follows; a search name answered NXDOMAIN or NODATA moves on to the
 * next, and so does one whose tries all failed with SERVFAIL; any other
 * failure (no answer, REFUSED, ...) ends the search list, but a name not yet
 * tried as is is still tried as is; a TCP connection refused ends the lookup.
 */
export function lookup(ns: NetNs, conf: ResolvConfLines, name: string, flow: string, done: (r: LookupResult) => void): void {
  const { options } = conf;
  const limits = resolverLimits(options);
  // glibc sends the name as typed (no case folding); CoreDNS lower-cases it only to look it up.
  const candidates = searchPlan(name, conf.search, limits.ndots);
  const st: ResState = {
    ns,
    // glibc reads at most MAXNS (3) nameservers; kubelet never writes more.
    servers: conf.nameservers.slice(0, 3).map((n) => parseIpv4(n)!),
    retrans: limits.timeoutS,
    retry: limits.attempts,
    useVc: options.includes('use-vc'),
    edns: options.includes('edns0'),
    single: options.includes('single-request') || options.includes('single-request-reopen'),
    reopen: options.includes('single-request-reopen'),
    rotate: options.includes('rotate'),
    flow,
  };
  let index = 0;
  const tried: string[] = [];
  /** A candidate failed: res_search moves on, or goes straight to the as-is try it still owes, or gives up. */
  const failed = (moveOn: boolean, why: string): void => {
    // The last name's own failure (a timeout, say) is what getaddrinfo reports when nothing is left to try.
    if (moveOn || candidates[index]!.stage !== 'search') return next(moveOn ? undefined : why);
    const last = candidates.length - 1;
    if (index < last && candidates[last]!.stage === 'last' && !(candidates[last]!.unlessRootTried && rootTried)) {
      index = last - 1;
      return next();
    }
    done({ ok: false, why });
  };
  const answered = (r: ResSendResult): void => {
    const { name: candidate, stage } = candidates[index]!;
    const servers = st.servers.map(formatIpv4).join(', ');
    if (r.errno !== undefined) {
      // res_query: res_send failed, TRY_AGAIN; res_search moves on only if the answer buffer holds a SERVFAIL.
      tried.push(`${candidate} (${r.log.length > 0 ? folded(r.log) : r.errno})`);
      const why = `${name}: ${r.errno === 'ETIMEDOUT' && r.bufferRcode === RCODE_NOERROR ? `no answer from ${servers} after ${st.retry} tries of ${Math.max(1, st.retrans)} s` : r.errno === 'ECONNREFUSED' ? 'no DNS server reachable (ECONNREFUSED)' : `server failure (${r.errno})`}; tried ${tried.join(', ')}`;
      // res_search: ECONNREFUSED from a search name ends the lookup at once, without the as-is try.
      if (r.errno === 'ECONNREFUSED' && stage === 'search') return done({ ok: false, why });
      return failed(r.bufferRcode === RCODE_SERVFAIL, why);
    }
    const step = resQuery(r.reply1, r.reply2);
    // getaddrinfo hands the application its addresses in RFC 3484 order (gai-sort.ts); it connects to the first.
    if (step.ips !== undefined) return done({ ok: true, ip: sortDestinations(ns, step.ips)[0]!, name: candidate });
    tried.push(`${candidate} (${step.label})`);
    // res_query counted it a success (an answer section that is not empty): res_search returns it, getaddrinfo finds no address in it.
    if (step.answered) return done({ ok: false, why: `${name} does not resolve: ${tried.join(', ')}; an answer with records ends the search list` });
    failed(step.moveOn || (step.tryAgain && r.bufferRcode === RCODE_SERVFAIL), `${name}: server failure; tried ${tried.join(', ')}`);
  };
  let rootTried = false;
  const send = (): void => {
    const c = candidates[index]!;
    if (c.root) rootTried = true;
    resSend(st, c.name, answered);
  };
  const next = (lastWhy?: string): void => {
    index++;
    if (index < candidates.length && candidates[index]!.unlessRootTried && rootTried) index++;
    if (index >= candidates.length) return done({ ok: false, why: lastWhy ?? `${name} does not resolve: ${tried.join(', ')}` });
    send();
  };
  // res_send's loop over `attempts` tries: with none it sends nothing and fails (TRY_AGAIN ends the search).
  if (limits.attempts === 0) return ns.world.sched.after(0, () => done({ ok: false, why: `${name}: resolv.conf options attempts:0: no query sent` }));
  send();
}

/**
 * res_query's reading of the answers res_send returned (one may be missing:
 * the other stands for both). The A records are the addresses, in the answer's order.
 * A NOERROR reply whose answer section is not empty (a lone CNAME, say) is
 * res_query's success whatever it holds: res_search returns it and the search
 * list ends there (`answered`; getaddrinfo then finds no address). Otherwise
 * the h_errno res_search goes by: NXDOMAIN (HOST_NOT_FOUND) and NOERROR with
 * no answer (NO_DATA) move on; SERVFAIL is TRY_AGAIN; FORMERR, NOTIMP,
 * REFUSED are NO_RECOVERY (the search list ends).
 */
export function resQuery(
  reply1: DnsMessage | undefined,
  reply2: DnsMessage | undefined,
): { ips?: number[]; label: string; moveOn: boolean; tryAgain: boolean; answered?: true } {
  const hp = reply1 ?? reply2!;
  const hp2 = reply2 ?? hp;
  for (const m of [hp, hp2]) {
    if (rcode(m) !== RCODE_NOERROR) continue;
    const ips = m.answers.flatMap((r) => (r.data.kind === 'a' ? [r.data.ip] : []));
    if (ips.length > 0) return { ips, label: '', moveOn: false, tryAgain: false };
  }
  const withRecords = [hp, hp2].find((m) => rcode(m) === RCODE_NOERROR && m.answers.length > 0);
  if (withRecords) {
    const cname = withRecords.answers.find((r) => r.data.kind === 'cname');
    const what = cname?.data.kind === 'cname' ? `CNAME ${cname.data.target}.` : `${withRecords.answers.length} record${withRecords.answers.length === 1 ? '' : 's'}`;
    return { label: `${what}, no address`, moveOn: false, tryAgain: false, answered: true };
  }
  const code = rcode(hp) === RCODE_NOERROR ? rcode(hp2) : rcode(hp);
  if (code === RCODE_NXDOMAIN) return { label: 'NXDOMAIN', moveOn: true, tryAgain: false };
  if (code === RCODE_NOERROR) return { label: 'no A record', moveOn: true, tryAgain: false };
  if (code === RCODE_SERVFAIL) return { label: 'SERVFAIL', moveOn: false, tryAgain: true };
  return { label: rcodeName(code), moveOn: false, tryAgain: false };
}

/** `a, a, b` as `a ×2, b`: what the servers said, try after try. */
function folded(log: readonly string[]): string {
  const out: string[] = [];
  for (let i = 0; i < log.length; ) {
    let n = 1;
    while (log[i + n] === log[i]) n++;
    out.push(n > 1 ? `${log[i]} ×${n}` : log[i]!);
    i += n;
  }
  return out.join('; ');
}

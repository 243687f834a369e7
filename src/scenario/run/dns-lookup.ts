import type { NetNs } from '../../kernel/netns.js';
import { formatIpv4 } from '../../wire/addr.js';
import { decodeDns, DNS_A, DNS_AAAA, DNS_CLASS_IN, DNS_OPT, DNS_RD, DNS_TC, encodeDns, rcode, RCODE_NOERROR, RCODE_NXDOMAIN, RCODE_SERVFAIL, type DnsMessage, type DnsRecord } from '../../wire/dns.js';
import { DnsTcpReader, frameDnsTcp } from '../../wire/dns-tcp.js';
import { resolverLimits } from '../../cluster/resolver.js';
import { resolverCandidates } from '../check/dns-name.js';

/** The UDP payload size glibc offers with `options edns0` (RESOLV_EDNS_BUFFER_SIZE). */
const EDNS_BUFFER = 1200;

export type LookupResult = { ok: true; ip: number; name: string } | { ok: false; why: string };

/**
 * A pod's stub resolver (glibc, the resolv.conf kubelet writes for
 * ClusterFirst). For each search candidate it sends an A and an AAAA query
 * back to back from one ephemeral UDP socket to the kube-dns Service IP, as
 * getaddrinfo(AF_UNSPEC) does (each query with its own random id), and waits
 * for both answers. NXDOMAIN (or no address, NODATA) moves on to the next
 * candidate; an A record ends the lookup (the cluster is IPv4: AAAA answers
 * NODATA). If an answer is missing after 5 s, both queries are sent again
 * once (resolv.conf `options timeout:5 attempts:2`, or the pod's dnsConfig
 * `ndots`, `timeout` and `attempts`; `attempts:0` sends nothing and fails).
 *
 * Over TCP (glibc res_send.c send_vc): an answer with the TC bit makes the
 * resolver ask the same server again over TCP, both queries written on one
 * new connection, each behind its two-byte length; `options use-vc` uses TCP
 * from the start. glibc waits on that connection without a timeout of its
 * own, so a SYN that is dropped ends the lookup only when the kernel gives up
 * connecting (tcp_syn_retries: 127 s); a failed connection fails the lookup
 * (one TCP attempt per server). The next search candidate starts over UDP.
 *
 * Which failure ends the lookup is res_search's: the name tried as is first
 * (at least `ndots` dots) may fail in any way, the search list follows; a
 * search name answered NXDOMAIN, NODATA or SERVFAIL moves on to the next,
 * any other failure (no answer, REFUSED, ...) ends the search list, but a
 * name not yet tried as is is still tried as is.
 */
export function lookup(ns: NetNs, podNamespace: string | undefined, name: string, dnsIp: number, flow: string, done: (r: LookupResult) => void, options: readonly string[] = []): void {
  // resolv.conf options: single-request sends A, waits for its answer, then AAAA on the same socket;
  // single-request-reopen does the same from a new socket (glibc res_send.c, RES_SNGLKUP / RES_SNGLKUPREOP).
  let sequential = options.includes('single-request') || options.includes('single-request-reopen');
  const reopen = options.includes('single-request-reopen');
  const useVc = options.includes('use-vc');
  const edns = options.includes('edns0');
  const limits = resolverLimits(options);
  const candidates = resolverCandidates(name, podNamespace, limits.ndots);
  /** The name as typed: the candidate without a search domain (first or last). */
  const asIs = name.toLowerCase().replace(/\.$/, '');
  // send_dg waits at least a second (`timeout:0` too).
  const timeoutNs = Math.max(1, limits.timeoutS) * 1e9;
  const sched = ns.world.sched;
  let index = 0;
  let attempt = 0;
  let round = 0;
  let finished = false;
  /** The candidate's queries go over TCP (use-vc, or a truncated answer came back). */
  let overTcp = useVc;
  /** The outstanding queries of this round by id, and what came back for each. */
  let pending = new Map<number, { type: number; reply?: DnsMessage }>();
  const tried: string[] = [];
  let port: number | undefined;
  const closeUdp = (): void => {
    if (port !== undefined) ns.sockets.closeUdp(port);
    port = undefined;
  };
  const finish = (r: LookupResult): void => {
    finished = true;
    closeUdp();
    done(r);
  };
  /** An answer read from the UDP socket, or from the TCP connection of round `tcpRound`. */
  const onMessage = (payload: Uint8Array, transport: 'udp' | 'tcp', tcpRound?: number): void => {
    const m = decodeDns(payload);
    if (finished || !m.ok || (tcpRound !== undefined && tcpRound !== round)) return;
    const q = pending.get(m.value.id);
    if (!q || q.reply) return; // a stray, late or repeated answer
    if (transport === 'udp' && m.value.flags & DNS_TC) {
      // send_dg: "to get the rest of answer, use TCP with same server" — both queries again, this round over.
      closeUdp();
      overTcp = true;
      send();
      return;
    }
    q.reply = m.value;
    if (q.type === DNS_A && pending.has(-DNS_AAAA)) {
      // Sequential: the A answer is in; now the AAAA query (from a new socket with single-request-reopen).
      if (reopen) openUdp();
      sendUdpQuery(DNS_AAAA);
      return;
    }
    if ([...pending.values()].some((x) => !x.reply)) return; // wait for the other answer
    const a = [...pending.values()].find((x) => x.type === DNS_A)!.reply!;
    const code = rcode(a);
    const rec = a.answers.find((r) => r.data.kind === 'a');
    if (code === RCODE_NOERROR && rec && rec.data.kind === 'a') return finish({ ok: true, ip: rec.data.ip, name: candidates[index]! });
    tried.push(`${candidates[index]} (${code === RCODE_NXDOMAIN ? 'NXDOMAIN' : code === RCODE_NOERROR ? 'no A record' : `rcode ${code}`})`);
    failed(code === RCODE_NXDOMAIN || code === RCODE_NOERROR || code === RCODE_SERVFAIL, `${name}: server failure; tried ${tried.join(', ')}`);
  };
  /** A candidate failed: res_search moves on (see above), or goes straight to the as-is try it still owes, or gives up. */
  const failed = (moveOn: boolean, why: string): void => {
    if (moveOn || candidates[index] === asIs) return next();
    const last = candidates.length - 1;
    if (index < last && candidates[last] === asIs) {
      index = last - 1;
      return next();
    }
    finish({ ok: false, why });
  };
  // One UDP socket serves the lookup's queries (a new one after single-request-reopen's A answer, or after a truncated answer closed it).
  const openUdp = (): void => {
    closeUdp();
    port = ns.sockets.openUdp((d) => onMessage(d.payload, 'udp'));
  };
  /** A new query of `type` for the current candidate, registered as outstanding. */
  const query = (type: number): Uint8Array => {
    pending.delete(-type);
    let id = ns.rng.int(0, 0xffff);
    while (pending.has(id)) id = ns.rng.int(0, 0xffff);
    pending.set(id, { type });
    // `options edns0`: an OPT record offering a 1200-byte UDP buffer (glibc's res_nopt).
    const opt: DnsRecord[] = edns ? [{ name: '', type: DNS_OPT, cls: EDNS_BUFFER, ttl: 0, data: { kind: 'raw', bytes: new Uint8Array(0) } }] : [];
    return encodeDns({ id, flags: DNS_RD, questions: [{ name: candidates[index]!, type, cls: DNS_CLASS_IN }], answers: [], authority: [], additional: opt });
  };
  const sendUdpQuery = (type: number): void => {
    ns.sockets.sendDatagram(port!, dnsIp, 53, query(type), { flow });
  };
  const sendTcp = (thisRound: number): void => {
    // One connection, both queries in one write (send_vc's writev), whatever single-request says.
    const data = frameDnsTcp([query(DNS_A), query(DNS_AAAA)]);
    const reader = new DnsTcpReader();
    ns.sockets.connect({
      dst: dnsIp,
      protocol: 'TCP',
      port: 53,
      payload: data.length,
      data,
      flow,
      app: {
        data: (_s, bytes) => {
          for (const m of reader.push(bytes)) onMessage(m, 'tcp', thisRound);
        },
        failed: (why) => {
          if (finished || thisRound !== round) return;
          const errno = why === 'timeout' ? 'ETIMEDOUT' : why === 'unreachable' ? 'EHOSTUNREACH' : why === 'refused' ? 'ECONNREFUSED' : 'ECONNRESET';
          const why2 = `${name}: DNS over TCP to ${formatIpv4(dnsIp)}:53 failed (${errno}) for ${candidates[index]}`;
          // res_search: ECONNREFUSED from a search name ends the lookup at once, without the as-is try.
          if (errno === 'ECONNREFUSED' && candidates[index] !== asIs) return finish({ ok: false, why: why2 });
          tried.push(`${candidates[index]} (${errno} over TCP)`);
          failed(false, why2);
        },
      },
    });
  };
  const send = (): void => {
    const thisRound = ++round;
    pending = new Map();
    if (overTcp) return sendTcp(thisRound); // no resolver timeout: the kernel's connect and retransmission timers decide
    if (port === undefined) openUdp();
    if (sequential) {
      sendUdpQuery(DNS_A);
      // The AAAA query waits for the A answer (a placeholder keeps the round incomplete until then).
      pending.set(-DNS_AAAA, { type: DNS_AAAA });
    } else {
      sendUdpQuery(DNS_A);
      sendUdpQuery(DNS_AAAA);
    }
    sched.after(timeoutNs, () => {
      if (finished || round !== thisRound) return;
      // glibc: a timeout after one of the two answers came back switches to single-request for the retry.
      const answered = [...pending.values()].some((x) => x.reply);
      if (answered && !sequential) sequential = true;
      if (++attempt < limits.attempts) send();
      else {
        tried.push(`${candidates[index]} (no answer)`);
        failed(false, `${name}: no answer from ${formatIpv4(dnsIp)} after ${limits.attempts} tries of ${timeoutNs / 1e9} s`);
      }
    });
  };
  const next = (): void => {
    index++;
    attempt = 0;
    overTcp = useVc;
    if (index >= candidates.length) return finish({ ok: false, why: `${name} does not resolve: ${tried.join(', ')}` });
    send();
  };
  // res_send's loop over `attempts` tries: with none it sends nothing and fails (TRY_AGAIN ends the search).
  if (limits.attempts === 0) return sched.after(0, () => finish({ ok: false, why: `${name}: resolv.conf options attempts:0: no query sent` }));
  send();
}

import type { NetNs } from '../../kernel/netns.js';
import { formatIpv4 } from '../../wire/addr.js';
import { decodeDns, DNS_A, DNS_AAAA, DNS_CLASS_IN, DNS_RD, encodeDns, rcode, RCODE_NOERROR, RCODE_NXDOMAIN, type DnsMessage } from '../../wire/dns.js';
import { resolverCandidates } from '../check/dns-name.js';

/** glibc's resolver defaults: 5 s per try, 2 attempts (resolv.conf `options timeout:5 attempts:2`). */
const TIMEOUT_NS = 5e9;
const ATTEMPTS = 2;

export type LookupResult = { ok: true; ip: number; name: string } | { ok: false; why: string };

/**
 * A pod's stub resolver (glibc, the resolv.conf kubelet writes for
 * ClusterFirst). For each search candidate it sends an A and an AAAA query
 * back to back from one ephemeral UDP socket to the kube-dns Service IP, as
 * getaddrinfo(AF_UNSPEC) does (each query with its own random id), and waits
 * for both answers. NXDOMAIN (or no address, NODATA) moves on to the next
 * candidate; an A record ends the lookup (the cluster is IPv4: AAAA answers
 * NODATA). If an answer is missing after 5 s, both queries are sent again
 * once (resolv.conf `options timeout:5 attempts:2`).
 */
export function lookup(ns: NetNs, podNamespace: string | undefined, name: string, dnsIp: number, flow: string, done: (r: LookupResult) => void, options: readonly string[] = []): void {
  // resolv.conf options: single-request sends A, waits for its answer, then AAAA on the same socket;
  // single-request-reopen does the same from a new socket (glibc res_send.c, RES_SNGLKUP / RES_SNGLKUPREOP).
  let sequential = options.includes('single-request') || options.includes('single-request-reopen');
  const reopen = options.includes('single-request-reopen');
  const candidates = resolverCandidates(name, podNamespace);
  const sched = ns.world.sched;
  let index = 0;
  let attempt = 0;
  let round = 0;
  let finished = false;
  /** The outstanding queries of this round by id, and what came back for each. */
  let pending = new Map<number, { type: number; reply?: DnsMessage }>();
  const tried: string[] = [];
  const finish = (r: LookupResult): void => {
    finished = true;
    ns.sockets.closeUdp(port);
    done(r);
  };
  const onAnswer = (d: { payload: Uint8Array }): void => {
    const m = decodeDns(d.payload);
    if (finished || !m.ok) return;
    const q = pending.get(m.value.id);
    if (!q || q.reply) return; // a stray, late or repeated answer
    q.reply = m.value;
    if (q.type === DNS_A && pending.has(-DNS_AAAA)) {
      // Sequential: the A answer is in; now the AAAA query (from a new socket with single-request-reopen).
      if (reopen) {
        ns.sockets.closeUdp(port);
        port = ns.sockets.openUdp(onAnswer);
      }
      sendQuery(DNS_AAAA);
      return;
    }
    if ([...pending.values()].some((x) => !x.reply)) return; // wait for the other answer
    const a = [...pending.values()].find((x) => x.type === DNS_A)!.reply!;
    const code = rcode(a);
    const rec = a.answers.find((r) => r.data.kind === 'a');
    if (code === RCODE_NOERROR && rec && rec.data.kind === 'a') return finish({ ok: true, ip: rec.data.ip, name: candidates[index]! });
    tried.push(`${candidates[index]} (${code === RCODE_NXDOMAIN ? 'NXDOMAIN' : code === RCODE_NOERROR ? 'no A record' : `rcode ${code}`})`);
    if (code !== RCODE_NXDOMAIN && code !== RCODE_NOERROR) return finish({ ok: false, why: `${name}: server failure; tried ${tried.join(', ')}` });
    next();
  };
  let port = ns.sockets.openUdp(onAnswer);
  const sendQuery = (type: number): void => {
    pending.delete(-type);
    let id = ns.rng.int(0, 0xffff);
    while (pending.has(id)) id = ns.rng.int(0, 0xffff);
    pending.set(id, { type });
    const query = encodeDns({ id, flags: DNS_RD, questions: [{ name: candidates[index]!, type, cls: DNS_CLASS_IN }], answers: [], authority: [], additional: [] });
    ns.sockets.sendDatagram(port, dnsIp, 53, query, { flow });
  };
  const send = (): void => {
    const thisRound = ++round;
    pending = new Map();
    if (sequential) {
      sendQuery(DNS_A);
      // The AAAA query waits for the A answer (a placeholder keeps the round incomplete until then).
      pending.set(-DNS_AAAA, { type: DNS_AAAA });
    } else {
      sendQuery(DNS_A);
      sendQuery(DNS_AAAA);
    }
    sched.after(TIMEOUT_NS, () => {
      if (finished || round !== thisRound) return;
      // glibc: a timeout after one of the two answers came back switches to single-request for the retry.
      const answered = [...pending.values()].some((x) => x.reply);
      if (answered && !sequential) sequential = true;
      if (++attempt < ATTEMPTS) send();
      else finish({ ok: false, why: `${name}: no answer from ${formatIpv4(dnsIp)} after ${ATTEMPTS} tries of ${TIMEOUT_NS / 1e9} s` });
    });
  };
  const next = (): void => {
    index++;
    attempt = 0;
    if (index >= candidates.length) return finish({ ok: false, why: `${name} does not resolve: ${tried.join(', ')}` });
    send();
  };
  send();
}

import type { NetNs } from '../../kernel/netns.js';
import { formatIpv4 } from '../../wire/addr.js';
import { decodeDns, DNS_A, DNS_CLASS_IN, DNS_RD, encodeDns, rcode, RCODE_NOERROR, RCODE_NXDOMAIN } from '../../wire/dns.js';
import { resolverCandidates } from '../check/dns-name.js';

/** glibc's resolver defaults: 5 s per try, 2 attempts (resolv.conf `options timeout:5 attempts:2`). */
const TIMEOUT_NS = 5e9;
const ATTEMPTS = 2;

export type LookupResult = { ok: true; ip: number; name: string } | { ok: false; why: string };

/**
 * A pod's stub resolver (glibc, the resolv.conf kubelet writes for
 * ClusterFirst): one A query per search candidate, each a real UDP datagram
 * to the kube-dns Service IP from an ephemeral port; NXDOMAIN moves on to the
 * next candidate, an A record ends the lookup, silence is retried once after
 * 5 s. Only A queries are sent (glibc also sends AAAA in parallel).
 */
export function lookup(ns: NetNs, podNamespace: string | undefined, name: string, dnsIp: number, flow: string, done: (r: LookupResult) => void): void {
  const candidates = resolverCandidates(name, podNamespace);
  const sched = ns.world.sched;
  let index = 0;
  let attempt = 0;
  let id = ns.rng.int(0, 0xffff);
  let finished = false;
  const tried: string[] = [];
  const finish = (r: LookupResult): void => {
    finished = true;
    ns.sockets.closeUdp(port);
    done(r);
  };
  const port = ns.sockets.openUdp((d) => {
    const m = decodeDns(d.payload);
    if (finished || !m.ok || m.value.id !== id) return; // a stray or late answer
    const code = rcode(m.value);
    const a = m.value.answers.find((r) => r.data.kind === 'a');
    if (code === RCODE_NOERROR && a && a.data.kind === 'a') return finish({ ok: true, ip: a.data.ip, name: candidates[index]! });
    tried.push(`${candidates[index]} (${code === RCODE_NXDOMAIN ? 'NXDOMAIN' : code === RCODE_NOERROR ? 'no A record' : `rcode ${code}`})`);
    if (code !== RCODE_NXDOMAIN && code !== RCODE_NOERROR) return finish({ ok: false, why: `${name}: server failure; tried ${tried.join(', ')}` });
    next();
  });
  const send = (): void => {
    id = (id + 1) & 0xffff;
    const query = encodeDns({ id, flags: DNS_RD, questions: [{ name: candidates[index]!, type: DNS_A, cls: DNS_CLASS_IN }], answers: [], authority: [], additional: [] });
    ns.sockets.sendDatagram(port, dnsIp, 53, query, { flow });
    const sentId = id;
    sched.after(TIMEOUT_NS, () => {
      if (finished || id !== sentId) return;
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

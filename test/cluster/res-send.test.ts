import { describe, expect, it } from 'vitest';
import { resSend, type ResSendResult } from '../../src/cluster/dns/res-send.js';
import { Rng, Scheduler } from '../../src/engine/index.js';
import { NetNs, World } from '../../src/kernel/index.js';
import { Tracer } from '../../src/trace/tracer.js';
import { parseIpv4 } from '../../src/wire/addr.js';
import { decodeDns, DNS_A, DNS_AA, DNS_AAAA, DNS_QR, DNS_RD, encodeDns, RCODE_NOERROR, RCODE_REFUSED, RCODE_SERVFAIL, type DnsMessage } from '../../src/wire/dns.js';

/** What a DNS server saw: when, from which port, which id and type. */
interface Seen {
  s: number;
  server: string;
  sport: number;
  id: number;
  type: 'A' | 'AAAA';
}

/** An answer a scripted server gives: an rcode (with an A record for NOERROR A), or nothing. */
type Script = (type: 'A' | 'AAAA', n: number) => number | 'drop';

/** A server host with nothing listening on port 53: its stack answers ICMP port unreachable. */
const CLOSED = 'closed' as const;

/**
 * A client and DNS servers on one bridge (10.0.0.1 the client, 10.0.0.2...
 * the servers); each server answers as its script says. Returns what the
 * servers saw and what res_send returned.
 */
function exchange(scripts: (Script | typeof CLOSED)[], opts: { attempts?: number; timeout?: number; single?: boolean; reopen?: boolean; extraServers?: string[]; bare?: boolean; rotate?: boolean; calls?: number } = {}) {
  const w = new World(new Scheduler(), new Rng(7), new Tracer(false));
  const sw = new NetNs(w, 'sw');
  const br = sw.addBridge('br0');
  const host = (name: string, i: number): NetNs => {
    const h = new NetNs(w, name);
    const [port, eth0] = sw.addVethPair(`p${i}`, h, 'eth0');
    br.addPort(port, false);
    h.addAddress(eth0, `10.0.0.${i}/24`);
    return h;
  };
  const client = host('client', 1);
  const seen: Seen[] = [];
  const servers = scripts.map((script, k) => {
    const h = host(`dns${k}`, k + 2);
    const counts = { A: 0, AAAA: 0 };
    if (script === CLOSED) return `10.0.0.${k + 2}`;
    h.sockets.listenUdp(53, (d, skb) => {
      const q = decodeDns(d.payload);
      if (!q.ok) return;
      const type = q.value.questions[0]!.type === DNS_A ? 'A' : 'AAAA';
      seen.push({ s: w.sched.now / 1e9, server: `10.0.0.${k + 2}`, sport: d.sport, id: q.value.id, type });
      const code = script(type, counts[type]++);
      if (code === 'drop') return;
      const reply: DnsMessage = {
        id: q.value.id,
        flags: DNS_QR | DNS_RD | DNS_AA | code,
        questions: opts.bare && code !== RCODE_NOERROR ? [] : q.value.questions,
        answers: code === RCODE_NOERROR && type === 'A' ? [{ name: q.value.questions[0]!.name, type: DNS_A, cls: 1, ttl: 5, data: { kind: 'a', ip: parseIpv4('10.96.0.80')! } }] : [],
        authority: [],
        additional: [],
      };
      h.sockets.sendDatagram(53, d.src, d.sport, encodeDns(reply), skb);
    });
    return `10.0.0.${k + 2}`;
  });
  let result: ResSendResult | undefined;
  let doneAt = 0;
  const st = {
    ns: client,
    servers: [...servers, ...(opts.extraServers ?? [])].map((s) => parseIpv4(s)!),
    retrans: opts.timeout ?? 5,
    retry: opts.attempts ?? 2,
    useVc: false,
    edns: false,
    single: opts.single ?? opts.reopen ?? false,
    reopen: opts.reopen ?? false,
    rotate: opts.rotate ?? false,
    flow: 'lookup',
  };
  // `calls` res_send calls one after the other (a process's lookups).
  const call = (left: number): void =>
    resSend(st, 'web.default.svc.cluster.local', (r) => {
      result = r;
      doneAt = w.sched.now / 1e9;
      if (left > 1) call(left - 1);
    });
  w.sched.at(0, () => call(opts.calls ?? 1));
  w.sched.run();
  const r = result!;
  return { seen, r, doneAt, st, rcodes: [r.reply1, r.reply2].map((m) => (m ? `${m.questions[0]!.type === DNS_AAAA ? 'AAAA' : 'A'} ${m.flags & 0xf}` : '-')) };
}

const always =
  (code: number): Script =>
  () =>
    code;

describe("glibc's res_send: error answers, tries and servers (resolv/res_send.c)", () => {
  it('both answers SERVFAIL: the same server is asked again at once, from the same socket, with the same ids, `attempts` times', () => {
    const { seen, r, doneAt } = exchange([always(RCODE_SERVFAIL)]);
    expect(seen.map((x) => x.type)).toEqual(['A', 'AAAA', 'A', 'AAAA']);
    expect(new Set(seen.map((x) => x.sport)).size).toBe(1);
    expect(seen[2]!.id).toBe(seen[0]!.id);
    expect(seen[3]!.id).toBe(seen[1]!.id);
    expect(seen[2]!.s).toBeLessThan(0.01); // no timeout waited
    expect(r.errno).toBe('ETIMEDOUT');
    expect(r.bufferRcode).toBe(RCODE_SERVFAIL);
    expect(doneAt).toBeLessThan(0.01);
    expect(exchange([always(RCODE_REFUSED)], { attempts: 4 }).seen).toHaveLength(8);
    // A REFUSED that is a bare header (no question copied back) still counts as the answer.
    const bare = exchange([always(RCODE_REFUSED)], { bare: true });
    expect(bare.seen).toHaveLength(4);
    expect(bare.doneAt).toBeLessThan(0.01);
    expect(bare.r.bufferRcode).toBe(RCODE_REFUSED);
  });

  it('one answer an error, the other good: the good one is used, nothing asked again', () => {
    const aFails = exchange([(type) => (type === 'A' ? RCODE_SERVFAIL : RCODE_NOERROR)]);
    expect(aFails.seen).toHaveLength(2);
    expect(aFails.rcodes).toEqual(['-', 'AAAA 0']);
    const aaaaRefused = exchange([(type) => (type === 'A' ? RCODE_NOERROR : RCODE_REFUSED)]);
    expect(aaaaRefused.seen).toHaveLength(2);
    expect(aaaaRefused.rcodes).toEqual(['A 0', '-']);
    expect(aaaaRefused.r.reply1!.answers).toHaveLength(1);
  });

  it('one query at a time: an A error ends the try at once (no AAAA query), and the next try comes from a new socket', () => {
    const { seen, r } = exchange([always(RCODE_SERVFAIL)], { single: true });
    expect(seen.map((x) => x.type)).toEqual(['A', 'A']);
    expect(seen[0]!.sport).not.toBe(seen[1]!.sport);
    expect(seen[1]!.id).toBe(seen[0]!.id);
    expect(r.errno).toBe('ETIMEDOUT');
  });

  it('several nameservers: an error moves on to the next server, and a round asks each once before the next round', () => {
    const { seen, r } = exchange([always(RCODE_SERVFAIL), (_type, n) => (n === 0 ? RCODE_SERVFAIL : RCODE_NOERROR)]);
    expect(seen.map((x) => `${x.server} ${x.type}`)).toEqual(['10.0.0.2 A', '10.0.0.2 AAAA', '10.0.0.3 A', '10.0.0.3 AAAA', '10.0.0.2 A', '10.0.0.2 AAAA', '10.0.0.3 A', '10.0.0.3 AAAA']);
    expect(r.errno).toBeUndefined();
    expect(r.reply1!.answers).toHaveLength(1);
  });

  it("no answers: server k of n waits (timeout << k) / n s (at least 1), round after round", () => {
    const { seen, r, doneAt } = exchange([() => 'drop', () => 'drop', () => 'drop']);
    // 3 servers, timeout 5: 5 s, 10/3 = 3 s, 20/3 = 6 s per round.
    expect(seen.filter((x) => x.type === 'A').map((x) => `${x.s} ${x.server}`)).toEqual(['0 10.0.0.2', '5 10.0.0.3', '8 10.0.0.4', '14 10.0.0.2', '19 10.0.0.3', '22 10.0.0.4']);
    expect(doneAt).toBeCloseTo(28, 3);
    expect(r.errno).toBe('ETIMEDOUT');
    expect(r.bufferRcode).toBe(RCODE_NOERROR);
  });

  // reopen() connects each server's socket and sets IP_RECVERR (__res_enable_icmp): send_dg's poll() sees POLLERR.
  it('an ICMP port unreachable about a query moves on to the next server at once; every server refusing fails with ECONNREFUSED', () => {
    const next = exchange([CLOSED, always(RCODE_NOERROR)]);
    expect(next.seen.map((x) => `${x.s} ${x.server} ${x.type}`)).toEqual(['0 10.0.0.3 A', '0 10.0.0.3 AAAA']);
    expect(next.r.log[0]).toBe('10.0.0.2: ICMP destination unreachable (ECONNREFUSED)');
    expect(next.r.reply1!.answers).toHaveLength(1);
    const refused = exchange([CLOSED]);
    expect(refused.r.errno).toBe('ECONNREFUSED');
    expect(refused.r.log).toEqual(['10.0.0.2: ICMP destination unreachable (ECONNREFUSED)', '10.0.0.2: ICMP destination unreachable (ECONNREFUSED)']);
    expect(refused.doneAt).toBeLessThan(0.01);
  });

  it("a server nobody answers ARP for: the stack's host unreachable (3 probes, 1 s apart) ends the wait before the timeout", () => {
    const { seen, r, doneAt } = exchange([() => 'drop'], { extraServers: ['10.0.0.9'] });
    // 10.0.0.2 waits its 5 s; 10.0.0.9 (10/2 = 5 s) fails when ARP gives up, 3 s in; then the next round.
    expect(seen.filter((x) => x.type === 'A').map((x) => `${x.s} ${x.server}`)).toEqual(['0 10.0.0.2', '8 10.0.0.2']);
    expect(r.log).toContain('10.0.0.9: ICMP destination unreachable (EHOSTUNREACH)');
    expect(doneAt).toBeCloseTo(16, 3);
    expect(r.errno).toBe('ETIMEDOUT');
  });

  // An ICMP error for a socket poll() is not watching sets its sk_err; send_dg's next send on it fails (err_out).
  it('a host unreachable that comes while another server is asked stays on its socket: the next try of that server fails to send, and the next server is asked at once', () => {
    // timeout 2: 10.0.0.9 asked at 0 s, 10.0.0.10 at 2 s; 10.0.0.9's ARP gives up at 3 s, while 10.0.0.10 is waited on.
    const { r, doneAt } = exchange([], { timeout: 2, extraServers: ['10.0.0.9', '10.0.0.10'] });
    expect(r.log).toEqual([
      '10.0.0.9: no answer',
      '10.0.0.10: no answer',
      // Round 2 at 4 s: no query leaves for 10.0.0.9; every socket closes; 10.0.0.10 is asked from a new one.
      '10.0.0.9: send failed: EHOSTUNREACH (an ICMP error about an earlier query, pending on the socket)',
      // Its ARP (from 2 s) gives up at 5 s, and this time its socket is the one waited on.
      '10.0.0.10: ICMP destination unreachable (EHOSTUNREACH)',
    ]);
    expect(doneAt).toBeCloseTo(5, 3);
    expect(r.errno).toBe('ETIMEDOUT');
  });

  it('options rotate: each res_send of the process starts one server further (from a random first one); without it, always the first', () => {
    const ok = always(RCODE_NOERROR);
    const first = (rotate: boolean) => exchange([ok, ok, ok], { rotate, calls: 4 }).seen.filter((x) => x.type === 'A').map((x) => Number(x.server.slice(-1)) - 2);
    expect(first(false)).toEqual([0, 0, 0, 0]);
    const r = first(true);
    expect(r.slice(1)).toEqual([1, 2, 3].map((k) => (r[0]! + k) % 3));
  });

  it('a timeout with one answer in: asked again one query at a time, then the second query from a new socket, then the one answer is used (no try spent)', () => {
    const { seen, r, doneAt, st } = exchange([(type) => (type === 'AAAA' ? 'drop' : RCODE_NOERROR)], { attempts: 1 });
    expect(seen.map((x) => `${x.s} ${x.type}`)).toEqual(['0 A', '0 AAAA', '5 A', '5 AAAA', '10 A', '10 AAAA']);
    // single-request: A and AAAA from the same socket; single-request-reopen: the AAAA from a new one.
    expect(seen[3]!.sport).toBe(seen[2]!.sport);
    expect(seen[5]!.sport).not.toBe(seen[4]!.sport);
    expect(doneAt).toBeCloseTo(15, 3);
    expect(r.errno).toBeUndefined();
    expect(r.reply1!.answers).toHaveLength(1);
    expect([st.single, st.reopen]).toEqual([true, true]);
  });
});

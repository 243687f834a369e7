import type { NetNs } from '../../kernel/netns.js';
import { formatIpv4 } from '../../wire/addr.js';
import { decodeDns, DNS_A, DNS_AAAA, DNS_AA, DNS_CLASS_IN, DNS_OPT, DNS_RA, DNS_RD, DNS_TC, encodeDns, rcode, RCODE_NOERROR, RCODE_NOTIMP, RCODE_REFUSED, RCODE_SERVFAIL, type DnsMessage, type DnsRecord } from '../../wire/dns.js';
import { DnsTcpReader, frameDnsTcp } from '../../wire/dns-tcp.js';

/**
 * glibc's res_send (resolv/res_send.c, __res_context_send with send_dg and
 * send_vc) for the A and AAAA queries getaddrinfo(AF_UNSPEC) asks for one
 * name: `attempts` rounds over the resolv.conf nameservers in order (with
 * `options rotate`, from one further each call), each
 * server asked over UDP and given `timeout` s (the first server; server k
 * of n gets (timeout << k) / n, at least 1 s). What a server's answers do:
 *
 * - both answers (or, one at a time, the one awaited) are SERVFAIL, NOTIMP
 *   or REFUSED (or a lame NOERROR: no answer, no AA, no RA, no additional):
 *   the next server, and after the last the next round — with one
 *   nameserver, the same server asked again up to `attempts` times. Back to
 *   back, the first error is set aside to wait for the other answer and the
 *   socket stays open (the next round asks from the same port); one at a
 *   time, the A query's error ends the try at once and closes the socket
 *   (the next round comes from a new port, and the AAAA query is not sent);
 * - one good answer and one error: the good one is used, the error ignored;
 * - the TC bit: both queries again over TCP to the same server (send_vc, no
 *   resolver timeout, one TCP try per server: the servers left in this round
 *   are asked over TCP too, and no further round follows; a connection reset
 *   is tried again once); TCP answers are taken whatever their rcode;
 * - no answer before the timeout: the next server (the socket stays open);
 *   but with one good answer in and the other missing, the same server is
 *   asked again at once, one query at a time (single-request), then from a
 *   new socket for the second query (single-request-reopen), and after that
 *   third timeout the one answer is used. These switches last for the rest
 *   of the lookup (statp->_flags) and cost no try.
 *
 * An ICMP error about a query (the socket is connected, with IP_RECVERR)
 * ends the wait on that server at once: every socket closes and the next
 * server is asked. One that arrives while another server is being waited on
 * is not seen then (poll watches that server's socket alone) but stays on its
 * socket (sk_err): the next time that server is asked, the send fails with
 * it, which ends that try as the error would have, without a query sent.
 *
 * Each query keeps its id over every try and server (res_mkquery built it
 * once). The sockets close when res_send returns (RES_STAYOPEN is unset):
 * the next name's queries leave from a new port.
 */

/** The resolver state one lookup keeps across its names (a res_state). */
export interface ResState {
  readonly ns: NetNs;
  /** resolv.conf nameservers, in order. */
  readonly servers: readonly number[];
  /** `timeout:` (RES_TIMEOUT, seconds). */
  readonly retrans: number;
  /** `attempts:` (RES_DFLRETRY). */
  readonly retry: number;
  /** `use-vc`. */
  readonly useVc: boolean;
  /** `edns0`: an OPT record offering a 1200-byte UDP buffer. */
  readonly edns: boolean;
  /** RES_SNGLKUP: `single-request`, or set by a timeout with one answer in. */
  single: boolean;
  /** RES_SNGLKUPREOP: `single-request-reopen`, or set by a second such timeout. */
  reopen: boolean;
  /** `options rotate` (RES_ROTATE). */
  readonly rotate?: boolean;
  /** The flow the packets belong to. */
  readonly flow: string;
}

/** errno after a failed res_send. */
export type ResErrno = 'ETIMEDOUT' | 'ECONNREFUSED' | 'ECONNRESET' | 'EHOSTUNREACH';

/** What res_send returned for one name. */
export interface ResSendResult {
  /** The answers res_query reads: the first buffer's (when its length counts, n >= HFIXEDSZ) and the second's (*resplen2 >= HFIXEDSZ). */
  reply1?: DnsMessage;
  reply2?: DnsMessage;
  /** res_send returned -1: its errno. */
  errno?: ResErrno;
  /** The rcode left in the caller's answer buffer (NOERROR unless an answer was read into it): res_search reads it after a failure. */
  bufferRcode: number;
  /** What each server said, in order (`10.96.0.10: SERVFAIL`, `10.96.0.10: no answer`), for messages. */
  log: string[];
}

/** The UDP payload size glibc offers with `options edns0` (RESOLV_EDNS_BUFFER_SIZE). */
const EDNS_BUFFER = 1200;

/** The rcodes send_dg treats as the server failing (thisansp_error). */
function isErrorAnswer(m: DnsMessage): boolean {
  const code = rcode(m);
  if (code === RCODE_SERVFAIL || code === RCODE_NOTIMP || code === RCODE_REFUSED) return true;
  // A lame answer: NOERROR, no answers, neither authoritative nor recursive, nothing additional.
  return code === RCODE_NOERROR && m.answers.length === 0 && (m.flags & (DNS_AA | DNS_RA)) === 0 && m.additional.length === 0;
}

const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];
export const rcodeName = (code: number): string => RCODE_NAMES[code] ?? `rcode ${code}`;

/** One query of the pair: its type and the id res_mkquery gave it (drawn when first sent). */
interface Query {
  readonly type: number;
  id?: number;
}

/**
 * nameserver_offset (RES_ROTATE): with `options rotate` and several
 * nameservers, each res_send starts one server further than the one before
 * in the same process (here: the pod's network namespace), from a random
 * first offset; otherwise at the first server.
 */
const rotation = new WeakMap<NetNs, number>();
function nameserverOffset(st: ResState): number {
  const n = st.servers.length;
  if (n <= 1 || !st.rotate) return 0;
  const next = rotation.get(st.ns) ?? st.ns.rng.int(0, 0x7fffffff);
  rotation.set(st.ns, next + 1);
  return next % n;
}

/** Sends `name`'s A and AAAA queries as res_send does; `done` gets what came of it. */
export function resSend(st: ResState, name: string, done: (r: ResSendResult) => void): void {
  new ResSend(st, name, done).start();
}

class ResSend {
  private readonly q1: Query = { type: DNS_A };
  private readonly q2: Query = { type: DNS_AAAA };
  private try = 0;
  /** ns_shift: how far into this round's servers; the server asked is ns_shift + the rotation offset. */
  private shift = 0;
  private readonly offset: number;
  private vCircuit: boolean;
  private gotsomewhere = false;
  private terrno: ResErrno = 'ETIMEDOUT';
  private bufferRcode = RCODE_NOERROR;
  /** One UDP socket per server (EXT(statp).nssocks), open until closed by an error, a reopen or the end. */
  private readonly sockets: (UdpSocket | undefined)[] = [];
  /** Which send_dg/send_vc call is current: a late timer or answer of an earlier one is ignored. */
  private call = 0;
  private dg?: DgCall;
  private finished = false;
  private readonly log: string[] = [];

  constructor(
    private readonly st: ResState,
    private readonly name: string,
    private readonly done: (r: ResSendResult) => void,
  ) {
    this.vCircuit = st.useVc;
    this.offset = nameserverOffset(st);
  }

  /** The nameserver asked now (an index into resolv.conf's). */
  private get server(): number {
    const n = this.st.servers.length;
    const s = this.shift + this.offset;
    return s >= n ? s - n : s;
  }

  start(): void {
    this.askServer();
  }

  private get ns(): NetNs {
    return this.st.ns;
  }

  private askServer(): void {
    if (this.vCircuit) {
      this.try = this.st.retry; // "Use VC; at most one attempt per server."
      this.sendVc(false);
    } else this.sendDg();
  }

  /** next_ns: the next server, after the last the next round; none left: res_send fails. */
  private nextServer(): void {
    if (++this.shift < this.st.servers.length) return this.askServer();
    this.shift = 0;
    if (++this.try < this.st.retry) return this.askServer();
    this.closeAll();
    const errno: ResErrno = this.vCircuit ? this.terrno : this.gotsomewhere ? 'ETIMEDOUT' : 'ECONNREFUSED';
    this.end({ errno, bufferRcode: this.bufferRcode, log: this.log });
  }

  private succeed(reply1: DnsMessage | undefined, reply2: DnsMessage | undefined): void {
    this.closeAll();
    this.end({ ...(reply1 ? { reply1 } : {}), ...(reply2 ? { reply2 } : {}), bufferRcode: this.bufferRcode, log: this.log });
  }

  private end(r: ResSendResult): void {
    this.finished = true;
    this.call++;
    this.done(r);
  }

  /** __res_iclose: every server's socket closes. */
  private closeAll(): void {
    for (let i = 0; i < this.sockets.length; i++) {
      const sock = this.sockets[i];
      if (sock !== undefined) this.ns.sockets.closeUdp(sock.port);
      this.sockets[i] = undefined;
    }
  }

  private note(what: string): void {
    this.log.push(`${formatIpv4(this.st.servers[this.server]!)}: ${what}`);
  }

  private encode(q: Query): Uint8Array {
    if (q.id === undefined) {
      q.id = this.ns.rng.int(0, 0xffff);
      if (q === this.q2) while (q.id === this.q1.id) q.id = this.ns.rng.int(0, 0xffff);
    }
    // `options edns0`: an OPT record offering a 1200-byte UDP buffer (glibc's res_nopt).
    const opt: DnsRecord[] = this.st.edns ? [{ name: '', type: DNS_OPT, cls: EDNS_BUFFER, ttl: 0, data: { kind: 'raw', bytes: new Uint8Array(0) } }] : [];
    return encodeDns({ id: q.id, flags: DNS_RD, questions: [{ name: this.name, type: q.type, cls: DNS_CLASS_IN }], answers: [], authority: [], additional: opt });
  }

  // ---- send_dg -------------------------------------------------------------

  /**
   * reopen(): the server's socket, opened if it is not. An answer that
   * arrives while send_dg is not waiting on this socket (it gave up on the
   * server, or asks another) stays queued and is read the next time it
   * waits on it: a late answer to an earlier try carries the same id and
   * counts.
   */
  private socketFor(server: number): UdpSocket {
    let sock = this.sockets[server];
    if (sock === undefined) {
      const queued: Uint8Array[] = [];
      const port = this.ns.sockets.openUdp(
        (d) => {
          if (this.waitingOn(server)) this.onUdp(server, d.payload);
          else queued.push(d.payload);
        },
        // reopen() connects the socket and __res_enable_icmp sets IP_RECVERR: an ICMP error about a query wakes poll();
        // while another server's socket is polled it waits in this one's sk_err for the next send.
        (errno, dst, dport) => {
          if (dst !== this.st.servers[server] || dport !== 53 || this.finished) return;
          if (this.waitingOn(server)) this.dgError(errno);
          else if (this.sockets[server] === sock) sock!.error = errno;
        },
      );
      sock = { port, queued };
      this.sockets[server] = sock;
    }
    return sock;
  }

  private waitingOn(server: number): boolean {
    return !this.finished && !this.vCircuit && this.dg?.server === server;
  }

  private sendDg(): void {
    const n = this.st.servers.length;
    let seconds = this.st.retrans * 2 ** this.server;
    if (this.server > 0) seconds = Math.floor(seconds / n);
    if (seconds <= 0) seconds = 1;
    this.dg = { server: this.server, seconds, recv1: false, recv2: false, resplen: false, wrote2: false };
    this.dgRetry();
  }

  /** `retry:` in send_dg: a fresh deadline, nothing received yet, the first query (and, back to back, the second) written. */
  private dgRetry(): void {
    const dg = this.dg!;
    dg.recv1 = false;
    dg.recv2 = false;
    dg.resplen = false;
    dg.wrote2 = false;
    dg.error = undefined;
    dg.reply1 = undefined;
    dg.reply2 = undefined;
    const call = ++this.call;
    const sock = this.socketFor(dg.server);
    if (sock.error !== undefined) return this.sendFailed(sock.error);
    const dst = this.st.servers[dg.server]!;
    this.ns.sockets.sendDatagram(sock.port, dst, 53, this.encode(this.q1), { flow: this.st.flow });
    if (!this.st.single) {
      dg.wrote2 = true;
      this.ns.sockets.sendDatagram(sock.port, dst, 53, this.encode(this.q2), { flow: this.st.flow });
    }
    this.ns.world.sched.after(dg.seconds * 1e9, () => {
      if (!this.finished && this.call === call) this.dgTimeout();
    });
    // Answers that came while nobody waited on this socket are read first.
    while (sock.queued.length > 0 && this.waitingOn(dg.server) && this.call === call) this.onUdp(dg.server, sock.queued.shift()!);
  }

  private dgTimeout(): void {
    const dg = this.dg!;
    if (dg.resplen && (dg.recv1 || dg.recv2)) {
      // "broken name servers ... which don't handle two outstanding requests from the same source"
      if (!this.st.single) {
        this.st.single = true;
        this.note('one answer missing: again, one query at a time');
        return this.dgRetry();
      }
      if (!this.st.reopen) {
        this.st.reopen = true;
        this.note('one answer missing: again, the second query from a new socket');
        this.closeAll();
        return this.dgRetry();
      }
      this.note('one answer missing: the other used alone');
      return this.succeed(dg.reply1, undefined);
    }
    this.gotsomewhere = true;
    this.note('no answer');
    this.call++;
    this.nextServer();
  }

  /**
   * send_dg's POLLERR: the server's address or port is unreachable. Every
   * socket closes and the next server is asked at once; gotsomewhere stays
   * as it was, so when every server refuses res_send fails with
   * ECONNREFUSED (and res_search stops: TRY_AGAIN).
   */
  private dgError(errno: string): void {
    this.note(`ICMP destination unreachable (${errno})`);
    this.closeAll();
    this.call++;
    this.nextServer();
  }

  /**
   * send_dg's sendmmsg/send failed: an ICMP error that came for this server's
   * socket while another was asked is the socket's pending error, which the
   * next send returns (and clears). err_out: every socket closes, nothing was
   * sent, and the next server is asked at once, as after the error itself.
   */
  private sendFailed(errno: string): void {
    this.note(`send failed: ${errno} (an ICMP error about an earlier query, pending on the socket)`);
    this.closeAll();
    this.call++;
    this.nextServer();
  }

  private onUdp(server: number, payload: Uint8Array): void {
    const dg = this.dg;
    if (this.finished || !dg || dg.server !== server || this.vCircuit) return;
    const m = decodeDns(payload);
    if (!m.ok) return;
    const a = m.value;
    // Which query it answers: one not answered yet, by id and question (res_queriesmatch) — except an error
    // answer that is a bare header ("Some recursive resolvers send REFUSED without copying back the question").
    const code = rcode(a);
    const bare = a.questions.length === 0 && (code === RCODE_SERVFAIL || code === RCODE_NOTIMP || code === RCODE_REFUSED);
    const asks = (q: Query): boolean => bare || (a.questions.length === 1 && a.questions[0]!.type === q.type && a.questions[0]!.name.toLowerCase() === this.name.toLowerCase());
    let matching = 0;
    if (!dg.recv1 && a.id === this.q1.id && asks(this.q1)) matching = 1;
    if (!dg.recv2 && dg.wrote2 && a.id === this.q2.id && asks(this.q2)) matching = 2;
    if (matching === 0) return; // spurious: keep waiting
    this.gotsomewhere = true;
    // The first answer lands in the caller's buffer, the second in the other.
    const intoFirst = !dg.recv1 && !dg.recv2;
    if (intoFirst) this.bufferRcode = rcode(a);
    if (isErrorAnswer(a)) {
      const what = rcode(a) === RCODE_NOERROR ? 'lame NOERROR' : rcodeName(rcode(a));
      // Outside strict-error mode: the other answer, if it came and counts, is used; if it was an error too, the
      // next server (this socket stays open).
      if (dg.recv1 || dg.recv2) {
        if (dg.resplen) return this.succeed(dg.reply1, undefined);
        this.note(dg.error === what ? what : `${dg.error}, ${what}`);
        this.call++;
        return this.nextServer();
      }
      if (!this.st.single) {
        // Back to back: no data from this one; wait for the other.
        dg.resplen = false;
        dg.error = what;
        if (matching === 1) dg.recv1 = true;
        else dg.recv2 = true;
        return;
      }
      this.note(what);
      this.closeAll();
      this.call++;
      return this.nextServer();
    }
    if (a.flags & DNS_TC) {
      // "To get the rest of answer, use TCP with same server."
      this.note('truncated (TC)');
      this.vCircuit = true;
      this.closeAll();
      this.call++;
      this.try = this.st.retry;
      return this.sendVc(false);
    }
    if (intoFirst) {
      dg.reply1 = a;
      dg.resplen = true;
    } else dg.reply2 = a;
    if (matching === 1) dg.recv1 = true;
    else dg.recv2 = true;
    if (!(dg.recv1 && dg.recv2)) {
      if (this.st.single && !dg.wrote2) {
        // One at a time: the A answer is in; now the AAAA query (from a new socket with single-request-reopen).
        if (this.st.reopen) this.closeAll();
        dg.wrote2 = true;
        this.ns.sockets.sendDatagram(this.socketFor(dg.server).port, this.st.servers[dg.server]!, 53, this.encode(this.q2), { flow: this.st.flow });
      }
      return;
    }
    this.succeed(dg.resplen ? dg.reply1 : undefined, dg.reply2);
  }

  // ---- send_vc -------------------------------------------------------------

  /** Both queries on one new TCP connection to the current server, each behind its two-byte length; no timeout of its own. */
  private sendVc(connreset: boolean): void {
    const call = ++this.call;
    const server = this.server;
    const data = frameDnsTcp([this.encode(this.q1), this.encode(this.q2)]);
    const reader = new DnsTcpReader();
    let first: DnsMessage | undefined;
    let got1 = false;
    let got2 = false;
    this.ns.sockets.connect({
      dst: this.st.servers[server]!,
      protocol: 'TCP',
      port: 53,
      payload: data.length,
      data,
      flow: this.st.flow,
      app: {
        data: (_s, bytes) => {
          for (const raw of reader.push(bytes)) {
            if (this.finished || this.call !== call) return;
            const m = decodeDns(raw);
            if (!m.ok) continue;
            const a = m.value;
            // An answer to neither query still owed is skipped (read_len).
            if (!got1 && a.id === this.q1.id) got1 = true;
            else if (!got2 && a.id === this.q2.id) got2 = true;
            else continue;
            if (first === undefined) {
              first = a;
              this.bufferRcode = rcode(a);
              continue;
            }
            this.note(`over TCP: ${rcodeName(rcode(first))}, ${rcodeName(rcode(a))}`);
            return this.succeed(first, a);
          }
        },
        failed: (why) => {
          if (this.finished || this.call !== call) return;
          const errno: ResErrno = why === 'timeout' ? 'ETIMEDOUT' : why === 'unreachable' ? 'EHOSTUNREACH' : why === 'refused' ? 'ECONNREFUSED' : 'ECONNRESET';
          this.terrno = errno;
          this.note(`TCP: ${errno}`);
          // "A long running process might get its TCP connection reset ... Requery the server": once per query.
          if (errno === 'ECONNRESET' && !connreset) return this.sendVc(true);
          this.call++;
          this.nextServer();
        },
      },
    });
  }
}

/** A server's UDP socket, the answers read from it by nobody yet, and an ICMP error nobody read (sk_err). */
interface UdpSocket {
  readonly port: number;
  readonly queued: Uint8Array[];
  error?: string;
}

/** One send_dg call's state. */
interface DgCall {
  readonly server: number;
  readonly seconds: number;
  recv1: boolean;
  recv2: boolean;
  /** The first buffer holds an answer that counts (resplen > 1): not an error set aside. */
  resplen: boolean;
  wrote2: boolean;
  /** The error answer set aside while waiting for the other. */
  error?: string;
  reply1?: DnsMessage;
  reply2?: DnsMessage;
}

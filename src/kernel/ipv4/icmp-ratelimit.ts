import { ICMP_DEST_UNREACH, UNREACH_FRAG_NEEDED } from '../../wire/icmp.js';

/**
 * Linux's defaults for the ICMP rate limits (Documentation/networking/ip-sysctl.rst), the only values
 * modelled: net.ipv4.icmp_ratelimit 1000 ms, icmp_ratemask 6168 (destination unreachable, source quench,
 * time exceeded, parameter problem), icmp_msgs_per_sec 1000, icmp_msgs_burst 50; and route.c's
 * ip_rt_error_cost (1 s) and ip_rt_error_burst (5 s) for the errors routing input answers (ip_error).
 */
export const ICMP_RATE = {
  ratelimitNs: 1e9,
  ratemask: 6168,
  msgsPerSec: 1000,
  msgsBurst: 50,
  errorCostNs: 1e9,
  errorBurstNs: 5e9,
} as const;

/** inet_peer_xrlim_allow: a peer's bucket holds at most this many `icmp_ratelimit`s (a burst of 6). */
const XRLIM_BURST_FACTOR = 6;
/** inet_getpeer: a new peer's last use is put 60 s back, so that its first refill fills the bucket. */
const NEW_PEER_AGE_NS = 60e9;
/** icmp_global_allow refills no credit for less than HZ/50 of elapsed time. */
const GLOBAL_MIN_REFILL_NS = 1e9 / 50;

/** What a peer (inet_peer, one per remote address and namespace) keeps for the limits: rate_tokens, rate_last. */
interface Peer {
  tokensNs: number;
  lastNs: number;
}

/** Why an error was not sent: the per-destination bucket (ICMP_MIB_RATELIMITHOST), the namespace's (RATELIMITGLOBAL), or ip_error's. */
export type IcmpSuppression = 'icmp_ratelimit' | 'icmp_msgs_per_sec' | 'ip_rt_error_cost';

/**
 * The ICMP rate limits of one namespace, as icmp_send, icmp_reply and ip_error apply them (Linux 6.12+,
 * where both buckets are per namespace and the global credit is taken only once the peer allowed):
 *
 * 1. icmp_global_allow: the namespace's credit (icmp_msgs_burst at most, refilled at icmp_msgs_per_sec
 *    once at least 20 ms passed) must be above zero; not asked when the offending packet came in on
 *    loopback, nor for types outside icmp_ratemask or a fragmentation needed (PMTU discovery must work).
 * 2. icmpv4_xrlim_allow: the destination's token bucket (inet_peer_xrlim_allow: one token per
 *    icmp_ratelimit of elapsed time, at most 6, one taken per error: a burst of 6, then one a second);
 *    not for exempt types, nor for an error that leaves by loopback (to one of our own addresses).
 * 3. icmp_global_consume: an error sent takes credit. Linux takes a random 0, 1 or 2 (get_random_u32_below(3),
 *    1 on average); podwalk takes 1, so runs stay deterministic (a burst of 50, where Linux sends about 50).
 *
 * ip_error (no route, an unreachable route, while forwarding) first takes from the same peer's tokens
 * with its own cost and cap (ip_rt_error_cost, ip_rt_error_burst), then calls icmp_send, which takes
 * again from the same tokens (one inet_peer per address): to one source, a burst of 2, and then one
 * only after 2 s without any (a packet a second keeps taking ip_error's token, and icmp_send finds none).
 *
 * Times are the simulated clock's nanoseconds (Linux counts jiffies); nothing here is random, and no
 * decision is cached anywhere (the fast path never replays a walk that sent or withheld an error).
 */
export class IcmpRateLimit {
  private readonly peers = new Map<number, Peer>();
  private credit = 0;
  private stampNs: number | undefined = undefined;

  /** icmpv4_mask_allow: not limited at all (types outside icmp_ratemask, and fragmentation needed). */
  static exempt(type: number, code: number): boolean {
    if (type > 18) return true;
    if (type === ICMP_DEST_UNREACH && code === UNREACH_FRAG_NEEDED) return true;
    return (ICMP_RATE.ratemask & (1 << type)) === 0;
  }

  /**
   * icmp_send's decision for an error of `type`/`code` to `dst` at `nowNs`: undefined when it goes
   * (its credit taken), else which limit withheld it. `inOnLoopback`: the offending packet came in on
   * lo (the global limit is not asked); `outOnLoopback`: the error's route leaves by lo (no peer limit).
   */
  allowError(dst: number, type: number, code: number, nowNs: number, inOnLoopback: boolean, outOnLoopback: boolean): IcmpSuppression | undefined {
    const exempt = IcmpRateLimit.exempt(type, code);
    if (!exempt && !inOnLoopback && !this.globalAllow(nowNs)) return 'icmp_msgs_per_sec';
    if (!exempt && !outOnLoopback && !this.peerAllow(dst, nowNs)) return 'icmp_ratelimit';
    this.consume();
    return undefined;
  }

  /** icmp_reply (an echo reply): never limited (type 0 is outside the mask), but it takes credit. */
  reply(): void {
    this.consume();
  }

  /** ip_error's own bucket on the peer the error goes to (`src` of the packet that had no route). */
  allowRouteError(src: number, nowNs: number): boolean {
    const p = this.peer(src);
    p.tokensNs = Math.min(p.tokensNs + (nowNs - p.lastNs), ICMP_RATE.errorBurstNs);
    p.lastNs = nowNs;
    if (p.tokensNs < ICMP_RATE.errorCostNs) return false;
    p.tokensNs -= ICMP_RATE.errorCostNs;
    return true;
  }

  /** icmp_global_allow: credit left, or a refill due. */
  private globalAllow(nowNs: number): boolean {
    if (this.credit > 0) return true;
    const delta = this.stampNs === undefined ? 1e9 : Math.min(nowNs - this.stampNs, 1e9);
    if (delta < GLOBAL_MIN_REFILL_NS) return false;
    const incr = Math.floor((ICMP_RATE.msgsPerSec * delta) / 1e9);
    if (incr === 0) return false;
    this.stampNs = nowNs;
    this.credit = Math.min(this.credit + incr, ICMP_RATE.msgsBurst);
    return true;
  }

  private consume(): void {
    this.credit -= 1;
  }

  /** inet_peer_xrlim_allow with timeout icmp_ratelimit. */
  private peerAllow(dst: number, nowNs: number): boolean {
    const p = this.peer(dst);
    let tokens = p.tokensNs + (nowNs - p.lastNs);
    p.lastNs = nowNs;
    const cap = XRLIM_BURST_FACTOR * ICMP_RATE.ratelimitNs;
    if (tokens > cap) tokens = cap;
    let ok = false;
    if (tokens >= ICMP_RATE.ratelimitNs) {
      tokens -= ICMP_RATE.ratelimitNs;
      ok = true;
    }
    p.tokensNs = tokens;
    return ok;
  }

  private peer(addr: number): Peer {
    let p = this.peers.get(addr);
    if (p === undefined) {
      // A peer unused for long is the same as a new one (its bucket full at either cap): none is ever forgotten.
      p = { tokensNs: 0, lastNs: -NEW_PEER_AGE_NS };
      this.peers.set(addr, p);
    }
    return p;
  }
}

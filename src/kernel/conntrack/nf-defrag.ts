import { encodeIpv4, Reassembler, type Ipv4Packet } from '../../wire/ipv4.js';
import type { Skb } from '../skb.js';

/**
 * nf_defrag_ipv4: at PREROUTING (priority -400, before raw and conntrack)
 * fragments are gathered and the datagram goes on whole, so conntrack sees
 * its ports and NAT rewrites it like any other packet. Its own queues
 * (IP_DEFRAG_CONNTRACK_IN), apart from local delivery's. The skb of the
 * fragment that completes the datagram carries it on (skb_morph), remembering
 * the largest fragment it came in (IPCB frag_max_size): the way out
 * fragments it again to no more than that (ip_do_fragment, br_nf_ip_fragment).
 */
export class NfDefrag {
  private readonly queues = new Reassembler();
  private readonly largest = new Map<string, number>();

  /** The whole datagram once `ip` completes it (skb rewritten), else undefined: the fragment waits in the queue. */
  gather(skb: Skb, ip: Ipv4Packet, nowNs: number): Ipv4Packet | undefined {
    this.queues.expire(nowNs);
    const key = `${ip.src}|${ip.dst}|${ip.protocol}|${ip.id}`;
    const size = Math.max(this.largest.get(key) ?? 0, skb.data.length);
    const whole = this.queues.push(ip, nowNs);
    if (!whole) {
      this.largest.set(key, size);
      return undefined;
    }
    this.largest.delete(key);
    skb.data = encodeIpv4(whole);
    skb.fragMaxSize = size;
    return whole;
  }
}

/** Whether an IPv4 packet is a fragment (more to come, or not the first). */
export function isFragment(ip: Ipv4Packet): boolean {
  return ip.mf || ip.fragmentOffset > 0;
}

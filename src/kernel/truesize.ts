/**
 * skb->truesize of a packet of `ipBytes` IPv4 bytes, as the memory limits that count it see it
 * (the neighbour queue's unres_qlen_bytes). An estimate of a UDP datagram's allocation by
 * ip_append_data: the head holds the link layer's reserved space (LL_RESERVED_SPACE: 16 for
 * Ethernet), 15 bytes of slack and the packet, rounded to a cache line (SKB_DATA_ALIGN, 64), plus
 * struct skb_shared_info (320); that is served by the small-head cache (576 bytes) when it fits, else
 * by kmalloc's power-of-two sizes; struct sk_buff itself adds 256. It gives what Linux 6.18 showed
 * (unresolved_discards in /proc/net/stat/arp_cache): 832 bytes for a small datagram (256 of them
 * fit in 212992 bytes), 2304 for a 1442-byte frame (92 fit). Other packets (TCP's, a NIC's receive
 * buffers) are allocated otherwise in Linux; podwalk counts them by the same rule.
 */
export function truesize(ipBytes: number): number {
  const head = align(16 + 15 + ipBytes, 64) + SHARED_INFO;
  const alloc = head <= SMALL_HEAD ? SMALL_HEAD : 2 ** Math.ceil(Math.log2(head));
  return alloc + SK_BUFF;
}

const SHARED_INFO = 320;
const SMALL_HEAD = 576;
const SK_BUFF = 256;

function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

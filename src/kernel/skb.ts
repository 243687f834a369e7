import type { CtEntry, Conntrack } from './conntrack.js';
import type { NetDevice } from './device.js';

/**
 * A packet in flight: the bytes on the wire plus the metadata Linux keeps in an
 * skb. `id` names one packet lineage in the trace; `flow` ties the packet (and
 * everything the kernel does because of it) to a traffic item.
 */
export interface Skb {
  readonly id: number;
  /** Bytes of the frame (Ethernet) or of the IPv4 packet on L3-only devices. Treated as immutable. */
  data: Uint8Array;
  readonly flow: string | undefined;
  /** Last device that handled it: where it is reported if the run ends with it still in flight. */
  at?: string;
  /** skb->mark, set by MARK targets. Scrubbed when the packet changes namespace. */
  mark?: number;
  /** skb->_nfct: the packet's connection and its direction there (0 original, 1 reply). */
  nfct?: { table: Conntrack; entry: CtEntry; dir: 0 | 1; related?: boolean };
  /** br_netfilter's physindev: the bridge port the frame came in by (kept while the host routes it; `-m physdev`). */
  physIn?: NetDevice;
  /** br_netfilter: PREROUTING already ran while the frame crossed the bridge (ip_sabotage_in). */
  brPrerouted?: boolean;
  /**
   * br_netfilter "bridged DNAT": once framed for its new destination, bridge it
   * as if it had come in on `port`, keeping the sender's source MAC.
   */
  bridgedDnat?: { port: NetDevice; srcMac: string };
  /**
   * IPCB(skb)->frag_max_size: set when nf_defrag reassembled this packet from
   * fragments, the largest of them; output fragments it again to that size.
   */
  fragMaxSize?: number;
  /** Cost model only: CPU work (ns) done on it since its last hand-off, not yet charged. */
  cost?: number;
}

/**
 * skb_scrub_packet: what a packet forgets when it leaves a namespace or is
 * encapsulated — its conntrack reference and bridge-netfilter state, and (across
 * namespaces) its mark.
 */
export function scrub(skb: Skb, crossNamespace: boolean): void {
  skb.nfct = undefined;
  skb.brPrerouted = undefined;
  skb.physIn = undefined;
  skb.bridgedDnat = undefined;
  if (crossNamespace) skb.mark = undefined;
  skb.fragMaxSize = undefined;
}

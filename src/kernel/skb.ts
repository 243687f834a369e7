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
}

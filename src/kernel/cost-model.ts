import type { Skb } from './skb.js';

/**
 * The per-hop cost model: how long a Linux CPU spends on a packet at each
 * stage of the datapath, as a fixed part per packet plus a part per byte.
 * On for every loaded scenario (`cluster.costModel: false` turns it off; then
 * every hop is instantaneous and only links take time), so that a round trip
 * that never leaves a node still takes the few µs a real one does.
 *
 * With it, each node (its own namespace plus its pods') owns one CPU — the
 * core RSS steers a single flow to — that works through the stages a packet
 * crosses in order. Stages accumulate on the skb while the packet moves
 * synchronously; at the next hand-off (veth peer, wire, tun reader, VXLAN
 * decapsulation) the CPU is charged: the hand-off happens when the CPU has
 * done that work, after whatever it was already busy with. So a burst queues
 * behind the busiest CPU and a flow's throughput is bounded by the per-packet
 * work of its slowest node as well as by the link. The model has no
 * GSO/GRO/TSO: every MTU-sized packet is processed on its own, which is what
 * an overlay without offloads does and why per-packet costs, not header bytes,
 * decide single-stream throughput. Numbers and their sources: docs/cost-model.md.
 */
export interface StageCost {
  /** Fixed work per packet, ns. */
  packetNs: number;
  /** Work per byte of the frame at this stage (copies, checksums), ns. */
  byteNs: number;
}

export interface CostModel {
  /** veth_xmit + netif_rx + the backlog poll on the peer side. */
  veth: StageCost;
  /** br_handle_frame: FDB lookup and forwarding to a port (or up to the host). */
  bridge: StageCost;
  /** ip_rcv / ip_forward / ip_output: FIB lookup, TTL, neighbour output. */
  routing: StageCost;
  /** One netfilter hook with conntrack (lookup, confirm): per hook traversed. */
  netfilterHook: StageCost;
  /** Each iptables rule evaluated in a traversal (a linear KUBE-SERVICES shows here), ns. */
  netfilterRuleNs: number;
  /** NIC driver transmit or receive (descriptor, DMA, interrupt share). */
  nic: StageCost;
  /** vxlan_xmit: FDB lookup, outer headers, outer UDP checksum, a second route lookup. */
  vxlanEncap: StageCost;
  /** UDP tunnel socket lookup + vxlan_rcv: strip headers, re-inject the inner frame. */
  vxlanDecap: StageCost;
  /** One user/kernel crossing with a copy (sendto, recvfrom, read or write on a tun fd). */
  syscall: StageCost;
  /** Waking a blocked userspace process per packet (flanneld: scheduler, context switch). */
  wakeup: StageCost;
}

/**
 * Defaults, calibrated so that one TCP stream over a 40 Gbit/s, MTU 9000
 * underlay reaches about what the 2024 CNI benchmark measured (bare metal
 * about 32 Gbit/s, flannel VXLAN about 20 Gbit/s: ratio 0.62); see
 * docs/cost-model.md for the sources, the fit and how far off it is.
 * Per-packet figures are effective costs per MTU-sized packet: real kernels
 * amortise some of them over GSO/GRO batches, which the model does not have.
 */
export const DEFAULT_COST_MODEL: CostModel = {
  veth: { packetNs: 250, byteNs: 0 },
  bridge: { packetNs: 150, byteNs: 0 },
  routing: { packetNs: 200, byteNs: 0 },
  netfilterHook: { packetNs: 80, byteNs: 0 },
  netfilterRuleNs: 15,
  nic: { packetNs: 300, byteNs: 0.05 },
  vxlanEncap: { packetNs: 300, byteNs: 0.05 },
  vxlanDecap: { packetNs: 250, byteNs: 0.05 },
  syscall: { packetNs: 1000, byteNs: 0.15 },
  wakeup: { packetNs: 4000, byteNs: 0 },
};

/** The core that does a node's packet work: busy until this instant (ns). */
export interface Cpu {
  busyUntil: number;
}

/** Add one stage's work for a frame of `bytes` to what the packet owes its CPU. */
export function addCost(skb: Skb, c: StageCost, bytes: number): void {
  skb.cost = (skb.cost ?? 0) + c.packetNs + c.byteNs * bytes;
}

/**
 * Charge the packet's accumulated work to `cpu` at time `now`: returns how long
 * from now until the CPU is done with it (0 when it owes nothing).
 */
export function chargeCpu(cpu: Cpu, now: number, skb: Skb): number {
  const owed = skb.cost ?? 0;
  if (owed <= 0) return 0;
  skb.cost = 0;
  const done = Math.ceil(Math.max(now, cpu.busyUntil) + owed);
  cpu.busyUntil = done;
  return done - now;
}

/** A model with some stages overridden (a scenario's `cluster.costModel`). */
export function withOverrides(base: CostModel, over: Partial<Record<keyof CostModel, Partial<StageCost> | number>>): CostModel {
  const out = { ...base } as Record<string, StageCost | number>;
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const cur = out[k];
    out[k] = typeof cur === 'number' ? (v as number) : { ...(cur as StageCost), ...(v as Partial<StageCost>) };
  }
  return out as unknown as CostModel;
}

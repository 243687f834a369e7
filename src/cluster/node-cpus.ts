import type { Cpu } from '../kernel/cost-model.js';
import type { NetNs } from '../kernel/netns.js';

/**
 * A node's CPUs (`cluster.nodes[].cpus`). The node's own work (packets from
 * the wire, its own sockets) runs on its first CPU; each pod's processes run
 * on one CPU, given round-robin in the order the pods start (the first pod on
 * CPU 0, the next on CPU 1, ...). A packet a pod sends is processed on its CPU
 * all the way through the node (veth_xmit queues it to the sending CPU's
 * backlog), so two pods on different CPUs are handled in parallel: that is
 * what makes nf_nat's races possible (nat-port.ts). One CPU (the default)
 * serialises everything, as the cost model always did.
 */
const sets = new WeakMap<NetNs, { cpus: Cpu[]; next: number }>();

export function setNodeCpus(node: NetNs, count: number): void {
  if (count <= 1 || !node.cpu) return;
  const cpus = [node.cpu, ...Array.from({ length: count - 1 }, () => ({ busyUntil: 0 }))];
  sets.set(node, { cpus, next: 0 });
}

/** The CPU of a pod starting on `node` (its node's only CPU unless it has several). */
export function podCpu(node: NetNs): Cpu | undefined {
  const s = sets.get(node);
  if (!s) return node.cpu;
  const cpu = s.cpus[s.next % s.cpus.length];
  s.next++;
  return cpu;
}

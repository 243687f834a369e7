import type { Cluster } from '../../cluster/build.js';
import { printable } from '../../trace/safe-text.js';
import type { Problem, TrafficSpec } from '../types.js';

/** Every `<netns>:<device>` of the cluster now. */
export function deviceNames(cluster: Cluster): Set<string> {
  const out = new Set<string>();
  for (const [name, ns] of [...cluster.netns, ...cluster.pods]) for (const dev of ns.devices.keys()) out.add(`${name}:${dev}`);
  return out;
}

/**
 * `expect.via` / `notVia` locations that name no device: invalid input (exit
 * 2), not a failed expectation. Device names (`vethXXXX`, `flannel.1`,
 * `kube-ipvs0`) exist only once the CNI and kube-proxy have set the cluster
 * up, so this runs on the built cluster; `known` holds every device that
 * existed at some point the run looked (steps add and remove some).
 */
export function unknownDevices(traffic: readonly TrafficSpec[], known: ReadonlySet<string>): Problem[] {
  const out: Problem[] = [];
  for (const t of traffic) {
    for (const p of t.expect?.devicesAt ?? []) {
      if (known.has(p.message)) continue;
      const ns = p.message.slice(0, p.message.lastIndexOf(':'));
      const here = [...known].filter((d) => d.startsWith(`${ns}:`)).map((d) => d.slice(ns.length + 1));
      out.push({ ...p, message: `no device ${printable(p.message)} (devices of ${printable(ns)}: ${printable(here.join(', ') || 'none', 300)})` });
    }
  }
  return out;
}

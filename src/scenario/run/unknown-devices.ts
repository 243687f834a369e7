import type { Cluster } from '../../cluster/build.js';
import { printable } from '../../trace/safe-text.js';
import type { Expectation, Problem, TrafficSpec } from '../types.js';

/** The devices of every namespace now, by the names the trace and `expect.via` use for the namespace. */
export type DeviceSnapshot = [string, string[]][];

/** Taken at build and at the end; cheap (a 150,000-pod cluster has 300,000 devices), spelt out only when an expectation names a device. */
export function snapshotDevices(cluster: Cluster): DeviceSnapshot {
  const out: DeviceSnapshot = [];
  for (const m of [cluster.netns, cluster.pods]) for (const [name, ns] of m) out.push([name, [...ns.devices.keys()]]);
  return out;
}

/** Every `<netns>:<device>` of the snapshots. */
export function deviceNames(...snapshots: DeviceSnapshot[]): Set<string> {
  const out = new Set<string>();
  for (const snap of snapshots) for (const [name, devs] of snap) for (const dev of devs) out.add(`${name}:${dev}`);
  return out;
}

/** Whether any of these traffic items names a device in `expect.via` / `notVia`. */
export function namesDevices(traffic: readonly TrafficSpec[]): boolean {
  return traffic.some((t) => (t.expect?.devicesAt?.length ?? 0) > 0);
}

/**
 * `expect.via` / `notVia` locations that name no device: invalid input (exit
 * 2), not a failed expectation. Device names (`vethXXXX`, `flannel.1`,
 * `kube-ipvs0`) exist only once the CNI and kube-proxy have set the cluster
 * up, so this runs on the built cluster; `known` holds every device that
 * existed at some point the run looked (steps add and remove some).
 */
export function unknownDevices(traffic: readonly { expect?: Expectation | undefined }[], known: ReadonlySet<string>): Problem[] {
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

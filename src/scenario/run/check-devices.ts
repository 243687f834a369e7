import type { Problem, Scenario } from '../types.js';
import { ScenarioRun } from './simulate.js';
import { deviceNames, namesDevices, snapshotDevices, unknownDevices, type DeviceSnapshot } from './unknown-devices.js';

/**
 * `expect.via` / `notVia` devices of a file's traffic checked without sending
 * it (`podwalk validate`): the cluster is built and its steps run with no
 * traffic, and a name no namespace had at the start or the end is a problem.
 * A `veth…` name is left to the run's own check: which veth a pod gets can
 * depend on when traffic makes a step's pod (a name seen only mid-run).
 */
export function deviceProblems(scenario: Scenario): Problem[] {
  if (!namesDevices(scenario.traffic)) return [];
  let atBuild: DeviceSnapshot = [];
  const run = new ScenarioRun(scenario, { keepFlows: false, onBuilt: (c) => (atBuild = snapshotDevices(c)) });
  const raw = run.finish();
  const known = deviceNames(atBuild, snapshotDevices(raw.cluster));
  for (const e of raw.events) known.add(e.at);
  // Not a device but a location the trace names once traffic flows: the udp backend's flanneld (flannel/udp.ts).
  if (scenario.cluster.network === 'flannel-udp') for (const n of scenario.cluster.nodes) known.add(`${n.name}:flanneld`);
  const checked = scenario.traffic.map((t) => ({ ...(t.expect ? { expect: { ...t.expect, devicesAt: (t.expect.devicesAt ?? []).filter((p) => !/:veth[^:]*$/.test(p.message)) } } : {}) }));
  return unknownDevices(checked, known);
}

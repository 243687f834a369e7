// Simulator speed: packets/s and events/s through the foundation walks, with
// tracing off and on, measured side by side in one run (median of 7 runs,
// with min-max spread). Not a test: nothing in `npm test` depends on timing.
// The encapsulation-overhead benchmark of the bench issue is not built yet.
import { writeFileSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import Table from 'cli-table3';
import { loadScenarioText, simulate } from '../dist/index.js';

const PACKETS = 20_000;
const RUNS = 7;

const scenario = (network, to) => `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: bench}
cluster: {network: ${network}, nodes: [{name: node1}, {name: node2}]}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {nodeName: node1, containers: [{name: c, image: i}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: b}, spec: {nodeName: node1, containers: [{name: c, image: i, ports: [{containerPort: 53, protocol: UDP}]}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: c}, spec: {nodeName: node2, containers: [{name: c, image: i, ports: [{containerPort: 53, protocol: UDP}]}]}}
traffic:
  # One packet first, so ARP is resolved before the burst (a burst into an
  # unresolved neighbour overflows its 101-packet queue, as on Linux).
  - {name: warm-up, from: pod/a, to: pod/${to}, protocol: UDP, port: 53, payload: 100}
  - {name: f, from: pod/a, to: pod/${to}, protocol: UDP, port: 53, payload: 100, count: ${PACKETS}, interval: 1us, at: 1ms}
`;

const walks = [
  ['same-node', 'host-gw', 'b'],
  ['cross-node host-gw', 'host-gw', 'c'],
  ['cross-node vxlan', 'flannel-vxlan', 'c'],
];

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const results = [];
for (const [name, network, to] of walks) {
  const loaded = loadScenarioText(scenario(network, to), 'bench.yaml');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  for (const detailed of [false, true]) {
    const rates = [];
    let events = 0;
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const r = simulate(loaded.scenario, { detailed });
      const ms = performance.now() - t0;
      if (r.flows.some((f) => f.verdict !== 'delivered')) throw new Error(`${name}: not all delivered`);
      events = r.eventsExecuted;
      rates.push(PACKETS / (ms / 1000));
    }
    results.push({ walk: name, tracing: detailed ? 'on' : 'off', packetsPerSec: median(rates), min: Math.min(...rates), max: Math.max(...rates), eventsPerPacket: events / PACKETS });
  }
}

const table = new Table({ head: ['walk', 'tracing', 'packets/s (median)', 'spread (min-max)', 'events/packet'] });
for (const r of results) table.push([r.walk, r.tracing, Math.round(r.packetsPerSec).toLocaleString('en'), `${Math.round(r.min).toLocaleString('en')} - ${Math.round(r.max).toLocaleString('en')}`, r.eventsPerPacket.toFixed(1)]);
console.log(`podwalk simulator speed: ${PACKETS} UDP packets per run, ${RUNS} runs, node ${process.version}, ${cpus()[0]?.model ?? 'cpu'}`);
console.log(table.toString());
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/speed.json', import.meta.url), JSON.stringify({ node: process.version, cpu: cpus()[0]?.model, packets: PACKETS, runs: RUNS, results }, null, 2) + '\n');

import { buildCluster, type Cluster } from '../cluster/build.js';
import type { NetNs } from '../kernel/netns.js';
import { parseIpv4 } from '../wire/addr.js';
import type { TraceEvent } from '../trace/events.js';
import { lookup } from './dns-lookup.js';
import { summarizeFlow, TraceIndex, type FlowResult } from './flows.js';
import type { EndpointRef, Scenario, TrafficSpec } from './types.js';

/** Events a run may execute before it is declared runaway (loops end here at the latest). */
export const DEFAULT_EVENT_BUDGET = 5_000_000;

export interface SimulateOptions {
  /** Keep every hop (default) or only outcomes (faster: benchmarks). */
  detailed?: boolean;
  eventBudget?: number;
  /** Called once the cluster is up, before any traffic (attach captures, inspect state). */
  onBuilt?: (cluster: Cluster) => void;
}

export interface RunResult {
  scenario: Scenario;
  cluster: Cluster;
  events: TraceEvent[];
  flows: FlowResult[];
  /** Why the run stopped; `budget` means a runaway was cut short. */
  stopped: 'idle' | 'budget';
  eventsExecuted: number;
}

/**
 * Build the cluster, send the scenario's traffic at its simulated times, run
 * the event queue to completion (or the event budget) and read each flow's
 * fate out of the trace.
 */
export function simulate(scenario: Scenario, opts: SimulateOptions = {}): RunResult {
  const cluster = buildCluster(scenario.cluster, scenario.pods, {
    detailed: opts.detailed ?? true,
    controlPlane: {
      services: scenario.services,
      endpointSlices: scenario.endpointSlices,
      // The policy agent runs once there is a NetworkPolicy to enforce (so policy-free traces stay as they were).
      ...(scenario.networkPolicies.length > 0 ? { networkPolicy: { policies: scenario.networkPolicies, namespaces: scenario.namespaces, options: scenario.cluster.networkPolicy } } : {}),
    },
  });
  opts.onBuilt?.(cluster);
  const sent: { flow: string; traffic: TrafficSpec; pkt: () => number | undefined; unresolved: () => string | undefined }[] = [];
  const dnsIp = scenario.services.find((s) => s.builtin && s.name === 'kube-dns')?.clusterIP;
  for (const t of scenario.traffic) {
    const from = resolveNetns(t.from, cluster);
    const to = t.to;
    for (let k = 0; k < t.count; k++) {
      const flow = t.count > 1 ? `${t.name}#${k + 1}` : t.name;
      let id: number | undefined;
      let unresolved: string | undefined;
      const send = (dst: number): void => {
        id = from.sockets.send({ dst, protocol: t.protocol, ...(t.port === undefined ? {} : { port: t.port }), payload: t.payload, ...(t.ttl === undefined ? {} : { ttl: t.ttl }), flow, seq: k + 1 });
      };
      cluster.sched.at(t.atNs + k * t.intervalNs, () => {
        if (to.kind !== 'dns') return send(resolveIp(to, scenario, cluster));
        // A name: the sender's resolver asks cluster DNS first (real packets), then connects.
        const podNs = t.from.kind === 'pod' ? t.from.namespace : undefined;
        lookup(from, podNs, to.name, parseIpv4(dnsIp!)!, flow, (r) => {
          if (r.ok) send(r.ip);
          else unresolved = r.why;
        });
      });
      sent.push({ flow, traffic: t, pkt: () => id, unresolved: () => unresolved });
    }
  }
  const outcome = cluster.sched.run({ budget: opts.eventBudget ?? DEFAULT_EVENT_BUDGET });
  if (outcome.kind === 'budget') {
    cluster.world.finish('event-budget', `run stopped after ${outcome.events} events with ${outcome.pending} pending (a forwarding loop?)`);
    cluster.sched.clear();
  } else {
    cluster.world.finish('not-finished', 'still in flight when the event queue drained');
  }
  const events = cluster.world.tracer.events;
  const index = new TraceIndex(events);
  const unsent = outcome.kind === 'budget' ? 'event-budget' : 'not-finished';
  const flows = sent.map((s): FlowResult => {
    const why = s.unresolved();
    if (why !== undefined) return { flow: s.flow, traffic: s.traffic, pkt: undefined, verdict: 'dropped', dropReason: 'dns-unresolved', dropDetail: why, path: [] };
    return summarizeFlow(s.flow, s.traffic, s.pkt(), index, cluster, unsent);
  });
  return { scenario, cluster, events, flows, stopped: outcome.kind === 'budget' ? 'budget' : 'idle', eventsExecuted: cluster.sched.eventsExecuted };
}

function resolveNetns(ref: EndpointRef, cluster: Cluster): NetNs {
  const ns =
    ref.kind === 'pod' ? cluster.pods.get(`${ref.namespace}/${ref.name}`) : ref.kind === 'node' ? cluster.nodes.get(ref.name) : ref.kind === 'host' ? cluster.hosts.get(ref.name) : undefined;
  if (!ns) throw new Error(`cannot send from ${JSON.stringify(ref)}`); // the loader rejects these
  return ns;
}

function resolveIp(ref: EndpointRef, scenario: Scenario, cluster: Cluster): number {
  switch (ref.kind) {
    case 'ip':
      return parseIpv4(ref.ip)!;
    case 'pod':
      return parseIpv4(scenario.pods.find((p) => p.namespace === ref.namespace && p.name === ref.name)!.ip)!;
    case 'node':
      return parseIpv4(scenario.cluster.nodes.find((n) => n.name === ref.name)!.ip)!;
    case 'host':
      return parseIpv4(scenario.cluster.externalHosts.find((h) => h.name === ref.name)!.ip)!;
    case 'service':
      // A client addresses a Service by its cluster IP; kube-proxy's rules do the rest.
      return parseIpv4(scenario.services.find((s) => s.namespace === ref.namespace && s.name === ref.name)!.clusterIP!)!;
    default:
      void cluster;
      throw new Error(`${ref.kind} targets are not modelled yet`);
  }
}

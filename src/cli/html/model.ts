import type { Cluster } from '../../cluster/build.js';
import type { NetDevice } from '../../kernel/devices/device.js';
import type { NetNs } from '../../kernel/netns.js';
import { Uplink } from '../../kernel/devices/uplink.js';
import { Veth } from '../../kernel/devices/veth.js';
import { refForNetns } from '../../scenario/run/flows.js';
import type { RunResult } from '../../scenario/run/simulate.js';
import type { FrameSummary, TraceEvent } from '../../trace/events.js';
import { describeEvent } from '../../trace/format.js';
import { FlowPackets, type WalkFlow } from '../../trace/view/flow-packets.js';
import { requestSteps, type Step } from '../../trace/view/hops.js';
import { proxiedEvents, upstreamLegs } from '../../trace/view/proxied.js';
import { DEFAULT_VISIBILITY } from '../../trace/view/options.js';
import { devicesCrossed } from '../../trace/view/reply.js';
import { PLAIN } from '../../trace/view/terminal.js';
import { renderHeadline, renderWalk } from '../../trace/view/walk.js';
import { walkFlows } from '../report.js';
import { WalkEvents } from '../../scenario/report/walk-events.js';

/** What the HTML walk draws and steps through: the cluster's devices and each flow's hops. Plain data, embedded as JSON. */
export interface PageData {
  title: string;
  machines: Machine[];
  /** Device pairs to draw a line between: veth peers, cables, bridge ports and their bridge (`at` strings). */
  links: [string, string][];
  flows: PageFlow[];
}

export interface Machine {
  name: string;
  role: 'node' | 'host' | 'gateway' | 'underlay';
  devices: PageDevice[];
  /** `name` is `<namespace>/<name>`; `label` the name to draw (podLabel), `namespace` the line under it. */
  pods: { name: string; label: string; namespace: string; devices: PageDevice[] }[];
}

export interface PageDevice {
  at: string;
  name: string;
  kind: string;
  master?: string;
  addrs: string[];
}

export interface PageFlow {
  name: string;
  verdict: 'delivered' | 'dropped';
  headline: string[];
  /** Devices the request crossed, in order. */
  path: string[];
  steps: PageStep[];
  /** Side traffic and reply lines, as the text view prints them. */
  notes: string[];
}

export interface PageStep {
  where: string;
  at: string;
  text: string;
  tone?: string;
  details: string[];
  /** The frame as the last device before (or at) this step saw it. */
  frame?: FrameSummary;
  /** Every trace event this step stands for, worded as the full table words them. */
  events: string[];
}

/** The page of a run: every flow, or those `selected` (`--flow`). */
export function buildPageData(result: RunResult, selected: (flow: string) => boolean = () => true): PageData {
  const cluster = result.cluster;
  return {
    title: `${result.scenario.name} (${result.scenario.cluster.network}, seed ${result.scenario.cluster.seed})`,
    machines: machines(cluster),
    links: links(cluster),
    flows: walkFlows(result.flows.filter((f) => selected(f.flow)), WalkEvents.fromTrace(result.events, result.flows), (netns) => refForNetns(netns, result.cluster)).map(pageFlow),
  };
}

function device(d: NetDevice, ns: NetNs): PageDevice {
  const master = d.master as unknown as { name?: string } | undefined;
  return {
    at: `${ns.name}:${d.name}`,
    name: d.name,
    kind: d.kind,
    ...(master?.name ? { master: `${ns.name}:${master.name}` } : {}),
    addrs: ns.addrs.filter((a) => a.dev === d).map((a) => `${ipString(a.ip)}/${a.prefix}`),
  };
}

function devicesOf(ns: NetNs): PageDevice[] {
  return [...ns.devices.values()].filter((d) => d.kind !== 'loopback').map((d) => device(d, ns));
}

/** Nodes with their pods (a pod belongs to the node its eth0's veth peer lives in), external hosts, the gateway, the underlay switch. */
function machines(c: Cluster): Machine[] {
  const podsOf = new Map<string, Machine['pods']>();
  for (const [name, ns] of c.pods) {
    if (c.nodes.get(ns.name) === ns) continue; // hostNetwork
    const eth = [...ns.devices.values()].find((d) => d instanceof Veth) as Veth | undefined;
    const node = eth?.peer?.ns.name;
    if (!node) continue;
    let list = podsOf.get(node);
    if (!list) podsOf.set(node, (list = []));
    const slash = name.indexOf('/');
    list.push({ name, label: podLabel(name.slice(slash + 1)), namespace: name.slice(0, slash), devices: devicesOf(ns) });
  }
  const out: Machine[] = [];
  for (const [name, ns] of c.nodes) out.push({ name, role: 'node', devices: devicesOf(ns), pods: podsOf.get(name) ?? [] });
  for (const [name, ns] of c.hosts) out.push({ name, role: 'host', devices: devicesOf(ns), pods: [] });
  out.push({ name: c.gateway.name, role: 'gateway', devices: devicesOf(c.gateway), pods: [] });
  out.push({ name: c.underlay.ns.name, role: 'underlay', devices: devicesOf(c.underlay.ns), pods: [] });
  return out;
}

/** Characters of a pod's name its box has room for (11 px monospace in a 126-unit box). */
export const POD_LABEL_CHARS = 17;

/**
 * A pod's name shortened to fit its box by cutting the middle, not the end:
 * controllers make names that differ only in their last part
 * (`web-7d4b9c8f6d-x2k9p`, `web-7d4b9c8f6d-q8z7m`), so that part is kept
 * whole (`web-7d4b9…-x2k9p`) when it is at most half the room.
 */
export function podLabel(name: string, max = POD_LABEL_CHARS): string {
  if (name.length <= max) return name;
  const dash = name.lastIndexOf('-');
  const keep = dash > 0 && name.length - dash <= Math.floor(max / 2) ? name.length - dash : Math.floor((max - 1) / 2);
  return `${name.slice(0, max - 1 - keep)}…${name.slice(name.length - keep)}`;
}

function links(c: Cluster): [string, string][] {
  const seen = new Set<string>();
  const out: [string, string][] = [];
  const add = (a: string, b: string): void => {
    const key = a < b ? `${a}|${b}` : `${b}|${a}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push([a, b]);
  };
  for (const ns of c.netns.values()) {
    for (const d of ns.devices.values()) {
      if (d instanceof Veth && d.peer) add(d.where, d.peer.where);
      if (d instanceof Uplink && d.cabledTo) add(d.where, d.cabledTo.where);
      const master = d.master as unknown as { name?: string } | undefined;
      if (master?.name) add(d.where, `${ns.name}:${master.name}`);
    }
  }
  return out;
}

function pageFlow(f: WalkFlow): PageFlow {
  const fp = new FlowPackets(f.events);
  const chain = f.pkt === undefined ? [] : fp.eventsOf(fp.requestChain(f.pkt));
  // Through an ingress controller the walk goes on over the connection it opened, as the text walk does.
  const proxied = proxiedEvents(fp);
  const legs: { events: readonly TraceEvent[]; steps: Step[] }[] = [
    { events: chain, steps: requestSteps(chain, DEFAULT_VISIBILITY) },
    { events: proxied, steps: proxied.length === 0 ? [] : requestSteps(proxied, DEFAULT_VISIBILITY) },
  ];
  const headline = renderHeadline(f, PLAIN);
  const walk = renderWalk(f, { detail: 'hops', flows: [], visibility: DEFAULT_VISIBILITY }, PLAIN);
  return {
    name: f.name,
    verdict: f.verdict,
    headline,
    path: [...devicesCrossed(chain), ...upstreamLegs(fp).flat()],
    steps: legs.flatMap(({ events, steps }) => {
      const position = new Map<TraceEvent, number>(events.map((e, i) => [e, i]));
      return steps.map((s) => {
        const frame = frameOf(s, events, position);
        return { where: s.where, at: s.at, text: s.text, ...(s.tone ? { tone: s.tone } : {}), details: s.details, ...(frame ? { frame } : {}), events: s.events.map(describeEvent) };
      });
    }),
    notes: walk.filter((l) => /^ {5}\S/.test(l)).map((l) => l.trim()),
  };
}

/** Steps that are a socket's or an application's doing (a TCP timeout, an HTTP message read, nginx's decision) show no frame: the last one a device saw is another packet's. */
const NO_FRAME = new Set<TraceEvent['kind']>(['tcp', 'http', 'ingress']);

/** The frame as the last device before (or at) the step saw it, from the same list of events the step was made of. */
function frameOf(s: Step, events: readonly TraceEvent[], position: ReadonlyMap<TraceEvent, number>): FrameSummary | undefined {
  const first = s.events[0];
  if (first === undefined || NO_FRAME.has(first.kind)) return undefined;
  const i = position.get(first) ?? 0;
  for (let k = i; k >= 0; k--) {
    const e = events[k]!;
    if (e.kind === 'tx' || e.kind === 'rx' || e.kind === 'create') return e.frame;
  }
  for (let k = i + 1; k < events.length; k++) {
    const e = events[k]!;
    if (e.kind === 'tx' || e.kind === 'rx') return e.frame;
  }
  return undefined;
}

function ipString(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

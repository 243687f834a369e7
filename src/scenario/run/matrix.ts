import { simulate } from './simulate.js';
import type { FlowResult } from './flows.js';
import type { PodSpec, Scenario, TrafficSpec } from '../types.js';

export interface MatrixOptions {
  port: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  /** Probe the destination pod's own IP, or the ClusterIP of a Service whose only endpoint it is. */
  via: 'pod' | 'service';
  /** Simulated time the first probe leaves (probes follow 1 ms apart). */
  atNs?: number;
}

/** One cell: whether the probe connected, and what became of it. */
export interface MatrixCell {
  from: string;
  to: string;
  allowed: boolean;
  flow: FlowResult | undefined;
  /** Why there is no probe (no Service for `via: service`). */
  skipped?: string;
}

export interface ReachabilityMatrix {
  options: MatrixOptions;
  /** `ns/name` of every probed pod, sorted (rows and columns). */
  pods: string[];
  cells: MatrixCell[][];
  /** Notes worth reading next to the table (pods that do not listen on the port). */
  notes: string[];
}

const PROBE_GAP_NS = 1_000_000;

/**
 * Probes every pod → pod pair the way the upstream e2e NetworkPolicy suite
 * does: one connection attempt per ordered pair, each a real packet through
 * the cluster, allowed when it reaches a listening socket on the destination.
 */
export function probeMatrix(scenario: Scenario, opts: MatrixOptions): ReachabilityMatrix {
  const pods = scenario.pods.filter((p) => !p.builtin && !p.hostNetwork).sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const traffic: TrafficSpec[] = [];
  const skipped = new Map<string, string>();
  const start = opts.atNs ?? 0;
  for (const src of pods) {
    for (const dst of pods) {
      const name = `${key(src)} -> ${key(dst)}`;
      const to = opts.via === 'pod' ? ({ kind: 'pod', namespace: dst.namespace, name: dst.name } as const) : serviceFor(scenario, dst, opts);
      if (typeof to === 'string') {
        skipped.set(name, to);
        continue;
      }
      traffic.push({ name, from: { kind: 'pod', namespace: src.namespace, name: src.name }, to, protocol: opts.protocol, port: opts.port, payload: 64, count: 1, atNs: start + traffic.length * PROBE_GAP_NS, intervalNs: PROBE_GAP_NS, pos: src.pos });
    }
  }
  const run = simulate({ ...scenario, traffic }, { detailed: true });
  const byName = new Map(run.flows.map((f) => [f.flow, f]));
  const cells = pods.map((src) =>
    pods.map((dst): MatrixCell => {
      const name = `${key(src)} -> ${key(dst)}`;
      const flow = byName.get(name);
      const why = skipped.get(name);
      return { from: key(src), to: key(dst), allowed: flow?.verdict === 'delivered' && flow.deliveredTo === `pod/${key(dst)}`, flow, ...(why ? { skipped: why } : {}) };
    }),
  );
  const notes = (opts.via === 'pod' ? pods : []).filter((p) => !listens(p, opts)).map((p) => `${key(p)} does not listen on ${opts.protocol}/${opts.port}: its column is X because nothing answers, not because of a policy`);
  return { options: opts, pods: pods.map(key), cells, notes };
}

function key(p: { namespace: string; name: string }): string {
  return `${p.namespace}/${p.name}`;
}

function listens(p: PodSpec, opts: MatrixOptions): boolean {
  return p.ports.some((c) => c.containerPort === opts.port && c.protocol === opts.protocol);
}

/** A Service in the pod's namespace whose single endpoint is this pod, serving the probe port. */
function serviceFor(scenario: Scenario, pod: PodSpec, opts: MatrixOptions): TrafficSpec['to'] | string {
  for (const svc of scenario.services) {
    if (svc.namespace !== pod.namespace || svc.clusterIP === undefined || !svc.ports.some((p) => p.port === opts.port && p.protocol === opts.protocol)) continue;
    const eps = scenario.endpointSlices.filter((s) => s.namespace === svc.namespace && s.serviceName === svc.name).flatMap((s) => s.endpoints);
    if (eps.length === 1 && eps[0]!.ip === pod.ip) return { kind: 'service', namespace: svc.namespace, name: svc.name };
  }
  return `no Service in ${pod.namespace} has ${key(pod)} as its only endpoint on ${opts.protocol}/${opts.port}`;
}

/** A cell of an expected table: allowed, blocked, or not checked. */
export type Mark = '.' | 'X' | '?';

/** The upstream suite's PrettyPrint: a tab-separated table, `.` allowed, `X` blocked, `?` not probed. */
export function formatMatrix(m: Pick<ReachabilityMatrix, 'pods' | 'cells'>): string {
  const lines = [['-', ...m.pods].join('\t')];
  m.cells.forEach((row, i) => lines.push([m.pods[i]!, ...row.map((c) => (c.skipped ? '?' : c.allowed ? '.' : 'X'))].join('\t')));
  return `${lines.join('\n')}\n`;
}

/** A table in that format (any whitespace between cells) → rows of marks keyed by pod. */
export function parseMatrix(text: string): { pods: string[]; rows: Map<string, Map<string, Mark>> } | string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const header = lines[0]?.split(/\s+/);
  if (!header || header[0] !== '-') return "expected a header row starting with '-' followed by the destination pods (ns/name)";
  const pods = header.slice(1);
  const rows = new Map<string, Map<string, Mark>>();
  for (const line of lines.slice(1)) {
    const [from, ...marks] = line.split(/\s+/);
    if (marks.length !== pods.length) return `row ${from}: expected ${pods.length} marks, found ${marks.length}`;
    const row = new Map<string, Mark>();
    for (let i = 0; i < marks.length; i++) {
      const mk = marks[i]!;
      if (mk !== '.' && mk !== 'X' && mk !== '?') return `row ${from}: expected '.', 'X' or '?' (not checked), found '${mk}'`;
      row.set(pods[i]!, mk);
    }
    rows.set(from!, row);
  }
  return { pods, rows };
}

/** Cells where the probe disagrees with the expected table (loopback pairs ignored, as upstream). */
export function compareMatrix(m: ReachabilityMatrix, expected: { rows: Map<string, Map<string, Mark>> }, ignoreLoopback = true): string[] {
  const out: string[] = [];
  for (const row of m.cells) {
    for (const c of row) {
      if (ignoreLoopback && c.from === c.to) continue;
      const want = expected.rows.get(c.from)?.get(c.to);
      if (want === undefined || want === '?') continue;
      const have = c.skipped ? '?' : c.allowed ? '.' : 'X';
      if (want !== have) out.push(`${c.from} -> ${c.to}: expected ${want}, probed ${have}${c.flow && !c.allowed ? ` (${c.flow.dropReason ?? c.flow.verdict})` : ''}`);
    }
  }
  for (const [from, row] of expected.rows) {
    if (!m.pods.includes(from)) out.push(`expected row ${from}: no such pod`);
    for (const to of row.keys()) if (!m.pods.includes(to)) out.push(`expected column ${to}: no such pod`);
  }
  return out;
}

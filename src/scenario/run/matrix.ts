import { ScenarioRun, type RunProgress } from './simulate.js';
import type { Cluster } from '../../cluster/build.js';
import { formatIpv4 } from '../../wire/addr.js';
import type { FlowResult } from './flows.js';
import type { PodSpec, Scenario, TrafficSpec } from '../types.js';

export interface MatrixOptions {
  port: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  /** Probe the destination pod's own IP, or the ClusterIP of a Service whose only endpoint it is. */
  via: 'pod' | 'service';
  /**
   * Simulated time the first probe leaves (probes follow 1 ms apart). The scenario's steps up to then
   * have happened (policies applied, labels changed, pods a step made or deleted: the pods probed are
   * the ones that exist then) and later ones do not.
   */
  atNs?: number;
  /** Probe only the pods of these namespaces, as sources and destinations (`matrix --namespace`); absent = every pod. */
  namespaces?: readonly string[];
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
  /**
   * `ns/name` of the pods probed at their own IP that declare no container port for the probe's port and
   * protocol, in row order: their column is X because nothing answers, whatever the policies say.
   */
  notListening: string[];
  /** Notes worth reading next to the table: one sentence per pod of `notListening` (the text view folds them into one). */
  notes: string[];
}

const PROBE_GAP_NS = 1_000_000;

/**
 * Probes every pod → pod pair the way the upstream e2e NetworkPolicy suite
 * does: one connection attempt per ordered pair, each a real packet through
 * the cluster, allowed when it reaches a listening socket on the destination.
 */
export function probeMatrix(scenario: Scenario, opts: MatrixOptions, hooks: { onProgress?: (p: RunProgress) => void; onPods?: (pods: number) => void } = {}): ReachabilityMatrix {
  const start = opts.atNs ?? 0;
  // The cluster as of `start`: the steps up to then (inclusive) happen first, and what the controllers do
  // about them; later steps do not, so every probe sees the same policies, labels and pods, however
  // long the probes take (they leave 1 ms apart).
  const steps = opts.atNs === undefined ? scenario.steps : scenario.steps.filter((s) => s.atNs <= start);
  const run = new ScenarioRun({ ...scenario, traffic: [], steps }, { detailed: true, ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}) });
  if (start > 0) run.runUntil(start);
  const wanted = opts.namespaces ? new Set(opts.namespaces) : undefined;
  const pods = podsAt(scenario, run.cluster)
    .filter((p) => !wanted || wanted.has(p.namespace))
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  hooks.onPods?.(pods.length);
  const skipped = new Map<string, string>();
  let n = 0;
  for (const src of pods) {
    for (const dst of pods) {
      const name = `${key(src)} -> ${key(dst)}`;
      // A pod made by a step has no load-time spec: it is addressed by the IP its CNI ADD gave it.
      const to = opts.via === 'service' ? serviceFor(run.cluster.controlPlane, dst, opts) : dst.spec ? ({ kind: 'pod', namespace: dst.namespace, name: dst.name } as const) : ({ kind: 'ip', ip: dst.ip } as const);
      if (typeof to === 'string') {
        skipped.set(name, to);
        continue;
      }
      const t: TrafficSpec = { name, from: { kind: 'pod', namespace: src.namespace, name: src.name }, to, protocol: opts.protocol, port: opts.port, payload: 64, count: 1, atNs: start + n++ * PROBE_GAP_NS, intervalNs: PROBE_GAP_NS, pos: src.spec?.pos ?? { file: scenario.file, line: 1, col: 1 } };
      run.schedule(t);
    }
  }
  const byName = new Map(run.finish().flows.map((f) => [f.flow, f]));
  const cells = pods.map((src) =>
    pods.map((dst): MatrixCell => {
      const name = `${key(src)} -> ${key(dst)}`;
      const flow = byName.get(name);
      const why = skipped.get(name);
      return { from: key(src), to: key(dst), allowed: flow?.verdict === 'delivered' && flow.deliveredTo === `pod/${key(dst)}`, flow, ...(why ? { skipped: why } : {}) };
    }),
  );
  const notListening = (opts.via === 'pod' ? pods : []).filter((p) => p.spec && !listens(p.spec, opts)).map(key);
  const notes = notListening.map((p) => `${p} does not listen on ${opts.protocol}/${opts.port}: its column is X because nothing answers, not because of a policy`);
  return { options: opts, pods: pods.map(key), cells, notListening, notes };
}

/** A pod as probed: its spec when the scenario wrote it (or its controllers made it at load time). */
interface ProbedPod {
  namespace: string;
  name: string;
  ip: string;
  spec?: PodSpec;
}

/**
 * The pods that exist in the cluster now (their network namespaces), leaving out the built-in add-ons
 * and hostNetwork pods as the e2e suite's model does.
 */
function podsAt(scenario: Scenario, cluster: Cluster): ProbedPod[] {
  const specs = new Map(scenario.pods.map((p) => [key(p), p]));
  const out: ProbedPod[] = [];
  for (const [k, ns] of cluster.pods) {
    const spec = specs.get(k);
    if (spec?.builtin || spec?.hostNetwork || ns.name !== k) continue;
    const eth0 = ns.addrs.find((a) => a.dev.name === 'eth0');
    if (!eth0) continue;
    const slash = k.indexOf('/');
    out.push({ namespace: k.slice(0, slash), name: k.slice(slash + 1), ip: formatIpv4(eth0.ip), ...(spec ? { spec } : {}) });
  }
  return out;
}

function key(p: { namespace: string; name: string }): string {
  return `${p.namespace}/${p.name}`;
}

function listens(p: PodSpec, opts: MatrixOptions): boolean {
  return p.ports.some((c) => c.containerPort === opts.port && c.protocol === opts.protocol);
}

/**
 * A Service in the pod's namespace whose single endpoint is this pod, serving the probe port: among the
 * Services and EndpointSlices that exist when the probes start (a step may have created, replaced or deleted
 * one, and the controllers changed its endpoints).
 */
function serviceFor(api: Cluster['controlPlane'], pod: { namespace: string; name: string; ip: string }, opts: MatrixOptions): TrafficSpec['to'] | string {
  for (const svc of api.services) {
    if (svc.namespace !== pod.namespace || svc.clusterIP === undefined || !svc.ports.some((p) => p.port === opts.port && p.protocol === opts.protocol)) continue;
    const eps = api.endpointSlices.filter((s) => s.namespace === svc.namespace && s.serviceName === svc.name).flatMap((s) => s.endpoints);
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

import type { Command } from 'commander';
import { compareMatrix, probeMatrix, type MatrixOptions, type ReachabilityMatrix } from '../scenario/run/matrix.js';
import type { Scenario } from '../scenario/types.js';
import { parseDuration } from '../scenario/load/quantities.js';
import { fit, PLAIN, type Terminal } from '../trace/view/terminal.js';
import { renderMatrixTable } from './matrix-table.js';
import { notListeningNote } from './matrix-notes.js';
import { progressLine } from './progress.js';
import { count } from '../trace/plural.js';

interface MatrixFlags {
  port?: string;
  protocol?: string;
  via?: string;
  json?: boolean;
  proxyMode?: 'iptables' | 'ipvs' | 'nftables';
  at?: string;
  namespace?: string[];
}

/** More probes than this (50 pods) get a line on stderr first: the table is pods², and so is the time. */
const MANY_PROBES = 2500;

/**
 * `podwalk matrix FILE`: the pod → pod reachability truth table, printed as
 * the upstream e2e NetworkPolicy suite prints it. The file's `matrix:`
 * section gives defaults and, with `expect:`, the table to check (exit 1 on a
 * difference).
 */
export function registerMatrix(program: Command, io: { out: (s: string) => void; err: (s: string) => void; term?: Terminal; errIsTTY?: boolean }, load: (file: string, proxyMode?: 'iptables' | 'ipvs' | 'nftables') => Scenario, fail: (message: string) => never, setCode: (code: number) => void): void {
  program
    .command('matrix')
    .description('probe every pod -> pod pair and print the reachability truth table (. allowed, X blocked)')
    .argument('<file>', 'scenario file')
    .option('--port <p>', 'destination port (default: the file\'s matrix.port, else 80)')
    .option('--protocol <proto>', 'TCP | UDP | SCTP (default TCP)')
    .option('--via <how>', 'pod (pod IPs) | service (the ClusterIP of a Service whose only endpoint is the pod)')
    .option('--at <time>', "probe at this simulated time (like 2s), after the file's steps up to then (default: the file's matrix.at, else 0)")
    .option('--namespace <ns>', 'probe only this namespace\'s pods (repeatable), as kubectl -n narrows a listing', (v: string, prev: string[] = []) => [...prev, v])
    .option('--json', 'print JSON instead of the table')
    .option('--proxy-mode <mode>', 'override cluster.proxyMode: iptables | ipvs | nftables')
    .action((file: string, o: MatrixFlags) => {
      if (o.proxyMode !== undefined && o.proxyMode !== 'iptables' && o.proxyMode !== 'ipvs' && o.proxyMode !== 'nftables') fail(`--proxy-mode: expected iptables, ipvs or nftables, got ${String(o.proxyMode)}`);
      const scenario = load(file, o.proxyMode);
      const m = scenario.matrix;
      const opts: MatrixOptions = {
        port: o.port === undefined ? (m?.port ?? 80) : parsePort(o.port, fail),
        protocol: o.protocol === undefined ? (m?.protocol ?? 'TCP') : parseProtocol(o.protocol, fail),
        via: o.via === undefined ? (m?.via ?? 'pod') : parseVia(o.via, fail),
      };
      const atNs = o.at === undefined ? m?.atNs : parseAt(o.at, fail);
      if (atNs !== undefined) opts.atNs = atNs;
      if (o.namespace) {
        const known = new Set(scenario.namespaces.map((n) => n.name));
        for (const ns of o.namespace) if (!known.has(ns)) fail(`--namespace: no namespace ${ns} (namespaces: ${[...known].join(', ')})`);
        opts.namespaces = o.namespace;
      }
      // On a terminal, a long table shows the run's progress line (as \`run\` does); a big one says so first.
      const progress = progressLine(io.err, io.errIsTTY ?? false);
      const result = probeMatrix(scenario, opts, {
        ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
        onPods: (n) => {
          if (n * n > MANY_PROBES) io.err(`matrix: ${n} pods, ${(n * n).toLocaleString('en-US')} probes: this takes a while${opts.namespaces ? '' : '; --namespace NS probes one namespace\'s pods'}\n`);
        },
      });
      progress.done();
      // The expected table only applies to the probe it was written for.
      const sameProbe = m !== undefined && m.port === opts.port && m.protocol === opts.protocol && m.via === opts.via && m.atNs === opts.atNs;
      // Narrowed to some namespaces, the expected table's other rows and columns were not probed: they are not checked.
      const expected = m?.expect && opts.namespaces ? inNamespaces(m.expect, opts.namespaces) : m?.expect;
      const diffs = sameProbe && expected ? compareMatrix(result, expected) : [];
      if (o.json) io.out(`${JSON.stringify(matrixJson(result, diffs), null, 2)}\n`);
      else {
        const term = io.term ?? PLAIN;
        // Every line fits the terminal as `run`'s do: a long one goes on, indented, on the next.
        const say = (line: string, indent: number): void => io.out(`${fit(line, term, indent).join('\n')}\n`);
        say(`reachability ${opts.protocol}/${opts.port} via ${opts.via}${opts.atNs === undefined ? '' : ` at ${formatDuration(opts.atNs)}`} (${count(result.pods.length, 'pod')}, ${count(result.pods.length ** 2, 'probe')})`, 2);
        io.out(`${renderMatrixTable(result, term).join('\n')}\n`);
        // One note for every pod that does not listen on the port (result.notes has one per pod, for --json).
        const note = notListeningNote(result.pods, result.notListening, `${opts.protocol}/${opts.port}`, term, 6);
        if (note) say(`note: ${note}`, 6);
        if (sameProbe && expected) {
          say(diffs.length === 0 ? 'expected matrix: met' : `expected matrix: ${diffs.length} cell(s) differ`, 2);
          for (const d of diffs) say(`  ${d}`, 4);
        }
      }
      setCode(diffs.length > 0 ? 1 : 0);
    });
}

function inNamespaces<T>(expected: { rows: Map<string, Map<string, T>> }, namespaces: readonly string[]): { rows: Map<string, Map<string, T>> } {
  const keep = (pod: string): boolean => namespaces.includes(pod.slice(0, pod.indexOf('/')));
  return { rows: new Map([...expected.rows].filter(([from]) => keep(from)).map(([from, row]) => [from, new Map([...row].filter(([to]) => keep(to)))])) };
}

function matrixJson(m: ReachabilityMatrix, diffs: string[]): unknown {
  return {
    port: m.options.port,
    protocol: m.options.protocol,
    via: m.options.via,
    ...(m.options.atNs === undefined ? {} : { atNs: m.options.atNs }),
    pods: m.pods,
    matrix: Object.fromEntries(m.cells.map((row, i) => [m.pods[i], Object.fromEntries(row.map((c) => [c.to, c.skipped ? null : c.allowed]))])),
    blocked: m.cells.flat().filter((c) => !c.allowed && !c.skipped).map((c) => ({ from: c.from, to: c.to, reason: c.flow?.dropReason ?? c.flow?.verdict ?? 'not sent', detail: c.flow?.dropDetail })),
    notListening: m.notListening,
    notes: m.notes,
    mismatches: diffs,
  };
}

function parseAt(v: string, fail: (m: string) => never): number {
  const ns = parseDuration(v.trim() === '0' ? 0 : v);
  if (typeof ns === 'string') fail(`--at: ${ns}`);
  return ns as number;
}

/** Simulated time as written in scenarios: the largest unit that keeps it whole. */
function formatDuration(ns: number): string {
  if (ns === 0) return '0';
  for (const [unit, size] of [['s', 1e9], ['ms', 1e6], ['us', 1e3]] as const) if (ns >= size && ns % size === 0) return `${ns / size}${unit}`;
  return `${ns}ns`;
}

function parsePort(v: string, fail: (m: string) => never): number {
  // Decimal digits only, as --seed: Number() would also take '0x50', '1e3' and ' 80'.
  const n = /^[0-9]{1,5}$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 65535) fail(`--port: expected an integer between 1 and 65535, got ${v === '' ? 'nothing' : v}`);
  return n;
}

function parseProtocol(v: string, fail: (m: string) => never): 'TCP' | 'UDP' | 'SCTP' {
  if (v === 'TCP' || v === 'UDP' || v === 'SCTP') return v;
  return fail(`--protocol: expected TCP, UDP or SCTP, got ${v}`);
}

function parseVia(v: string, fail: (m: string) => never): 'pod' | 'service' {
  if (v === 'pod' || v === 'service') return v;
  return fail(`--via: expected pod or service, got ${v}`);
}

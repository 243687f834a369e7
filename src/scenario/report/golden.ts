/**
 * Golden traces: the full trace of a run as stable, reviewable text. One line
 * per event (`t pkt where what`, netfilter rules indented below), grouped by
 * flow in the scenario's order, packets numbered per flow so that an extra
 * packet in one flow does not renumber every other flow. Simulated time only,
 * never wall-clock time; no column padding, so one changed hop is one changed
 * line. Deterministic because the run is (same scenario + seed = same trace).
 */
import type { TraceEvent } from '../../trace/events.js';
import { describeEvent, formatTime } from '../../trace/format.js';
import type { FlowResult } from '../run/flows.js';
import type { RunResult } from '../run/simulate.js';

export const GOLDEN_FORMAT = 1;
const BACKGROUND = '(background)';

/** The golden text of a finished run. */
export function renderGolden(result: RunResult): string {
  const s = result.scenario;
  const lines = [
    `# podwalk golden trace (format ${GOLDEN_FORMAT}): scenario ${s.name}, network ${s.cluster.network}, seed ${s.cluster.seed}`,
    // The mode decides the rules and NAT every Service packet meets: a trace of one mode read against another's
    // differs nearly everywhere, so the golden says which it holds (goldenProxyMode reads it back).
    `${PROXY_MODE_LINE}${s.cluster.proxyMode}`,
    '# t in simulated µs; #n = the n-th packet of its flow. Regenerate: podwalk run FILE --golden DIR --update',
  ];
  const sections = groupByFlow(result.events);
  const order = [...result.flows.map((f) => f.flow), ...[...sections.keys()].filter((k) => !result.flows.some((f) => f.flow === k))];
  const byName = new Map(result.flows.map((f) => [f.flow, f]));
  for (const name of order) {
    const events = sections.get(name) ?? [];
    const flow = byName.get(name);
    lines.push('', `== ${name}${flow ? `: ${fate(flow)}` : ''}`);
    const local = new Map<number, number>();
    const num = (id: number): string => {
      let n = local.get(id);
      if (n === undefined) local.set(id, (n = local.size + 1));
      return `#${n}`;
    };
    for (const e of events) num(e.pkt);
    // Cross-references (`because of #3`, `about #3`) use the same per-flow numbers.
    const ref = (id: number): string => (local.has(id) ? num(id) : `#${id}@trace`);
    for (const e of events) {
      const text = describeEvent(e).replace(/\((because of|about) #(\d+)\)/, (_, word: string, id: string) => `(${word} ${ref(Number(id))})`);
      const [first, ...rest] = text.split('\n');
      lines.push(`${formatTime(e.t)} ${num(e.pkt)} ${e.at} ${first}`);
      for (const r of rest) lines.push(`    ${r.trim()}`);
    }
  }
  return lines.join('\n') + '\n';
}

/**
 * The header line naming the kube-proxy mode the trace was recorded in. Goldens written before it existed have
 * none and still compare (golden-compare.ts): the format's other lines did not change, so it stays format 1.
 */
export const PROXY_MODE_LINE = '# proxy-mode: ';

/** The proxy mode a golden text's header records, or undefined when it records none (written before the line existed). */
export function goldenProxyMode(text: string): string | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith('#')) return undefined; // the header is over
    if (line.startsWith(PROXY_MODE_LINE)) return line.slice(PROXY_MODE_LINE.length).trim();
  }
  return undefined;
}

/** A line that opens a flow's section (diff hunk headings name it). */
export function isGoldenHeading(line: string): boolean {
  return line.startsWith('== ');
}

function fate(f: FlowResult): string {
  return f.verdict === 'delivered' ? `delivered to ${f.deliveredTo}` : `dropped: ${f.dropReason ?? 'unknown'}`;
}

/** Packets belong to the flow named in their `create` (kernel-made packets inherit it). */
function groupByFlow(events: readonly TraceEvent[]): Map<string, TraceEvent[]> {
  const flowOf = new Map<number, string>();
  const out = new Map<string, TraceEvent[]>();
  for (const e of events) {
    if (e.kind === 'create') flowOf.set(e.pkt, e.flow ?? BACKGROUND);
    const f = flowOf.get(e.pkt) ?? BACKGROUND;
    let list = out.get(f);
    if (!list) out.set(f, (list = []));
    list.push(e);
  }
  return out;
}

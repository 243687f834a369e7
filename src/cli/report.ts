import type { FlowResult } from '../scenario/run/flows.js';
import { refString } from '../scenario/run/flows.js';
import type { Mismatch } from '../scenario/run/expect.js';
import type { RunResult } from '../scenario/run/simulate.js';
import type { TraceEvent } from '../trace/events.js';
import type { WalkFlow } from '../trace/view/flow-packets.js';
import type { WalkEvents } from '../scenario/report/walk-events.js';
import type { ViewOptions } from '../trace/view/options.js';
import { fit, paint, type Terminal } from '../trace/view/terminal.js';
import { renderWalks } from '../trace/view/walk.js';

/** Which flow each packet belongs to (packets inherit their flow at creation). */
export function eventsByFlow(events: readonly TraceEvent[]): Map<string, TraceEvent[]> {
  const flowOf = new Map<number, string>();
  const out = new Map<string, TraceEvent[]>();
  for (const e of events) {
    if (e.kind === 'create') flowOf.set(e.pkt, e.flow ?? '(background)');
    const f = flowOf.get(e.pkt) ?? '(background)';
    let list = out.get(f);
    if (!list) out.set(f, (list = []));
    list.push(e);
  }
  return out;
}

/** A flow's outcome and events in the shape the walk view reads (each flow's events taken from `walk`). */
export function walkFlows(flows: readonly FlowResult[], walk: WalkEvents): WalkFlow[] {
  return flows.map((r: FlowResult) => ({
    name: r.flow,
    protocol: r.traffic.protocol,
    target: r.traffic.to.kind === 'pod' ? (r.traffic.to.namespace === 'default' ? r.traffic.to.name : `${r.traffic.to.namespace}/${r.traffic.to.name}`) : refString(r.traffic.to),
    ...(r.traffic.port === undefined ? {} : { port: r.traffic.port }),
    verdict: r.verdict,
    ...(r.deliveredTo === undefined ? {} : { deliveredTo: r.deliveredTo }),
    ...(r.dropReason === undefined ? {} : { dropReason: r.dropReason }),
    ...(r.dropDetail === undefined ? {} : { dropDetail: r.dropDetail }),
    ...(r.rttNs === undefined ? {} : { rttNs: r.rttNs }),
    ...(r.pkt === undefined ? {} : { pkt: r.pkt }),
    events: walk.take(r.flow),
  }));
}

/**
 * The human report: per flow its walk at the chosen detail (headline only
 * with `quiet`), then the expectation summary. The events come from `walk`,
 * gathered while the run went on (the trace itself need not be kept).
 */
export function renderReport(result: RunResult, walk: WalkEvents, mismatches: Mismatch[], opts: { view: ViewOptions; quiet: boolean; term: Terminal }): string {
  const { term } = opts;
  const title = `scenario ${result.scenario.name} (${result.scenario.cluster.network}, seed ${result.scenario.cluster.seed})`;
  const walks = renderWalks(title, walkFlows(result.flows, walk), opts.view, term, opts.quiet);
  const parts = [...walks];
  const changes = walk.changes;
  if (changes.length > 0) {
    // The timeline of steps and the controllers reacting to them (the walks above are per flow).
    parts.push('', 'changes (steps and the controllers reacting to them):');
    for (const c of changes) parts.push(...fit(`  ${(c.t / 1e9).toFixed(6)} s  ${c.at}: ${c.change}: ${c.detail}`, term, 4));
  }
  if (result.stopped === 'budget') parts.push('', `run stopped: event budget exhausted after ${result.eventsExecuted} events`);
  const checked = result.flows.filter((f) => f.traffic.expect).length;
  parts.push('');
  if (mismatches.length === 0) parts.push(paint(term, 'good', `expectations: ${checked} flow(s) checked, all met`));
  else {
    parts.push(paint(term, 'bad', `expectations: ${mismatches.length} not met`));
    for (const m of mismatches) parts.push(...fit(`  ${m.flow}: ${m.field}`, term, 4), ...fit(`    expected: ${m.expected}`, term, 14), ...fit(`    actual:   ${m.actual}`, term, 14));
  }
  return parts.join('\n') + '\n';
}

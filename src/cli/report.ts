import type { FlowResult } from '../scenario/run/flows.js';
import { refString } from '../scenario/run/flows.js';
import type { Mismatch } from '../scenario/run/expect.js';
import type { RunResult } from '../scenario/run/simulate.js';
import type { TraceEvent } from '../trace/events.js';
import type { WalkFlow } from '../trace/view/flow-packets.js';
import type { ViewOptions } from '../trace/view/options.js';
import { fit, paint, type Terminal } from '../trace/view/terminal.js';
import { renderWalks } from '../trace/view/walk.js';

/**
 * Each flow's events: its packets (tagged with the flow at creation) and
 * everything its request caused, even packets the kernel files under the
 * connection's first flow (a later segment's ACK).
 */
function flowEvents(events: readonly TraceEvent[], flows: readonly FlowResult[]): Map<string, TraceEvent[]> {
  const pktsOf = new Map<string, Set<number>>();
  const children = new Map<number, number[]>();
  const positions = new Map<number, number[]>();
  events.forEach((e, i) => {
    let at = positions.get(e.pkt);
    if (!at) positions.set(e.pkt, (at = []));
    at.push(i);
    if (e.kind !== 'create') return;
    const f = e.flow ?? '(background)';
    let set = pktsOf.get(f);
    if (!set) pktsOf.set(f, (set = new Set()));
    set.add(e.pkt);
    if (e.cause !== undefined) {
      let kids = children.get(e.cause);
      if (!kids) children.set(e.cause, (kids = []));
      kids.push(e.pkt);
    }
  });
  const out = new Map<string, TraceEvent[]>();
  for (const r of flows) {
    const pkts = new Set(pktsOf.get(r.flow) ?? []);
    const todo = r.pkt === undefined ? [] : [r.pkt];
    while (todo.length > 0) {
      const p = todo.pop()!;
      pkts.add(p);
      for (const k of children.get(p) ?? []) if (!pkts.has(k)) todo.push(k);
    }
    const idx = [...pkts].flatMap((p) => positions.get(p) ?? []).sort((a, b) => a - b);
    out.set(r.flow, idx.map((i) => events[i]!));
  }
  return out;
}

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

/** A flow's outcome and events in the shape the walk view reads. */
export function walkFlows(result: RunResult): WalkFlow[] {
  const byFlow = flowEvents(result.events, result.flows);
  return result.flows.map((r: FlowResult) => ({
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
    events: byFlow.get(r.flow) ?? [],
  }));
}

/**
 * The human report: per flow its walk at the chosen detail (headline only
 * with `quiet`), then the expectation summary.
 */
export function renderReport(result: RunResult, mismatches: Mismatch[], opts: { view: ViewOptions; quiet: boolean; term: Terminal }): string {
  const { term } = opts;
  const title = `scenario ${result.scenario.name} (${result.scenario.cluster.network}, seed ${result.scenario.cluster.seed})`;
  const walks = renderWalks(title, walkFlows(result), opts.view, term, opts.quiet);
  const parts = [...walks];
  const changes = result.events.filter((e) => e.kind === 'change');
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

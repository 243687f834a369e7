import type { FlowResult } from '../scenario/run/flows.js';
import type { Mismatch } from '../scenario/run/expect.js';
import type { RunResult } from '../scenario/run/simulate.js';
import { renderTable } from '../trace/table.js';
import type { TraceEvent } from '../trace/events.js';

/** Which flow each packet belongs to (packets inherit their flow at creation). */
function eventsByFlow(events: readonly TraceEvent[]): Map<string, TraceEvent[]> {
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

function headline(r: FlowResult): string {
  const t = r.traffic;
  const what = `${t.protocol}${t.port === undefined ? '' : ` port ${t.port}`}, ${t.payload} B`;
  const fate =
    r.verdict === 'delivered'
      ? `delivered to ${r.deliveredTo}${r.seenSource ? ` (source seen: ${r.seenSource})` : ''}`
      : `dropped: ${r.dropReason ?? 'unknown'}${r.dropDetail ? ` (${r.dropDetail})` : ''}`;
  const rtt = r.rttNs === undefined ? '' : `, rtt ${(r.rttNs / 1000).toFixed(3)} us`;
  return `== ${r.flow}: ${what} -> ${fate}${rtt}`;
}

/** The human report: per flow a headline and its hop table, then the expectation summary. */
export function renderReport(result: RunResult, mismatches: Mismatch[], opts: { hops: boolean }): string {
  const parts: string[] = [`scenario ${result.scenario.name} (${result.scenario.cluster.network}, seed ${result.scenario.cluster.seed})`];
  const byFlow = eventsByFlow(result.events);
  for (const r of result.flows) {
    parts.push('', headline(r));
    const evs = byFlow.get(r.flow);
    if (opts.hops && evs) parts.push(renderTable(evs));
  }
  if (result.stopped === 'budget') parts.push('', `run stopped: event budget exhausted after ${result.eventsExecuted} events`);
  const checked = result.flows.filter((f) => f.traffic.expect).length;
  parts.push('');
  if (mismatches.length === 0) parts.push(`expectations: ${checked} flow(s) checked, all met`);
  else {
    parts.push(`expectations: ${mismatches.length} not met`);
    for (const m of mismatches) parts.push(`  ${m.flow}: ${m.field}\n    expected: ${m.expected}\n    actual:   ${m.actual}`);
  }
  return parts.join('\n') + '\n';
}

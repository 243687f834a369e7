/**
 * The walk view's per-flow events as `podwalk run` read them from the whole
 * trace before they were gathered while the run goes on
 * (src/scenario/report/walk-events.ts): the oracle WalkEvents must match on
 * every scenario (test/scenarios).
 */
import type { TraceEvent } from '../../src/trace/events.js';

export function oracleFlowEvents(events: readonly TraceEvent[], flows: readonly { flow: string; pkt: number | undefined }[]): Map<string, TraceEvent[]> {
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

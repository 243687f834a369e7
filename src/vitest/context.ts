import type { Flow } from '../api/flow.js';
import type { TraceEvent } from '../trace/events.js';
import { settled } from '../trace/framed.js';
import { renderTable } from '../trace/table.js';
import { fitAll } from '../trace/view/terminal.js';
import { failureWidth } from './width.js';

/** Rows shown around the interesting event in a failure message: enough to read the walk, short enough to scan. */
const BEFORE = 4;
const AFTER = 6;
/** How far back a table may start to include the last hop that did match. */
const MAX_BEFORE = 12;

/**
 * Events as a hop table no wider than `width` columns: the where and event
 * cells wrap inside their columns (as `podwalk run -vv` does on a terminal),
 * and a line still too wide (a table at the narrowest) is folded.
 */
export function table(rows: readonly TraceEvent[], width: number): string {
  return fitAll(renderTable(rows, width).split('\n'), { width, colour: false }).join('\n');
}

/**
 * The events with the row at `focus` marked `▶`, `BEFORE` rows before (or
 * from `start`, when given and at most `MAX_BEFORE` rows back) and `AFTER` after.
 */
export function around(events: readonly TraceEvent[], focus: number, label = 'trace around it', what = 'request packet events', start?: number, width = failureWidth()): string {
  if (events.length === 0) return `${label}: (no events: the request was never sent)`;
  const f = Math.max(0, Math.min(focus, events.length - 1));
  const from = start !== undefined && start <= f && f - start <= MAX_BEFORE ? start : Math.max(0, f - BEFORE);
  const to = Math.min(events.length, f + AFTER + 1);
  const rows = events.slice(from, to).map((e, i) => (from + i === f ? { ...settled(e), at: `▶ ${e.at}` } : e));
  const skipped = [from > 0 ? `${from} earlier` : '', to < events.length ? `${events.length - to} later` : ''].filter(Boolean).join(', ');
  return `${label} (${what}${skipped ? `; ${skipped} not shown` : ''}):\n${table(rows, width)}`;
}

/** Only the events of the given kinds (NAT, policy), as a table; undefined when there are none. */
export function only(events: readonly TraceEvent[], kinds: readonly TraceEvent['kind'][], label: string, width = failureWidth()): string | undefined {
  const rows = events.filter((e) => kinds.includes(e.kind));
  return rows.length === 0 ? undefined : `${label}:\n${table(rows, width)}`;
}

/**
 * The trace around the flow's fate: the request's events with its deliver or
 * drop marked; when no request was sent (a name that did not resolve), the DNS
 * lookup's packets with their last drop marked, which says why.
 */
export function aroundOutcome(flow: Flow): string {
  if (flow.requestEvents.length === 0 && flow.events.length > 0) {
    // ARP is noise here: keep the queries and answers, and mark the last drop, else the last answer.
    const arp = new Set(flow.events.filter((e) => e.kind === 'create' && e.frame.type === 'arp').map((e) => e.pkt));
    const evs = flow.events.filter((e) => !arp.has(e.pkt));
    let i = lastIndex(evs, (e) => e.kind === 'drop');
    if (i < 0) i = lastIndex(evs, (e) => e.kind === 'deliver');
    return around(evs, i, 'no request was sent; the DNS lookup', 'lookup packet events, ARP left out');
  }
  const o = flow.outcome;
  const i = o ? flow.requestEvents.indexOf(o) : -1;
  return around(flow.requestEvents, i >= 0 ? i : flow.requestEvents.length - 1);
}

/** Where the flow ended, as a hop: `dropped at node2 (policy-denied: …)` / `delivered at default/b:eth0 (to pod/default/b)`. */
export function fate(flow: Flow): string {
  const at = flow.outcome ? ` at ${flow.outcome.at}` : '';
  if (flow.delivered) return `delivered${at} (to ${flow.deliveredTo}${flow.seenSource ? `, source seen ${flow.seenSource}` : ''})`;
  return `dropped${at} (${flow.dropReason ?? 'unknown'}${flow.dropDetail ? `: ${flow.dropDetail}` : ''})`;
}

/**
 * For each position of `flow.path`, the index of the first request event at
 * that device (path positions collapse consecutive repeats, as flows.ts does).
 */
export function pathEventIndex(flow: Flow): number[] {
  const out: number[] = [];
  let last: string | undefined;
  flow.requestEvents.forEach((e, i) => {
    if ((e.kind === 'tx' || e.kind === 'rx' || e.kind === 'fdb' || e.kind === 'encap' || e.kind === 'decap') && e.at !== last) {
      out.push(i);
      last = e.at;
    }
  });
  return out;
}

/** Array.prototype.findLastIndex, which the ES2022 target does not type. */
function lastIndex<T>(xs: readonly T[], pred: (x: T) => boolean): number {
  for (let i = xs.length - 1; i >= 0; i--) if (pred(xs[i]!)) return i;
  return -1;
}

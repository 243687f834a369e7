import type { TrafficSpec } from '../types.js';
import { checkExpectation, type Mismatch } from './expect.js';
import type { FlowResult } from './flows.js';

/**
 * `checkExpectations` for results handed over one at a time (a run's
 * `onFlow`), keeping only what the summary needs: the mismatches, the count
 * of flows checked, and the few results a `sameBackendAs` names. A flow with
 * a `sameBackendAs` is checked at the end (the flow it names may come later);
 * the mismatches come out in flow order, as `checkExpectations` gives them.
 */
export class ExpectationStream {
  /** Flow names some `sameBackendAs` refers to: their results are kept. */
  private readonly named: Set<string>;
  private readonly kept: FlowResult[] = [];
  /** In flow order: mismatches found, or a flow to check at the end. */
  private readonly found: (Mismatch[] | FlowResult)[] = [];
  /** Flows that had an expectation, and were checked. */
  checked = 0;
  /** Flows that had an expectation but were not selected (`--flow`), so not checked. */
  skipped = 0;
  /** The traffic item of each flow checked (a mismatch names the flow; the summary folds an item's flows). */
  private readonly items = new Map<string, string>();

  /**
   * `traffic`: every traffic item the run sends (to know which flows `sameBackendAs` names); `selected`: the flows
   * whose expectations are checked (`--flow`: those shown; default all). A flow not selected may still be the one
   * a selected flow's `sameBackendAs` names: its result is kept all the same.
   */
  constructor(
    traffic: readonly TrafficSpec[],
    private readonly selected: (flow: string) => boolean = () => true,
  ) {
    this.named = new Set(traffic.flatMap((t) => (t.expect?.sameBackendAs === undefined ? [] : [t.expect.sameBackendAs])));
  }

  add(r: FlowResult): void {
    if (this.named.has(r.flow) || this.named.has(itemName(r.flow))) this.kept.push(r);
    const e = r.traffic.expect;
    if (!e) return;
    if (!this.selected(r.flow)) {
      this.skipped++;
      return;
    }
    this.checked++;
    const m = e.sameBackendAs === undefined ? checkExpectation(r, e) : undefined;
    if (m?.length === 0) return;
    // Unmet, or judged at the end: the summary will want its item.
    if (r.traffic.name !== r.flow) this.items.set(r.flow, r.traffic.name);
    this.found.push(m ?? r);
  }

  /** The traffic item a checked flow belongs to (`svc` for `svc#3`). */
  itemOf(flow: string): string {
    return this.items.get(flow) ?? flow;
  }

  /** Every mismatch, in flow order (as `checkExpectations` of all the results). */
  finish(): Mismatch[] {
    // The lookup `checkExpectations` builds, over the results kept (the only names asked for).
    const byName = new Map<string, FlowResult>();
    for (const f of this.kept) {
      byName.set(f.flow, f);
      const item = itemName(f.flow);
      if (!byName.has(item)) byName.set(item, f);
    }
    return this.found.flatMap((x) => (Array.isArray(x) ? x : checkExpectation(x, x.traffic.expect!, (name) => byName.get(name))));
  }
}

/** `name` alone is the item's first request (`name` or `name#1`). */
function itemName(flow: string): string {
  return flow.replace(/#1$/, '');
}

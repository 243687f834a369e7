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
  /** Flows that had an expectation. */
  checked = 0;

  /** `traffic`: every traffic item the run sends (to know which flows `sameBackendAs` names). */
  constructor(traffic: readonly TrafficSpec[]) {
    this.named = new Set(traffic.flatMap((t) => (t.expect?.sameBackendAs === undefined ? [] : [t.expect.sameBackendAs])));
  }

  add(r: FlowResult): void {
    if (this.named.has(r.flow) || this.named.has(itemName(r.flow))) this.kept.push(r);
    const e = r.traffic.expect;
    if (!e) return;
    this.checked++;
    if (e.sameBackendAs !== undefined) this.found.push(r);
    else {
      const m = checkExpectation(r, e);
      if (m.length > 0) this.found.push(m);
    }
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

/**
 * Kernel objects that may still act for a flow after its packets have all
 * ended: a TCP connection (its retransmission, keep-alive, close and
 * TIME_WAIT timers; any segment that still reaches it, even another flow's)
 * and an SCTP association. While one holds a flow, the flow is not over: the
 * walk report cannot print it yet (scenario/run/flow-life.ts). An object may
 * hold several flows (a connection reused by the next request of its traffic
 * item); `free` lets go of all of them, when the object is gone.
 *
 * Packets in flight are not counted here (the trace says when each one
 * starts and ends), nor are timers that only touch shared state (neighbour
 * ageing, conntrack), which send nothing on a finished flow's behalf.
 */
export class FlowHolds {
  private readonly byHolder = new Map<object, string[]>();
  private readonly count = new Map<string, number>();
  /** Told each time the last holder of a flow lets go. */
  onFree: ((flow: string) => void) | undefined;

  /** `holder` may act for `flow` until it is freed (once per holder and flow). */
  hold(holder: object, flow: string | undefined): void {
    if (flow === undefined) return;
    let flows = this.byHolder.get(holder);
    if (!flows) this.byHolder.set(holder, (flows = []));
    if (flows.includes(flow)) return;
    flows.push(flow);
    this.count.set(flow, (this.count.get(flow) ?? 0) + 1);
  }

  /** `holder` is gone: it acts for none of its flows any more. */
  free(holder: object): void {
    const flows = this.byHolder.get(holder);
    if (!flows) return;
    this.byHolder.delete(holder);
    for (const f of flows) {
      const n = this.count.get(f)! - 1;
      if (n > 0) this.count.set(f, n);
      else {
        this.count.delete(f);
        this.onFree?.(f);
      }
    }
  }

  /** Whether anything still holds `flow`. */
  held(flow: string): boolean {
    // (Most runs' flows are never held: no hash of the name computed for nothing.)
    return this.count.size > 0 && this.count.has(flow);
  }

  /** Objects holding some flow now (a test checks they go when the connections do). */
  get holders(): number {
    return this.byHolder.size;
  }
}

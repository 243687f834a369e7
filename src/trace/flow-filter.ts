import type { TraceEvent } from './events.js';
import type { TraceSink } from './tracer.js';

/**
 * Passes on only the events of the selected flows (`--flow` with `--json`):
 * a packet is theirs when its `create` names a selected flow, or when a
 * packet of theirs caused it (its ARP request, the reply, an ICMP error, the
 * controller's upstream SYN); every event of such a packet follows. Events of
 * no packet (`change`, `pkt` 0) always pass: they change what the flows meet.
 * Decided as events happen, so the JSON still streams.
 */
export class FlowFilterSink implements TraceSink {
  private readonly mine = new Set<number>();

  constructor(
    private readonly next: TraceSink,
    private readonly selected: (flow: string) => boolean,
  ) {}

  event(e: TraceEvent): void {
    if (e.kind === 'create' && ((e.flow !== undefined && this.selected(e.flow)) || (e.cause !== undefined && this.mine.has(e.cause)))) this.mine.add(e.pkt);
    if (e.pkt === 0 || this.mine.has(e.pkt)) this.next.event(e);
  }
}

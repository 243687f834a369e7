import type { TcpEvent } from '../../trace/events.js';
import type { ConnectionOutcome } from '../types.js';
import type { FlowResult } from './flows.js';

/**
 * A TCP connection as the client socket's `tcp` events tell it, counted as
 * they stream by: the last ending (closed, timeout, reset, refused, unreachable,
 * gave-up) wins, else `complete`, else `established`, else `none` (a FIN sent or a
 * keep-alive probe is progress, not an ending);
 * retransmissions counted. Three fields, however long the connection lives.
 */
export class ConnectionTally {
  private outcome: ConnectionOutcome = 'none';
  private detail: string | undefined;
  private retransmits = 0;

  add(e: TcpEvent): void {
    if (e.action === 'retransmit') this.retransmits++;
    else if (e.action === 'mss' || e.action === 'close' || e.action === 'keepalive') return; // the connection goes on
    else if (e.action === 'established') {
      if (this.outcome === 'none') this.outcome = 'established';
    } else if (e.action === 'complete') {
      if (this.outcome === 'none' || this.outcome === 'established') this.outcome = 'complete';
    } else {
      this.outcome = e.action;
      this.detail = e.detail;
    }
  }

  result(): NonNullable<FlowResult['connection']> {
    return { outcome: this.outcome, retransmits: this.retransmits, ...(this.detail === undefined ? {} : { detail: this.detail }) };
  }
}

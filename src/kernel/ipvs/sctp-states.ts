import { SCTP_ABORT, SCTP_COOKIE_ACK, SCTP_COOKIE_ECHO, SCTP_INIT, SCTP_INIT_ACK } from '../../wire/sctp.js';

/**
 * IPVS's SCTP state tracking for a connection entry (ip_vs_proto_sctp.c),
 * reduced to the handshake podwalk sends: the client's INIT (INIT1), the
 * server's INIT ACK (INIT), the COOKIE ECHO (COOKIE_ECHOED), the COOKIE ACK
 * (ESTABLISHED), an ABORT (CLOSED). Timeouts are the kernel's defaults: 4 s
 * for INIT1, the maximum RTO plus one (61 s) for the handshake, 15 min
 * established, and the maximum RTO plus one for CLOSED too. A connection is scheduled only on an INIT
 * (sctp_conn_schedule; net.ipv4.vs.sloppy_sctp = 0).
 */
export type IpvsSctpState = 'S_INIT1' | 'S_INIT' | 'S_COOKIE_ECHOED' | 'S_ESTABLISHED' | 'S_CLOSED';

export const SCTP_TIMEOUT_S: Record<IpvsSctpState, number> = { S_INIT1: 4, S_INIT: 61, S_COOKIE_ECHOED: 61, S_ESTABLISHED: 900, S_CLOSED: 61 };

/** The state after a packet whose first chunk is `chunk`, from the client (`input`) or the real server (`output`). */
export function nextSctpIpvsState(s: IpvsSctpState | undefined, dir: 'input' | 'output', chunk: number | undefined): IpvsSctpState {
  if (chunk === SCTP_ABORT) return 'S_CLOSED';
  if (chunk === SCTP_INIT && dir === 'input') return 'S_INIT1';
  if (chunk === SCTP_INIT_ACK && dir === 'output') return 'S_INIT';
  if (chunk === SCTP_COOKIE_ECHO && dir === 'input') return 'S_COOKIE_ECHOED';
  if (chunk === SCTP_COOKIE_ACK && dir === 'output') return 'S_ESTABLISHED';
  return s ?? 'S_INIT1';
}

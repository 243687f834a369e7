import {
  SCTP_ABORT,
  SCTP_COOKIE_ACK,
  SCTP_COOKIE_ECHO,
  SCTP_ERROR,
  SCTP_HEARTBEAT,
  SCTP_HEARTBEAT_ACK,
  SCTP_INIT,
  SCTP_INIT_ACK,
  SCTP_SHUTDOWN,
  SCTP_SHUTDOWN_ACK,
  SCTP_SHUTDOWN_COMPLETE,
} from '../../wire/sctp.js';

/**
 * SCTP connection tracking (nf_conntrack_proto_sctp.c, Linux 6.x): the state
 * of the association as a middlebox sees it, advanced by the chunk types of
 * each packet. The names are the conntrack states `conntrack -L` prints;
 * they resemble an endpoint's but are the connection's: an INIT makes it
 * CLOSED (nothing answered yet), the INIT ACK COOKIE_WAIT, the COOKIE ECHO
 * COOKIE_ECHOED and the COOKIE ACK ESTABLISHED (and assured).
 *
 * Not modelled: the verification tag checks (section 8.5), the secondary
 * HEARTBEAT_SENT entries of multi-homed paths, the refusal to renew the
 * timeout on a repeated INIT.
 */
export type SctpCtState = 'CLOSED' | 'COOKIE_WAIT' | 'COOKIE_ECHOED' | 'ESTABLISHED' | 'SHUTDOWN_SENT' | 'SHUTDOWN_RECD' | 'SHUTDOWN_ACK_SENT' | 'HEARTBEAT_SENT';

/** nf_conntrack_sctp_timeout_* defaults, seconds (ESTABLISHED is 210 s since Linux 6.3, 5 days before). */
export const SCTP_CT_TIMEOUTS: Readonly<Record<SctpCtState, number>> = {
  CLOSED: 10,
  COOKIE_WAIT: 3,
  COOKIE_ECHOED: 3,
  ESTABLISHED: 210,
  SHUTDOWN_SENT: 3,
  SHUTDOWN_RECD: 3,
  SHUTDOWN_ACK_SENT: 3,
  HEARTBEAT_SENT: 30,
};

type S = SctpCtState | 'NONE' | 'INVALID';
const COLS: readonly (SctpCtState | 'NONE')[] = ['NONE', 'CLOSED', 'COOKIE_WAIT', 'COOKIE_ECHOED', 'ESTABLISHED', 'SHUTDOWN_SENT', 'SHUTDOWN_RECD', 'SHUTDOWN_ACK_SENT', 'HEARTBEAT_SENT'];
const ROWS = [SCTP_INIT, SCTP_INIT_ACK, SCTP_ABORT, SCTP_SHUTDOWN, SCTP_SHUTDOWN_ACK, SCTP_ERROR, SCTP_COOKIE_ECHO, SCTP_COOKIE_ACK, SCTP_SHUTDOWN_COMPLETE, SCTP_HEARTBEAT, SCTP_HEARTBEAT_ACK];

const NO = 'NONE', CL = 'CLOSED', CW = 'COOKIE_WAIT', CE = 'COOKIE_ECHOED', ES = 'ESTABLISHED', SS = 'SHUTDOWN_SENT', SR = 'SHUTDOWN_RECD', SA = 'SHUTDOWN_ACK_SENT', HS = 'HEARTBEAT_SENT', IV = 'INVALID';
void NO;

/** sctp_conntracks[dir][chunk][state], one row per chunk type in ROWS order, columns in COLS order. */
const TABLE: readonly (readonly (readonly S[])[])[] = [
  [
    /* init          */ [CL, CL, CW, CE, ES, CL, CL, SA, CW],
    /* init_ack      */ [CL, CL, CW, CE, ES, SS, SR, SA, CL],
    /* abort         */ [CL, CL, CL, CL, CL, CL, CL, CL, CL],
    /* shutdown      */ [CL, CL, CW, CE, SS, SS, SR, SA, CL],
    /* shutdown_ack  */ [SA, CL, CW, CE, ES, SA, SA, SA, SA],
    /* error         */ [CL, CL, CW, CE, ES, SS, SR, SA, CL],
    /* cookie_echo   */ [CL, CL, CE, CE, ES, SS, SR, SA, CL],
    /* cookie_ack    */ [CL, CL, CW, ES, ES, SS, SR, SA, CL],
    /* shutdown_comp */ [CL, CL, CW, CE, ES, SS, SR, CL, CL],
    /* heartbeat     */ [HS, CL, CW, CE, ES, SS, SR, SA, HS],
    /* heartbeat_ack */ [CL, CL, CW, CE, ES, SS, SR, SA, HS],
  ],
  [
    /* init          */ [IV, CL, CW, CE, ES, SS, SR, SA, IV],
    /* init_ack      */ [IV, CW, CW, CE, ES, SS, SR, SA, IV],
    /* abort         */ [IV, CL, CL, CL, CL, CL, CL, CL, IV],
    /* shutdown      */ [IV, CL, CW, CE, SR, SS, SR, SA, IV],
    /* shutdown_ack  */ [IV, CL, CW, CE, ES, SA, SA, SA, IV],
    /* error         */ [IV, CL, CW, CL, ES, SS, SR, SA, IV],
    /* cookie_echo   */ [IV, CL, CE, CE, ES, SS, SR, SA, IV],
    /* cookie_ack    */ [IV, CL, CW, ES, ES, SS, SR, SA, IV],
    /* shutdown_comp */ [IV, CL, CW, CE, ES, SS, SR, CL, IV],
    /* heartbeat     */ [IV, CL, CW, CE, ES, SS, SR, SA, HS],
    /* heartbeat_ack */ [IV, CL, CW, CE, ES, SS, SR, SA, ES],
  ],
];

/** Bit n set: the packet holds a chunk of type n (types 0..31; what do_basic_checks' map records). */
export function sctpChunkMask(types: readonly number[]): number {
  let m = 0;
  for (const t of types) if (t < 32) m |= 1 << t;
  return m >>> 0;
}

/**
 * A packet that would open a new entry: INIT, or other chunks a middlebox
 * may pick up; one holding ABORT, SHUTDOWN COMPLETE or COOKIE ACK is
 * out of the blue and INVALID (section 8.4), as is an empty one.
 */
export function sctpNewInvalid(mask: number, chunkCount: number): string | undefined {
  if (chunkCount === 0) return 'SCTP packet without chunks';
  if (mask & ((1 << SCTP_ABORT) | (1 << SCTP_SHUTDOWN_COMPLETE) | (1 << SCTP_COOKIE_ACK))) return 'out-of-the-blue ABORT, SHUTDOWN COMPLETE or COOKIE ACK';
  return undefined;
}

/** The state after a packet in direction `dir` with the chunk types in `mask` (DATA, SACK and the rest leave it as it is). */
export function nextSctpState(state: SctpCtState | undefined, dir: 0 | 1, mask: number): SctpCtState | 'INVALID' {
  let s: S = state ?? 'NONE';
  ROWS.forEach((type, row) => {
    if (s === 'INVALID' || !(mask & (1 << type))) return;
    s = TABLE[dir]![row]![COLS.indexOf(s as SctpCtState | 'NONE')]!;
  });
  if (s === 'NONE') return 'CLOSED';
  return s;
}

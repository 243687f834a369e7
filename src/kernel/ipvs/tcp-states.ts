import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../../wire/tcp.js';

/**
 * IPVS's own TCP state tracking for a connection entry (ip_vs_proto_tcp.c),
 * separate from conntrack's: it decides the entry's timeout and whether it
 * counts as an active or an inactive connection of its real server (what
 * `ipvsadm -Ln` shows and lc/wlc/sed/nq schedule by).
 */

export type IpvsTcpState = 'NONE' | 'ESTABLISHED' | 'SYN_SENT' | 'SYN_RECV' | 'FIN_WAIT' | 'TIME_WAIT' | 'CLOSE' | 'CLOSE_WAIT' | 'LAST_ACK' | 'LISTEN' | 'SYNACK';

/** Default timeouts in seconds (`ipvsadm -L --timeout` shows the tcp/tcpfin/udp ones). */
export const TCP_TIMEOUT_S: Record<IpvsTcpState, number> = {
  NONE: 2,
  ESTABLISHED: 900,
  SYN_SENT: 120,
  SYN_RECV: 60,
  FIN_WAIT: 120,
  TIME_WAIT: 120,
  CLOSE: 10,
  CLOSE_WAIT: 60,
  LAST_ACK: 30,
  LISTEN: 120,
  SYNACK: 120,
};

/**
 * States that count as active connections. Since Linux 4.8 the handshake
 * states count too (a burst of new connections must weigh on lc), not only
 * ESTABLISHED.
 */
const ACTIVE = new Set<IpvsTcpState>(['ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'SYNACK']);

export function isActive(s: IpvsTcpState): boolean {
  return ACTIVE.has(s);
}

const ORDER: IpvsTcpState[] = ['NONE', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'SYNACK'];

// Abbreviations for the transition rows below, one column per state in ORDER (no transition leads to NONE or SYNACK).
const [, ES, SS, SR, FW, TW, CL, CW, LA, LI] = ORDER as [IpvsTcpState, IpvsTcpState, IpvsTcpState, IpvsTcpState, IpvsTcpState, IpvsTcpState, IpvsTcpState, IpvsTcpState, IpvsTcpState, IpvsTcpState];

type Row = readonly IpvsTcpState[];
type Flag = 'syn' | 'fin' | 'ack' | 'rst';

/**
 * The kernel's default (not secure_tcp) table. `input`: client → real server
 * (ip_vs_in); `output`: real server → client (ip_vs_out). Masq forwarding sees
 * both directions, so the input-only table is never used.
 */
const TABLE: Record<'input' | 'output', Record<Flag, Row>> = {
  input: {
    syn: [SR, ES, ES, SR, SR, SR, SR, SR, SR, SR, SR],
    fin: [CL, CW, SS, TW, TW, TW, CL, CW, LA, LI, TW],
    ack: [ES, ES, SS, ES, FW, TW, CL, CW, CL, LI, ES],
    rst: [CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, SR],
  },
  output: {
    syn: [SS, ES, SS, SR, SS, SS, SS, SS, SS, LI, SR],
    fin: [TW, FW, SS, TW, FW, TW, CL, TW, LA, LI, TW],
    ack: [ES, ES, SS, ES, FW, TW, CL, CW, LA, ES, ES],
    rst: [CL, CL, SS, CL, CL, TW, CL, CL, CL, CL, CL],
  },
};

/** tcp_state_idx: RST wins, then SYN, FIN, ACK; a segment with none of them leaves the state at CLOSE. */
function flagOf(flags: number): Flag | undefined {
  if (flags & TCP_RST) return 'rst';
  if (flags & TCP_SYN) return 'syn';
  if (flags & TCP_FIN) return 'fin';
  if (flags & TCP_ACK) return 'ack';
  return undefined;
}

/** set_tcp_state: the entry's next state after a segment with `flags` in `dir`. */
export function nextTcpState(state: IpvsTcpState, dir: 'input' | 'output', flags: number): IpvsTcpState {
  const f = flagOf(flags);
  if (!f) return 'CLOSE';
  return TABLE[dir][f][ORDER.indexOf(state)]!;
}

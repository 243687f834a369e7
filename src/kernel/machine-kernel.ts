import { NatPortKernel } from './conntrack/nat-port.js';

/**
 * The kernel a machine runs, as far as its network namespaces share state: a
 * node and every pod on it are namespaces of one kernel, so what a module
 * keeps in global variables (nf_nat's port rovers) and what the release
 * decides are the same for all of them; an external host or the gateway has
 * its own.
 */
export class MachineKernel {
  readonly natPorts = new NatPortKernel();
  /**
   * net.ipv4.tcp_syn_linear_timeouts as the release sets it: from Linux 6.5 an
   * unanswered SYN is resent this many times at the initial RTO before the
   * timeout doubles, on top of tcp_syn_retries (0 before 6.5: no such sysctl).
   */
  synLinearTimeouts = 4;
  /**
   * Whether `nft list` shows `timeout T` on an element the packet path added
   * (`update @set`, nft_dynset) with the set's own timeout. Before Linux 6.12
   * such an element carried a timeout extension of its own and
   * nf_tables_fill_setelem sent it; from 6.12 (commit 4c5daea9af4f, "consolidate
   * timeout extension for elements") the timeout is sent only when it differs
   * from the set's, so the element lists `expires` alone. An element `nft add
   * element` gave the set's timeout lists no `timeout` on either.
   */
  nftDynsetTimeoutListed = false;
}

/** nftDynsetTimeoutListed as a release has it: before 6.12 only. */
export function nftDynsetTimeoutListedFor(major: number, minor: number): boolean {
  return major < 6 || (major === 6 && minor < 12);
}

/** tcp_syn_linear_timeouts as a release starts with: 4 from Linux 6.5 (commit ccce324dabfe), before it none. */
export function synLinearTimeoutsFor(major: number, minor: number): number {
  return major > 6 || (major === 6 && minor >= 5) ? 4 : 0;
}

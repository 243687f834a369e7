/**
 * A process-wide counter bumped together with every generation the flow
 * table's replays check (routes, link states, iptables rule sets, ipsets,
 * nftables commits, IPVS's table, sysctls: flowtable.ts `valid`). While it is
 * what it was at an entry's last full check, none of them has changed, so a
 * replay need not compare them one by one. A change anywhere (another
 * namespace, another simulation in the process) costs each entry one full
 * check, never a wrong answer.
 */
export const stateEpoch = { n: 0 };

/**
 * Protocol names as iptables-save prints `-p`: xtables' own table first
 * (xtables_chain_protos), then the usual /etc/protocols names; other numbers
 * stay numeric.
 */
const NAMES: Record<number, string> = { 0: 'all', 1: 'icmp', 2: 'igmp', 4: 'ipencap', 6: 'tcp', 17: 'udp', 41: 'ipv6', 47: 'gre', 50: 'esp', 51: 'ah', 58: 'icmpv6', 89: 'ospf', 103: 'pim', 112: 'vrrp', 132: 'sctp', 135: 'mh', 136: 'udplite' };
const NUMBERS: Record<string, number> = Object.fromEntries(Object.entries(NAMES).map(([n, name]) => [name, Number(n)]));

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_SCTP = 132;

/** `-p` argument -> protocol number (0 = all), or undefined. */
export function parseProto(s: string): number | undefined {
  const lower = s.toLowerCase();
  const named = NUMBERS[lower];
  if (named !== undefined) return named;
  if (!/^[0-9]{1,3}$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 255 ? n : undefined;
}

export function protoName(n: number): string {
  return NAMES[n] ?? String(n);
}

/** Protocols whose ports NAT targets, multiport and ipset port dimensions understand. */
export function hasPorts(n: number): boolean {
  return n === IPPROTO_TCP || n === IPPROTO_UDP || n === IPPROTO_SCTP || n === 136 || n === 33;
}

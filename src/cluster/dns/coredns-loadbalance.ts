import type { Rng } from '../../engine/rng.js';
import { DNS_A, DNS_AAAA, DNS_CNAME, type DnsRecord } from '../../wire/dns.js';

/** MX (RFC 1035): the plugin shuffles these too; the kubernetes plugin never answers with one. */
const DNS_MX = 15;

/**
 * CoreDNS's `loadbalance` plugin (round_robin, in kubeadm's Corefile): in
 * every NOERROR answer the A/AAAA records, and the MX records, are put in a
 * new random order, so clients that take the first address spread over a
 * headless Service's endpoints. A section of only A (or only AAAA) records is
 * shuffled in place; a mixed one comes out as CNAMEs, other records, the
 * shuffled addresses, the shuffled MX records. `draw` stands for dns.Id()
 * (a random 16-bit number), drawn from a seeded stream of the server's own.
 */
export function roundRobin(records: readonly DnsRecord[], rng: Rng): DnsRecord[] {
  if (records.length <= 1) return [...records];
  const first = records[0]!.type;
  if ((first === DNS_A || first === DNS_AAAA) && records.every((r) => r.type === first)) return shuffled([...records], rng);
  const cname = records.filter((r) => r.type === DNS_CNAME);
  const address = records.filter((r) => r.type === DNS_A || r.type === DNS_AAAA);
  const mx = records.filter((r) => r.type === DNS_MX);
  const rest = records.filter((r) => r.type !== DNS_CNAME && r.type !== DNS_A && r.type !== DNS_AAAA && r.type !== DNS_MX);
  return [...cname, ...rest, ...shuffled(address, rng), ...shuffled(mx, rng)];
}

/** roundRobinShuffle: two records swap on an even draw; more are shuffled front to back, each slot from the ones left. */
function shuffled(records: DnsRecord[], rng: Rng): DnsRecord[] {
  const l = records.length;
  if (l === 2) {
    if (draw(rng) % 2 === 0) records.reverse();
  } else if (l > 2) {
    for (let j = 0; j < l; j++) {
      const p = j + (draw(rng) % (l - j));
      if (p !== j) [records[j], records[p]] = [records[p]!, records[j]!];
    }
  }
  return records;
}

const draw = (rng: Rng): number => rng.int(0, 0xffff);

import type { RejectWith } from '../netfilter/types.js';

/** An nftables verdict: in a rule, or as the data of a verdict map element. */
export type NftVerdict =
  | { kind: 'accept' | 'drop' | 'return' | 'continue' }
  | { kind: 'reject'; with: RejectWith }
  | { kind: 'jump' | 'goto'; chain: string };

const REJECT_ICMP: Record<string, RejectWith> = {
  'net-unreachable': 'icmp-net-unreachable',
  'host-unreachable': 'icmp-host-unreachable',
  'prot-unreachable': 'icmp-proto-unreachable',
  'port-unreachable': 'icmp-port-unreachable',
  'net-prohibited': 'icmp-net-prohibited',
  'host-prohibited': 'icmp-host-prohibited',
  'admin-prohibited': 'icmp-admin-prohibited',
};

/**
 * Read a verdict at `words[i]`; returns it and how many words it took, or
 * undefined when the word is not a verdict. `reject` alone is ICMP port
 * unreachable in the ip family, as in nft_reject_ipv4.
 */
export function readVerdict(words: readonly string[], i: number): { verdict: NftVerdict; used: number } | undefined {
  const w = words[i];
  switch (w) {
    case 'accept':
    case 'drop':
    case 'return':
    case 'continue':
      return { verdict: { kind: w }, used: 1 };
    case 'jump':
    case 'goto': {
      const chain = words[i + 1];
      if (chain === undefined || /^[{};,]$/.test(chain)) return undefined;
      return { verdict: { kind: w, chain }, used: 2 };
    }
    case 'reject': {
      if (words[i + 1] !== 'with') return { verdict: { kind: 'reject', with: 'icmp-port-unreachable' }, used: 1 };
      if (words[i + 2] === 'tcp' && words[i + 3] === 'reset') return { verdict: { kind: 'reject', with: 'tcp-reset' }, used: 4 };
      if ((words[i + 2] === 'icmp' || words[i + 2] === 'icmpx') && words[i + 3] === 'type') {
        const how = REJECT_ICMP[words[i + 4] ?? ''] ?? (words[i + 4] === 'no-route' ? 'icmp-net-unreachable' : undefined);
        if (how) return { verdict: { kind: 'reject', with: how }, used: 5 };
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

export function formatVerdict(v: NftVerdict): string {
  switch (v.kind) {
    case 'jump':
    case 'goto':
      return `${v.kind} ${v.chain}`;
    case 'reject':
      if (v.with === 'icmp-port-unreachable') return 'reject';
      if (v.with === 'tcp-reset') return 'reject with tcp reset';
      return `reject with icmp type ${v.with.replace(/^icmp-/, '').replace('proto-', 'prot-')}`;
    default:
      return v.kind;
  }
}

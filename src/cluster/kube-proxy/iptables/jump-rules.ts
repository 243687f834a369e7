import type { ProxierConfig } from '../config.js';
import { quoted } from './restore-text.js';
import {
  KUBE_EXTERNAL_SERVICES,
  KUBE_FIREWALL,
  KUBE_FORWARD,
  KUBE_NODEPORTS,
  KUBE_POSTROUTING,
  KUBE_PROXY_FIREWALL,
  KUBE_SERVICES,
  LOCALNET_BLOCK_RULE,
} from '../well-known.js';

/**
 * The rules that hook kube-proxy's chains into the built-in ones. kube-proxy
 * cannot write these with its iptables-restore (that would replace everything
 * else in PREROUTING, INPUT, ...), so on every full sync it checks each one
 * and inserts it at the top of the built-in chain if missing (`iptables -I`).
 * kubelet, which starts first, has already put `-j KUBE-FIREWALL` in INPUT and
 * OUTPUT the same way.
 */
export interface JumpRule {
  table: 'filter' | 'nat';
  /** The built-in chain holding the jump. */
  chain: 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';
  /** The chain jumped to. */
  target: string;
  /** Everything after `-A <chain>`, as iptables-save prints it. */
  args: string;
  /** Who installs it. */
  owner: 'kube-proxy' | 'kubelet';
}

interface JumpSpec {
  table: JumpRule['table'];
  target: string;
  chain: JumpRule['chain'];
  comment: string;
  newOnly: boolean;
}

/** Upstream's iptablesJumpChains, in the order kube-proxy ensures them. */
const KUBE_PROXY_JUMPS: readonly JumpSpec[] = [
  { table: 'filter', target: KUBE_EXTERNAL_SERVICES, chain: 'INPUT', comment: 'kubernetes externally-visible service portals', newOnly: true },
  { table: 'filter', target: KUBE_EXTERNAL_SERVICES, chain: 'FORWARD', comment: 'kubernetes externally-visible service portals', newOnly: true },
  { table: 'filter', target: KUBE_NODEPORTS, chain: 'INPUT', comment: 'kubernetes health check service ports', newOnly: false },
  { table: 'filter', target: KUBE_SERVICES, chain: 'FORWARD', comment: 'kubernetes service portals', newOnly: true },
  { table: 'filter', target: KUBE_SERVICES, chain: 'OUTPUT', comment: 'kubernetes service portals', newOnly: true },
  { table: 'filter', target: KUBE_FORWARD, chain: 'FORWARD', comment: 'kubernetes forwarding rules', newOnly: false },
  { table: 'filter', target: KUBE_PROXY_FIREWALL, chain: 'INPUT', comment: 'kubernetes load balancer firewall', newOnly: true },
  { table: 'filter', target: KUBE_PROXY_FIREWALL, chain: 'OUTPUT', comment: 'kubernetes load balancer firewall', newOnly: true },
  { table: 'filter', target: KUBE_PROXY_FIREWALL, chain: 'FORWARD', comment: 'kubernetes load balancer firewall', newOnly: true },
  { table: 'nat', target: KUBE_SERVICES, chain: 'OUTPUT', comment: 'kubernetes service portals', newOnly: false },
  { table: 'nat', target: KUBE_SERVICES, chain: 'PREROUTING', comment: 'kubernetes service portals', newOnly: false },
  { table: 'nat', target: KUBE_POSTROUTING, chain: 'POSTROUTING', comment: 'kubernetes postrouting rules', newOnly: false },
];

/** kubelet's jumps (kube-proxy ensures the same two; they already exist by then). */
const KUBELET_JUMPS: readonly JumpSpec[] = [
  { table: 'filter', target: KUBE_FIREWALL, chain: 'INPUT', comment: '', newOnly: false },
  { table: 'filter', target: KUBE_FIREWALL, chain: 'OUTPUT', comment: '', newOnly: false },
];

function argsOf(j: JumpSpec): string {
  const parts: string[] = [];
  // Only new connections: established service traffic was already decided by its first packet.
  if (j.newOnly) parts.push('-m', 'conntrack', '--ctstate', 'NEW');
  if (j.comment !== '') parts.push('-m', 'comment', '--comment', quoted(j.comment));
  parts.push('-j', j.target);
  return parts.join(' ');
}

/**
 * Every jump in the order it ends up in its built-in chain on a node where
 * kubelet started first and kube-proxy then did its first full sync: each
 * `-I` puts the rule above the ones inserted before it.
 */
export function jumpRuleList(): JumpRule[] {
  const inserted: JumpRule[] = [];
  const insert = (j: JumpSpec, owner: JumpRule['owner']): void => {
    const rule: JumpRule = { table: j.table, chain: j.chain, target: j.target, args: argsOf(j), owner };
    const exists = inserted.some((r) => r.table === rule.table && r.chain === rule.chain && r.args === rule.args);
    if (!exists) inserted.unshift(rule);
  };
  for (const j of KUBELET_JUMPS) insert(j, 'kubelet');
  for (const j of [...KUBE_PROXY_JUMPS, ...KUBELET_JUMPS]) insert(j, 'kube-proxy');
  return inserted;
}

const BUILTIN_ORDER: Record<JumpRule['table'], readonly JumpRule['chain'][]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
};

/**
 * iptables-restore text (for `--noflush`) that creates the chains jumped to,
 * fills kubelet's KUBE-FIREWALL, and appends the jumps in their final order
 * to otherwise empty built-in chains. Apply it before syncProxyRules' text,
 * as kube-proxy ensures its jumps before it restores: the chain lines here
 * flush the KUBE-* chains. Built-in chains are not declared, so their
 * policies are left alone. The config is accepted for symmetry with
 * syncProxyRules; the jumps do not depend on it (kubelet writes its
 * KUBE-FIREWALL rule whatever kube-proxy's localhostNodePorts is).
 */
export function jumpRules(_cfg?: ProxierConfig): string {
  const rules = jumpRuleList();
  let out = '';
  for (const table of ['filter', 'nat'] as const) {
    const mine = rules.filter((r) => r.table === table);
    const targets = [...new Set(mine.map((r) => r.target))].sort();
    const lines = [`*${table}`, ...targets.map((t) => `:${t} - [0:0]`)];
    for (const chain of BUILTIN_ORDER[table]) {
      for (const r of mine) if (r.chain === chain) lines.push(`-A ${chain} ${r.args}`);
    }
    if (table === 'filter') lines.push(['-A', KUBE_FIREWALL, ...LOCALNET_BLOCK_RULE].join(' '));
    lines.push('COMMIT');
    out += lines.join('\n') + '\n';
  }
  return out;
}

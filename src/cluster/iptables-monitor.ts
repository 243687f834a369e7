/**
 * pkg/util/iptables Monitor, as kubelet and kube-proxy's iptables mode run
 * it: it creates an empty "canary" chain in mangle, nat and filter, then polls
 * it; when a flush of the rules deletes it, the component writes all its
 * rules again. Only the chains are modelled (nothing here flushes a node's
 * iptables behind the components' backs): what `iptables-save` shows of it.
 */
export const CANARY_TABLES = ['mangle', 'nat', 'filter'] as const;

/** iptables-restore text (for `--noflush`) declaring the empty canary chain in each table; safe to apply again. */
export function canaryChains(chain: string, extra: { mangle?: readonly string[] } = {}): string {
  return CANARY_TABLES.map((t) => [`*${t}`, ...(t === 'mangle' ? (extra.mangle ?? []).map((c) => `:${c} - [0:0]`) : []), `:${chain} - [0:0]`, 'COMMIT', ''].join('\n')).join('');
}

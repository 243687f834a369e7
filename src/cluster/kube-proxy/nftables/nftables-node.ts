import { Netfilter } from '../../../kernel/netfilter/netfilter.js';
import type { NetNs } from '../../../kernel/netns.js';
import { Nftables } from '../../../kernel/nftables/index.js';
import { KUBE_PROXY_TABLE, planNftables, type NftablesPlan, type NftProxierConfig } from './nftables-proxier.js';
import type { ControlPlaneInput } from '../../spec.js';

/** kube-proxy's nftables mode on one node. */
export interface NftablesNode {
  nft: Nftables;
  /** The plan of the last sync. */
  plan(): NftablesPlan;
  /** The API objects of the last sync. */
  synced(): ControlPlaneInput;
  /** A full sync against new API objects, as one more `nft -f` transaction (see resyncText). */
  resync(cp: ControlPlaneInput): void;
}

/**
 * kube-proxy in nftables mode on one node: it writes no iptables rule at all;
 * its `ip kube-proxy` table goes in with one `nft -f` transaction. The node's
 * iptables stay empty but present (iptables-nft and legacy tables coexist with
 * nftables tables at their priorities; the NetworkPolicy agent still writes
 * iptables). The transaction is generated and loaded when the node's nftables
 * are first used, like iptables mode's deferred restore.
 */
export function programNftablesNode(ns: NetNs, config: NftProxierConfig, cp: ControlPlaneInput): NftablesNode {
  let current = cp;
  let plan: NftablesPlan | undefined;
  const get = (): NftablesPlan => (plan ??= planNftables(config, current.services, current.endpointSlices));
  const nft = new Nftables((n) => n.load(get().transaction, ns.world.sched.now));
  const hooks = ns.enableNetfilter(new Netfilter());
  hooks.attachNftables(nft);
  // Trace candidates: the endpoints the service-/local- chain that chose could have picked.
  let byChain: Map<string, string[]> | undefined;
  hooks.explainNat = (matched) => {
    byChain ??= new Map(get().ports.flatMap((p) => [...(p.clusterChain ? [[p.clusterChain, p.clusterEndpoints] as const] : []), ...(p.localChain ? [[p.localChain, p.localEndpoints] as const] : [])]));
    for (const m of matched) {
      const c = byChain.get(m.chain);
      if (c) return [...c];
    }
    return undefined;
  };
  return {
    nft,
    plan: get,
    synced: () => current,
    resync(next) {
      nft.materialize();
      current = next;
      plan = undefined;
      byChain = undefined;
      nft.load(resyncText(nft, get().transaction), ns.world.sched.now);
    },
  };
}

/**
 * A later full sync: the same transaction (it re-adds and flushes every chain
 * and map it uses, so they hold only the new rules and elements), plus the
 * clean-up of what the new state no longer uses: per-service chains are
 * flushed and deleted (upstream flushes them now and deletes them a second
 * later, once the kernel has let go of map elements that pointed at them; one
 * transaction does both here), stale affinity sets are deleted.
 */
function resyncText(nft: Nftables, transaction: string): string {
  const t = nft.table('ip', KUBE_PROXY_TABLE);
  if (!t) return transaction;
  const T = `ip ${KUBE_PROXY_TABLE}`;
  const chains = new Set([...transaction.matchAll(/^add chain ip kube-proxy (\S+)/gm)].map((m) => m[1]!));
  const sets = new Set([...transaction.matchAll(/^add set ip kube-proxy (\S+)/gm)].map((m) => m[1]!));
  const staleChains = [...t.chains.keys()].filter((c) => c.includes('/') && !chains.has(c));
  const staleSets = [...t.sets.keys()].filter((s) => s.startsWith('affinity-') && !sets.has(s));
  const cleanup = [...staleChains.map((c) => `flush chain ${T} ${c}`), ...staleChains.map((c) => `delete chain ${T} ${c}`), ...staleSets.map((s) => `delete set ${T} ${s}`)];
  return cleanup.length === 0 ? transaction : `${transaction}${cleanup.join('\n')}\n`;
}

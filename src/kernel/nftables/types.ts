import type { NatAction, NfEnv, NfPacket, RejectWith } from '../netfilter/types.js';

/**
 * The contract between the nftables model (tables, chains, sets and maps,
 * rules, `nft -f` and `nft list ruleset`) and the netfilter hooks. Like the
 * iptables engine it only decides; conntrack and the stack carry decisions out.
 * A packet is seen through the same NfPacket the iptables engine reads.
 */

/** Table families modelled: IPv4 (`ip`) and dual-stack (`inet`, IPv4 packets only here). */
export type NftFamily = 'ip' | 'inet';

/** Base chain types (`nft add chain ... { type T hook H priority P ; }`). */
export type NftChainType = 'filter' | 'nat' | 'route';

/** nftables hook names, lower case as nft writes them. */
export type NftHook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';

export type { NfEnv, NfPacket };

/** How a base chain walk ended. */
export interface NftTraversal {
  verdict: 'accept' | 'drop' | 'reject';
  rejectWith?: RejectWith;
  /** A `dnat`/`snat`/`masquerade` statement decided (nat chains only). */
  nat?: NatAction;
  /** Each rule whose statement or verdict was taken, as `<chain>: <rule as nft lists it>`. */
  rules: string[];
  /** Set and map elements that matched, as `@<name>: <element as nft lists it>` (anonymous ones as `{...}`). */
  elements: string[];
  /** The verdict is the chain's policy, not a rule's. */
  byPolicy: boolean;
  /** Rules evaluated. */
  evaluated: number;
  /** Set and map lookups made (hits and misses): the hash lookups that replace linear rule lists. */
  lookups: number;
  /** The walk's outcome is not a function of the packet and the committed ruleset alone (rule.ts WalkState.volatile). */
  volatile: boolean;
}

/** nftables in the kernel model: `nft -f` in, `nft list ruleset` out, base chains run by the netfilter hooks. */
export { Nftables, NftError, type NftChain, type NftTable, type HookedChain } from './ruleset.js';
export { walkBaseChain } from './walk.js';
export { listRuleset, dumpRuleset } from './list.js';
export type { NftTraversal, NftHook, NftFamily } from './types.js';

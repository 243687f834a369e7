import { canaryChains } from '../iptables-monitor.js';
import { KUBE_FIREWALL, LOCALNET_BLOCK_RULE } from '../kube-proxy/well-known.js';

/**
 * What kubelet writes into a node's iptables (pkg/kubelet/kubelet_network_linux.go,
 * Kubernetes 1.28 and later, where it no longer writes KUBE-MARK-MASQ and
 * friends): the empty KUBE-IPTABLES-HINT chain in mangle (its presence tells
 * other components whether the node uses iptables-legacy or iptables-nft),
 * the KUBE-FIREWALL chain with its martian-localnet rule, jumped to first
 * from INPUT and OUTPUT, and its Monitor canary KUBE-KUBELET-CANARY in mangle,
 * nat and filter. All of it in every proxy mode: kubelet runs whatever
 * kube-proxy does.
 */
export const KUBE_IPTABLES_HINT = 'KUBE-IPTABLES-HINT';
export const KUBE_KUBELET_CANARY = 'KUBE-KUBELET-CANARY';

/** iptables-restore text (for `--noflush`) declaring kubelet's empty chains: the hint and its canaries. */
export function kubeletChains(): string {
  return canaryChains(KUBE_KUBELET_CANARY, { mangle: [KUBE_IPTABLES_HINT] });
}

/**
 * kubelet's KUBE-FIREWALL for a node whose kube-proxy does not write its own
 * copy (ipvs and nftables modes): the chain and its one rule, and the jumps
 * it prepends to INPUT and OUTPUT (`-I ... 1`: apply this before the proxy's
 * own prepended jumps, as kubelet starts first). The iptables mode's jump
 * rules (kube-proxy/iptables/jump-rules.ts) already hold all of it.
 */
export function kubeletFirewall(): string {
  return ['*filter', `:${KUBE_FIREWALL} - [0:0]`, `-A ${KUBE_FIREWALL} ${LOCALNET_BLOCK_RULE.join(' ')}`, `-I OUTPUT 1 -j ${KUBE_FIREWALL}`, `-I INPUT 1 -j ${KUBE_FIREWALL}`, 'COMMIT', ''].join('\n');
}

/** Everything kubelet writes, for a node whose kube-proxy writes no KUBE-FIREWALL of its own (ipvs, nftables). */
export function kubeletRules(): string {
  return kubeletChains() + kubeletFirewall();
}

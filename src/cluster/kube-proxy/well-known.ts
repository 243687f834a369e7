/** Chains kube-proxy owns in every table it writes, and kubelet's KUBE-FIREWALL. */
export const KUBE_SERVICES = 'KUBE-SERVICES';
export const KUBE_EXTERNAL_SERVICES = 'KUBE-EXTERNAL-SERVICES';
export const KUBE_NODEPORTS = 'KUBE-NODEPORTS';
export const KUBE_POSTROUTING = 'KUBE-POSTROUTING';
export const KUBE_MARK_MASQ = 'KUBE-MARK-MASQ';
export const KUBE_FORWARD = 'KUBE-FORWARD';
export const KUBE_PROXY_FIREWALL = 'KUBE-PROXY-FIREWALL';
/** iptables mode: the Monitor canary (an empty chain in mangle, nat and filter; its loss makes kube-proxy resync). */
export const KUBE_PROXY_CANARY = 'KUBE-PROXY-CANARY';
/** Created by kubelet; kube-proxy keeps an identical copy of its one rule. */
export const KUBE_FIREWALL = 'KUBE-FIREWALL';

/**
 * kubelet's (and kube-proxy's) guard against martian 127.0.0.0/8 packets that
 * `route_localnet=1` would otherwise let in from outside the node. Written as
 * kube-proxy writes it; kubelet spells `-d`/`-s` as `--dst`/`--src`, which is
 * the same rule once in the kernel.
 */
export const LOCALNET_BLOCK_RULE: readonly string[] = [
  '-m',
  'comment',
  '--comment',
  '"block incoming localnet connections"',
  '-d',
  '127.0.0.0/8',
  '!',
  '-s',
  '127.0.0.0/8',
  '-m',
  'conntrack',
  '!',
  '--ctstate',
  'RELATED,ESTABLISHED,DNAT',
  '-j',
  'DROP',
];

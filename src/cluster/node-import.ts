import { Dummy } from '../kernel/devices/dummy.js';
import { importIptablesSave } from '../kernel/netfilter/import.js';
import { Ipvs } from '../kernel/ipvs/ipvs.js';
import { restoreIpvs } from '../kernel/ipvs/ipvsadm-dump.js';
import { Netfilter } from '../kernel/netfilter/netfilter.js';
import type { NetNs } from '../kernel/netns.js';
import { parseRouteDump, replaceMainRoutes } from '../kernel/ipv4/route-dump.js';
import { formatIpv4 } from '../wire/addr.js';
import type { NodeImportInput } from './spec.js';

/** The device kube-proxy's ipvs mode binds Service addresses to. */
export const KUBE_IPVS_DEV = 'kube-ipvs0';

/**
 * A node's iptables from its `iptables-save` (and ipsets from `ipset save`,
 * loaded first: rules may only name sets that exist), as iptables-restore
 * and ipset restore would load them on that node.
 */
export function importedNetfilter(imp: NodeImportInput & { iptablesSave: string }, nf = new Netfilter()): Netfilter {
  if (imp.ipsetSave) nf.ipsets.restore(imp.ipsetSave);
  importIptablesSave(nf, imp.iptablesSave);
  return nf;
}

/**
 * The node's IPVS table from `ipvsadm -Sn`. kube-proxy binds every virtual
 * service address that is not already the node's to the kube-ipvs0 dummy
 * (so the kernel delivers those packets locally, where IPVS takes them);
 * the snapshot does not say which addresses were bound, so podwalk binds
 * them the way kube-proxy does.
 */
export function importIpvs(ns: NetNs, text: string, ipvs = new Ipvs(ns)): Ipvs {
  restoreIpvs(ipvs, text);
  const dummy = ns.device(KUBE_IPVS_DEV) ?? ns.attach(new Dummy(ns, KUBE_IPVS_DEV, ns.randomMac(), 1500, ns.allocIfindex()));
  const bound = new Set<number>();
  for (const v of ipvs.virtualServices()) {
    if (bound.has(v.vip) || ns.isLocal(v.vip)) continue;
    bound.add(v.vip);
    ns.addAddress(dummy, `${formatIpv4(v.vip)}/32`, { noPrefixRoute: true });
  }
  ns.ipvs = ipvs;
  return ipvs;
}

/** The node's main routing table from `ip route`. */
export function importRoutes(ns: NetNs, text: string): void {
  replaceMainRoutes(ns, parseRouteDump(text));
}

import { Dummy } from '../../../kernel/devices/dummy.js';
import { Ipvs } from '../../../kernel/ipvs/ipvs.js';
import { Netfilter } from '../../../kernel/netfilter/netfilter.js';
import type { NetNs } from '../../../kernel/netns.js';
import { formatIpv4, parseIpv4 } from '../../../wire/addr.js';
import { legacyVirtualServers, planIpvs, type IpvsPlan } from './ipvs-proxier.js';
import type { ProxierConfig } from '../index.js';
import { importedNetfilter, importIpvs, KUBE_IPVS_DEV } from '../../node-import.js';
import { applyIpsets } from './ipvs-ipsets.js';
import { IpvsSync } from './ipvs-sync.js';
import { kubeletRules } from '../../kubelet/iptables.js';
import type { ControlPlaneInput, IpvsProxyInput, NodeImportInput } from '../../spec.js';

/**
 * kube-proxy in ipvs mode on one node, done the way it does it: create the
 * kube-ipvs0 dummy and bind every Service IP to it (so they are local
 * addresses), add the virtual services and real servers, fill the ipsets with
 * `ipset restore`, then ensure the jump rules and load its chains with
 * `iptables-restore --noflush`. Configured IPVS timeouts are set first
 * (`ipvsadm --set`, as kube-proxy does at start when any is non-zero).
 * A node that imports saved state keeps it instead of the matching part.
 */
export function programIpvsNode(ns: NetNs, config: ProxierConfig, cp: ControlPlaneInput, settings?: IpvsProxyInput, imported: NodeImportInput = {}): { plan: IpvsPlan; sync?: IpvsSync } {
  const plan = planIpvs(config, cp.services, cp.endpointSlices, settings?.scheduler);
  // --ipvs-strict-arp: the addresses on kube-ipvs0 must not be answered for on the node's other devices
  // (every node holds every VIP), nor announced as ARP senders (setSysctl net/ipv4/conf/all/arp_ignore, arp_announce).
  if (settings?.strictARP) {
    ns.sysctl.arpIgnore = 1;
    ns.sysctl.arpAnnounce = 2;
  }
  const ipvs = new Ipvs(ns);
  if (settings) ipvs.setTimeouts({ tcp: settings.tcpTimeoutS, tcpfin: settings.tcpFinTimeoutS, udp: settings.udpTimeoutS });
  // Each imported part replaces what kube-proxy would write there (docs/node-import.md).
  if (imported.ipvsadm) importIpvs(ns, imported.ipvsadm, ipvs);
  else {
    const dummy = ns.attach(new Dummy(ns, KUBE_IPVS_DEV, ns.randomMac(), 1500, ns.allocIfindex()));
    for (const ip of plan.bound) ns.addAddress(dummy, `${ip}/32`, { noPrefixRoute: true });
    // cleanLegacyService: virtual servers kube-proxy did not create go, unless in --ipvs-exclude-cidrs.
    const existing = ipvs.virtualServices().map((v) => ({ protocol: v.protocol, vip: formatIpv4(v.vip), port: v.port }));
    for (const v of legacyVirtualServers(existing, plan.virtualServers, settings?.excludeCIDRs ?? [])) ipvs.deleteService(v.protocol, parseIpv4(v.vip)!, v.port);
    for (const v of plan.virtualServers) {
      const vip = parseIpv4(v.vip)!;
      const svc = ipvs.service(v.protocol, vip, v.port) ?? ipvs.addService({ protocol: v.protocol, vip, port: v.port, scheduler: v.scheduler, ...(v.persistentSec === undefined ? {} : { persistentSec: v.persistentSec }) });
      // syncEndpoint: the virtual service gets exactly these real servers. Two Services that claim the same
      // IP:port (an external IP both list) share one virtual service, and the later one's endpoints replace the
      // earlier's (nothing is connected yet, so they go at once).
      const want = new Set(v.dests.map((d) => `${d.ip}:${d.port}`));
      for (const d of [...svc.dests]) if (!want.has(`${formatIpv4(d.ip)}:${d.port}`)) ipvs.deleteDest(svc, d);
      for (const d of v.dests) if (!ipvs.dest(svc, parseIpv4(d.ip)!, d.port)) ipvs.addDest(svc, parseIpv4(d.ip)!, d.port);
    }
    ns.ipvs = ipvs;
  }
  let rules: Netfilter;
  if (imported.iptablesSave) rules = importedNetfilter({ ...imported, iptablesSave: imported.iptablesSave, ipsetSave: imported.ipsetSave ?? plan.ipsets });
  else {
    rules = new Netfilter();
    if (imported.ipsetSave) rules.ipsets.restore(imported.ipsetSave);
    else applyIpsets(ns, rules.ipsets, plan.ipsets);
    // kubelet started first: its chains and KUBE-FIREWALL jumps, which kube-proxy's prepended jumps then go above.
    rules.restore(kubeletRules(), { noflush: true });
    rules.restore(plan.jumps, { noflush: true });
    rules.restore(plan.rules, { noflush: true });
  }
  ns.enableNetfilter(rules);
  // Later syncs (EndpointSlice changes) edit what kube-proxy wrote; a node whose IPVS table or rules were imported stays as saved.
  if (imported.ipvsadm || imported.iptablesSave) return { plan };
  return { plan, sync: new IpvsSync(ns, ipvs, rules, config, settings) };
}

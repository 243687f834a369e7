import { formatIpv4 } from '../wire/addr.js';
import { Bridge } from './devices/bridge.js';
import { Veth } from './devices/veth.js';
import { VxlanDevice } from './devices/vxlan.js';
import { formatEntry } from './conntrack/conntrack.js';
import { showRouteLine, sortForShow } from './ipv4/fib.js';
import type { NetNs } from './netns.js';
import { saveIpvs } from './ipvs/ipvsadm-dump.js';
import { PmtuCache } from './ipv4/pmtu.js';
import { listRuleset } from './nftables/index.js';

/** `ip route show` (main table), then `ip route show table local` when asked. */
export function showRoutes(ns: NetNs, table: 'main' | 'local' = 'main'): string {
  return sortForShow(ns.fib.list(table)).map(showRouteLine).join('\n');
}

/**
 * `ip route show cache`: the learned path MTUs (route exceptions), each under
 * the route it refines, as iproute2 prints them (`cache expires 599sec mtu 1450`).
 */
export function showRouteCache(ns: NetNs): string {
  const now = ns.world.sched.now;
  return ns.pmtu
    .list(now)
    .map((e) => {
      const route = ns.fib.lookup(e.dst);
      const via = route?.via !== undefined ? ` via ${formatIpv4(route.via)}` : '';
      return `${formatIpv4(e.dst)}${via} dev ${route?.dev?.name ?? '?'}\n    ${PmtuCache.describe(e, now)}`;
    })
    .join('\n');
}

/** `ip neigh show`. */
export function showNeigh(ns: NetNs): string {
  return ns.neigh
    .list()
    .map((e) => {
      const lladdr = e.mac && e.state !== 'INCOMPLETE' && e.state !== 'FAILED' ? ` lladdr ${e.mac}` : '';
      // iproute2 ends each neighbour line with a blank.
      return `${formatIpv4(e.ip)} dev ${e.dev.name}${lladdr} ${e.state} `;
    })
    .join('\n');
}

/** `bridge fdb show` for every bridge (and VXLAN device's own FDB) in the namespace. */
export function showFdb(ns: NetNs): string {
  const lines: string[] = [];
  for (const dev of ns.devices.values()) {
    if (dev instanceof VxlanDevice) {
      for (const e of dev.fdbEntries()) lines.push(`${e.mac} dev ${dev.name} dst ${formatIpv4(e.dst)} self permanent`);
      continue;
    }
    if (!(dev instanceof Bridge)) continue;
    lines.push(`${dev.mac} dev ${dev.name} master ${dev.name} permanent`);
    for (const e of dev.fdbEntries()) {
      const port = e.port?.name ?? dev.name;
      // `bridge fdb` ends a learned entry's line with a blank (a permanent one ends in the word).
      lines.push(`${e.mac} dev ${port} master ${dev.name}${e.local ? ' permanent' : ' '}`);
    }
  }
  return lines.join('\n');
}

/**
 * `ip addr show` as iproute2 6.1 prints it: flags, mtu, qdisc (noqueue for
 * virtual devices, fq_codel for a node's NIC and a tun device, noop for a
 * device never brought up), master, state (UNKNOWN for loopback, VXLAN, tun
 * and dummy, which report no carrier state), group and qlen; a veth's peer
 * ifindex (`@ifN`) and the peer namespace's id; each address's lifetimes. A
 * node's NIC without link (a node step) is up without carrier: NO-CARRIER,
 * state DOWN, as a pulled cable leaves it.
 */
export function showAddr(ns: NetNs): string {
  const lines: string[] = [];
  const peerIds = new Map<NetNs, number>();
  for (const dev of ns.devices.values()) {
    const up = dev.up;
    const flags =
      dev.kind === 'loopback'
        ? `LOOPBACK${up ? ',UP,LOWER_UP' : ''}`
        : dev.kind === 'tun'
          ? `POINTOPOINT,MULTICAST,NOARP${up ? ',UP,LOWER_UP' : ''}`
          : dev.kind === 'dummy'
            ? `BROADCAST,NOARP${up ? ',UP,LOWER_UP' : ''}` // dummy_setup: NOARP, no MULTICAST
            : dev.adminUp && !dev.carrier
              ? 'NO-CARRIER,BROADCAST,MULTICAST,UP' // a NIC that lost its link (a node step): still administratively up
              : `BROADCAST,MULTICAST${up ? ',UP,LOWER_UP' : ''}`;
    const qdisc = !up && dev.kind === 'dummy' ? 'noop' : dev.kind === 'uplink' || dev.kind === 'tun' ? 'fq_codel' : 'noqueue';
    const noCarrierState = dev.kind === 'loopback' || dev.kind === 'vxlan' || dev.kind === 'tun' || dev.kind === 'dummy';
    const state = up ? (noCarrierState ? 'UNKNOWN' : 'UP') : 'DOWN';
    const master = dev.master instanceof Bridge ? ` master ${dev.master.name}` : '';
    const peer = dev instanceof Veth ? dev.peer : undefined;
    const name = peer ? `${dev.name}@if${peer.ifindex}` : dev.name;
    lines.push(`${dev.ifindex}: ${name}: <${flags}> mtu ${dev.mtu} qdisc ${qdisc}${master} state ${state} group default qlen ${dev.kind === 'tun' ? 500 : 1000}`);
    if (dev.kind === 'loopback') lines.push('    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00');
    else if (dev.kind === 'tun') lines.push('    link/none ');
    else {
      // A peer in another namespace is named by the id this namespace gave it (peernet2id: 0, 1, ... as first seen).
      let netnsId = '';
      if (peer && peer.ns !== ns) {
        if (!peerIds.has(peer.ns)) peerIds.set(peer.ns, peerIds.size);
        netnsId = ` link-netnsid ${peerIds.get(peer.ns)}`;
      }
      lines.push(`    link/ether ${dev.mac} brd ff:ff:ff:ff:ff:ff${netnsId}`);
    }
    for (const a of ns.addrs.filter((x) => x.dev === dev)) {
      const scope = dev.kind === 'loopback' ? 'host' : 'global';
      const brd = a.broadcast === undefined ? '' : ` brd ${formatIpv4(a.broadcast)}`;
      lines.push(`    inet ${formatIpv4(a.ip)}/${a.prefix}${brd} scope ${scope} ${dev.name}`);
      lines.push('       valid_lft forever preferred_lft forever');
    }
  }
  return lines.join('\n');
}

/** `iptables-save [-c]`: empty built-in filter chains when nothing loaded rules here. */
export function showIptables(ns: NetNs, counters = false): string {
  const saved = ns.nf?.engine.save({ counters });
  if (saved) return saved.trimEnd();
  return '# Generated by podwalk\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n# Completed';
}

/** `conntrack -L`'s standard output: live entries, oldest first, with seconds left as of now. */
export function showConntrack(ns: NetNs): string {
  const now = ns.world.sched.now;
  const ct = ns.nf?.conntrack;
  return (ct ? ct.list(now).map((e) => formatEntry(e, now)) : []).join('\n');
}

/** The count `conntrack -L` writes to standard error after the entries. */
export function conntrackSummary(ns: NetNs): string {
  const n = ns.nf?.conntrack.list(ns.world.sched.now).length ?? 0;
  return `conntrack v1.4.7 (conntrack-tools): ${n} flow entries have been shown.`;
}

/** `ipvsadm -Ln`, `ipvsadm -L --timeout`, then `ipvsadm -Lnc`: virtual services, real servers, timeouts and connection entries. */
export function showIpvs(ns: NetNs): string {
  if (!ns.ipvs) return '';
  return `${ns.ipvs.list()}\n\n${ns.ipvs.listTimeouts()}\n\n${ns.ipvs.listConns()}`;
}

/**
 * What `show … nft` leaves out, said on standard error: on a real node with
 * iptables-nft (Debian's default, kube-proxy's iptables-wrapper) `nft list
 * ruleset` also lists the tables iptables made (`table ip filter`, `table ip
 * nat`, each with a "managed by iptables-nft" warning); podwalk lists only
 * native nftables tables (kube-proxy's in nftables mode) and shows the
 * iptables rules as `iptables-save` prints them. Undefined: no iptables rule
 * here, nothing left out.
 */
export function nftNote(ns: NetNs, name: string): string | undefined {
  const saved = ns.nf?.engine.save({ counters: false }) ?? '';
  const tables = [...saved.matchAll(/^\*(\w+)$/gm)].map((m) => `ip ${m[1]!}`);
  if (tables.length === 0 || !/^-A /m.test(saved)) return undefined;
  const what = ns.nf?.nft ? 'only the native nftables table(s) are listed' : 'no native nftables table here';
  return `${name}: ${what}; the iptables-nft tables (${tables.join(', ')}) that nft list ruleset would also list: podwalk show … --node ${name} iptables`;
}

/**
 * Said on standard error when a node's `ipvsadm` listing is empty because
 * kube-proxy does not run in ipvs mode there: an empty listing must not read
 * as "this node has no Services" (the nft view says the same of its tables).
 */
export function ipvsNote(ns: NetNs, name: string, proxyMode: string): string | undefined {
  if (ns.ipvs) return undefined;
  const saved = ns.nf?.engine.save({ counters: false }) ?? '';
  if (!/^-A KUBE-SERVICES /m.test(saved) && !ns.nf?.nft) return undefined;
  return `${name}: no IPVS virtual services here: kube-proxy runs in ${proxyMode} mode (its Services: podwalk show … --node ${name} ${proxyMode === 'nftables' ? 'nft' : 'iptables'}; or add --proxy-mode ipvs)`;
}

/** `nft list ruleset`: empty when nothing loaded nftables here (iptables and ipvs modes). */
export function showNft(ns: NetNs): string {
  const nft = ns.nf?.nft;
  return nft ? listRuleset(nft, ns.world.sched.now, ns.kernel.nftDynsetTimeoutListed) : '';
}

/** `ipvsadm -Sn`: the virtual services as ipvsadm-restore (and a node's `import.ipvsadm`) reads them. */
export function showIpvsSave(ns: NetNs): string {
  return ns.ipvs ? saveIpvs(ns.ipvs).trimEnd() : '';
}

/** `ipset save`: what a node's `import.ipsetSave` reads. */
export function showIpsetSave(ns: NetNs): string {
  const engine = ns.nf?.engine as { ipsets?: { save(): string } } | undefined;
  return engine?.ipsets ? engine.ipsets.save().trimEnd() : '';
}

/** `ipset list`. */
export function showIpsets(ns: NetNs): string {
  const engine = ns.nf?.engine as { ipsets?: { list(): string } } | undefined;
  return engine?.ipsets ? engine.ipsets.list() : '';
}

/** Every view `podwalk show` offers, by name, as the Linux tool would print it. */
export function showViews(ns: NetNs): Record<string, () => string> {
  return {
    routes: () => showRoutes(ns),
    'route-cache': () => showRouteCache(ns),
    neigh: () => showNeigh(ns),
    fdb: () => showFdb(ns),
    addr: () => showAddr(ns),
    iptables: () => showIptables(ns),
    nft: () => showNft(ns),
    conntrack: () => showConntrack(ns),
    ipvs: () => showIpvs(ns),
    'ipvs-save': () => showIpvsSave(ns),
    ipset: () => showIpsets(ns),
    'ipset-save': () => showIpsetSave(ns),
  };
}

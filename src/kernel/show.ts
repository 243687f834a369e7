import { formatIpv4 } from '../wire/addr.js';
import { Bridge } from './bridge.js';
import { VxlanDevice } from './vxlan.js';
import { formatRoute, sortForShow } from './fib.js';
import type { NetNs } from './netns.js';

/** `ip route show` (main table), then `ip route show table local` when asked. */
export function showRoutes(ns: NetNs, table: 'main' | 'local' = 'main'): string {
  return sortForShow(ns.fib.list(table)).map(formatRoute).join('\n');
}

/** `ip neigh show`. */
export function showNeigh(ns: NetNs): string {
  return ns.neigh
    .list()
    .map((e) => {
      const lladdr = e.mac && e.state !== 'INCOMPLETE' && e.state !== 'FAILED' ? ` lladdr ${e.mac}` : '';
      return `${formatIpv4(e.ip)} dev ${e.dev.name}${lladdr} ${e.state}`;
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
      lines.push(`${e.mac} dev ${port} master ${dev.name}${e.local ? ' permanent' : ''}`);
    }
  }
  return lines.join('\n');
}

/** `ip addr show`. */
export function showAddr(ns: NetNs): string {
  const lines: string[] = [];
  for (const dev of ns.devices.values()) {
    const flags = dev.kind === 'loopback' ? 'LOOPBACK,UP,LOWER_UP' : 'BROADCAST,MULTICAST,UP,LOWER_UP';
    const master = dev.master instanceof Bridge ? ` master ${dev.master.name}` : '';
    lines.push(`${dev.ifindex}: ${dev.name}: <${flags}> mtu ${dev.mtu}${master} state ${dev.up ? 'UP' : 'DOWN'}`);
    lines.push(`    link/${dev.kind === 'loopback' ? 'loopback' : 'ether'} ${dev.mac}${dev.kind === 'loopback' ? '' : ' brd ff:ff:ff:ff:ff:ff'}`);
    for (const a of ns.addrs.filter((x) => x.dev === dev)) {
      const scope = dev.kind === 'loopback' ? 'host' : 'global';
      lines.push(`    inet ${formatIpv4(a.ip)}/${a.prefix} scope ${scope} ${dev.name}`);
    }
  }
  return lines.join('\n');
}

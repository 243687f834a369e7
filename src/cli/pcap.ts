import { writeInside } from './output-file.js';
import type { World } from '../kernel/world.js';
import { LINKTYPE_ETHERNET, LINKTYPE_RAW, PcapngWriter } from '../wire/pcapng.js';

export interface CaptureOptions {
  /** One file per device (like `tcpdump -i DEV` on each), instead of every device in one file. */
  perInterface: boolean;
  /** Only devices matching one of these `<netns>:<dev>` patterns (`*` matches any run of characters); empty = all. */
  devices: readonly string[];
}

/** What a capture hands back once the run is over: file name → pcapng bytes. */
export type CaptureFiles = () => Map<string, Uint8Array>;

/**
 * Capture frames devices send or receive, timestamps from the simulated
 * clock. One file holds every device as its own interface (`node1:eth0`):
 * good for following a packet, but the same TCP segment appears once per hop,
 * which tshark's TCP analysis reads as retransmissions. Per interface gives
 * one file per device, as `tcpdump -i` would on that device.
 */
export function attachCapture(world: World, name: string, opts: CaptureOptions = { perInterface: false, devices: [] }): CaptureFiles {
  const match = deviceMatcher(opts.devices);
  const writers = new Map<string, PcapngWriter>();
  const ifaces = new Map<string, { writer: PcapngWriter; id: number }>();
  const fileFor = (where: string): string => (opts.perInterface ? `${name}.${safeName(where)}.pcapng` : `${name}.pcapng`);
  world.capture = (where, t, data, l3only) => {
    if (!match(where)) return;
    let iface = ifaces.get(where);
    if (!iface) {
      const file = fileFor(where);
      let writer = writers.get(file);
      if (!writer) writers.set(file, (writer = new PcapngWriter({ application: 'podwalk' })));
      iface = { writer, id: writer.addInterface(where, l3only ? LINKTYPE_RAW : LINKTYPE_ETHERNET) };
      ifaces.set(where, iface);
    }
    iface.writer.addPacket(iface.id, t, data);
  };
  return () => new Map([...writers].map(([file, w]) => [file, w.toBytes()]));
}

/** `default/pod1:eth0` → `default_pod1_eth0`: a file name on any system. */
export function safeName(where: string): string {
  return where.replace(/[^A-Za-z0-9._-]/g, '_');
}

function deviceMatcher(patterns: readonly string[]): (where: string) => boolean {
  if (patterns.length === 0) return () => true;
  const res = patterns.map((p) => new RegExp(`^${p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`));
  return (where) => res.some((r) => r.test(where));
}

/** Write the files into `dir`; returns their paths, sorted. */
export function writePcaps(dir: string, files: Map<string, Uint8Array>): string[] {
  return [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, bytes]) => writeInside('--pcap', dir, name, bytes));
}

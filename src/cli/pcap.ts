import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { fileInside, makeOutputDirectory, OutputPathError, why } from './output-file.js';
import type { World } from '../kernel/world.js';
import { printable } from '../trace/safe-text.js';
import { compileWildcard, matchWildcard } from '../scenario/load/glob.js';
import { LINKTYPE_ETHERNET, LINKTYPE_RAW, PcapngWriter } from '../wire/pcapng.js';

export interface CaptureOptions {
  /** One file per device (like `tcpdump -i DEV` on each), instead of every device in one file. */
  perInterface: boolean;
  /** Only devices matching one of these `<netns>:<dev>` patterns (`*` matches any run of characters); empty = all. */
  devices: readonly string[];
}

/** A capture being written: `finish` writes the rest and returns the files' paths (sorted); `abort` removes them. */
export interface Capture {
  finish(): string[];
  abort(): void;
  /** The `--pcap-device` patterns that match none of `devices` (`<netns>:<dev>`) nor any device a frame crossed: typos, most likely. */
  unmatched(devices: Iterable<string>): string[];
}

/** Written out whenever a file has this much pending: memory stays bounded however long the run. */
const CHUNK_BYTES = 1 << 20;

interface CaptureFile {
  path: string;
  writer: PcapngWriter;
  fd: number | undefined;
}

/**
 * Capture frames devices send or receive into `dir`, timestamps from the
 * simulated clock, written while the run goes on (in 1 MiB chunks, so the
 * frames are never all held). One file holds every device as its own
 * interface (`node1:eth0`): good for following a packet, but the same TCP
 * segment appears once per hop, which tshark's TCP analysis reads as
 * retransmissions. Per interface gives one file per device, as `tcpdump -i`
 * would on that device. A file exists only once a frame went into it.
 */
export function attachCapture(world: World, dir: string, name: string, opts: CaptureOptions = { perInterface: false, devices: [] }): Capture {
  const match = deviceMatcher(opts.devices);
  const files = new Map<string, CaptureFile>();
  const ifaces = new Map<string, { file: CaptureFile; id: number }>();
  const fileFor = (where: string): string => (opts.perInterface ? `${name}.${safeName(where)}.pcapng` : `${name}.pcapng`);
  world.capture = (where, t, data, l3only, way, pkt, flow) => {
    if (!match(where)) return;
    let iface = ifaces.get(where);
    if (!iface) {
      const fileName = fileFor(where);
      let file = files.get(fileName);
      if (!file) files.set(fileName, (file = { path: fileInside('--pcap', dir, fileName), writer: new PcapngWriter({ application: 'podwalk' }), fd: undefined }));
      iface = { file, id: file.writer.addInterface(where, l3only ? LINKTYPE_RAW : LINKTYPE_ETHERNET) };
      ifaces.set(where, iface);
    }
    // The direction as epb_flags (tshark -Y 'frame.packet_flags_direction == 1': what a device received), and the
    // trace's packet id and flow as the frame's comment (`pkt #12 flow same-node`): the way to the --json trace or the walk.
    iface.file.writer.addPacket(iface.id, t, data, flow === undefined ? `pkt #${pkt}` : `pkt #${pkt} flow ${flow}`, way === 'rx' ? 'in' : 'out');
    if (iface.file.writer.pending >= CHUNK_BYTES) write(dir, iface.file);
  };
  return {
    finish: () => {
      for (const f of files.values()) {
        write(dir, f);
        closeSync(f.fd!);
      }
      return [...files.values()].map((f) => f.path).sort();
    },
    unmatched: (devices) => {
      const all = [...ifaces.keys(), ...devices];
      return opts.devices.filter((p) => !all.some(deviceMatcher([p])));
    },
    abort: () => {
      for (const f of files.values()) {
        if (f.fd === undefined) continue;
        closeSync(f.fd);
        unlinkSync(f.path);
      }
    },
  };
}

/** Append what `file` has pending, opening it (and creating `dir`) on its first write. */
function write(dir: string, file: CaptureFile): void {
  if (file.fd === undefined) {
    makeOutputDirectory('--pcap', dir);
    try {
      file.fd = openSync(file.path, 'w');
    } catch (e) {
      throw new OutputPathError(`--pcap: cannot write ${printable(file.path, 200)}: ${why(e)}`);
    }
  }
  const bytes = file.writer.take();
  try {
    for (let off = 0; off < bytes.length; ) off += writeSync(file.fd, bytes, off);
  } catch (e) {
    throw new OutputPathError(`--pcap: cannot write ${printable(file.path, 200)}: ${why(e)}`);
  }
}

/** `default/pod1:eth0` → `default_pod1_eth0`: a file name on any system. */
export function safeName(where: string): string {
  return where.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** `*` (any run of characters, `/` and `:` included) is the only wildcard; matched without a RegExp, whose backtracking a pattern of many stars made hang. */
function deviceMatcher(patterns: readonly string[]): (where: string) => boolean {
  if (patterns.length === 0) return () => true;
  const compiled = patterns.map((p) => compileWildcard(p, false)).flatMap((w) => ('tokens' in w ? [w.tokens] : []));
  return (where) => compiled.some((t) => matchWildcard(t, where));
}

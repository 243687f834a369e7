import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { World } from '../kernel/world.js';
import { LINKTYPE_ETHERNET, LINKTYPE_RAW, PcapngWriter } from '../wire/pcapng.js';

/**
 * Capture every frame every device sends or receives into one pcapng, with one
 * interface per device (`node1:eth0`), timestamps from the simulated clock.
 */
export function attachCapture(world: World): () => Uint8Array {
  const writer = new PcapngWriter({ application: 'podwalk' });
  const ifaces = new Map<string, number>();
  world.capture = (where, t, data, l3only) => {
    let id = ifaces.get(where);
    if (id === undefined) ifaces.set(where, (id = writer.addInterface(where, l3only ? LINKTYPE_RAW : LINKTYPE_ETHERNET)));
    writer.addPacket(id, t, data);
  };
  return () => writer.toBytes();
}

export function writePcap(dir: string, name: string, bytes: Uint8Array): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.pcapng`);
  writeFileSync(file, bytes);
  return file;
}

// The exact kernel state a run leaves, as text (train-replay.test.ts compares it with train replays on and off):
// every namespace's rules with their counters, conntrack entries with their timeouts, FDB entries with their update
// times, neighbour entries with their NUD state and times, the CPU, the wires, the random streams; the world's
// packet ids, the fast path's counts and the scheduler's clock, sequence numbers and events run.
import type { Cluster } from '../../src/cluster/build.js';
import { Bridge } from '../../src/kernel/devices/bridge.js';
import { showIptables } from '../../src/kernel/show.js';

/** A private field, read for the comparison only (the state the replay must leave as a walk does). */
function field(o: unknown, name: string): unknown {
  return o === undefined ? undefined : (o as Record<string, unknown>)[name];
}

export function kernelState(c: Cluster): string {
  const now = c.sched.now;
  const out: string[] = [`sched now ${now} seq ${c.sched.nextSeq} executed ${c.sched.eventsExecuted} pending ${c.sched.pending}`];
  const w = c.world;
  out.push(`world packets ${String(field(w, 'lastPacketId'))} in-flight ${w.inFlight.size} hits ${w.fast.hits} replays ${w.fast.replays}`);
  // Events pending (a train window leaves datagrams in flight: their hand-offs) and the packets in flight, bytes and all.
  const pending: string[] = [];
  c.sched.forEachPending((t, seq, fn, a, b) => {
    const skb = b as { id?: number; flow?: string; buf?: Uint8Array; off?: number; len?: number; at?: string; cost?: number } | undefined;
    const bytes = skb?.buf !== undefined ? Buffer.from(skb.buf.subarray(skb.off!, skb.off! + skb.len!)).toString('hex') : '';
    pending.push(`pending ${t} ${seq} ${fn.name} ${String(field(a, 'name'))} ${skb?.id} ${skb?.flow} ${skb?.at} ${skb?.cost} ${bytes}`);
  });
  out.push(...pending.sort());
  const rng = (r: unknown): string => ['s0', 's1', 's2', 's3'].map((k) => String(field(r, k))).join(',');
  out.push(`world rng ${rng(w.rng)}`);
  for (const ns of c.netns.values()) {
    out.push(`== ${ns.name} cpu ${ns.cpu?.busyUntil} rng ${rng(ns.rng)}`);
    out.push(showIptables(ns, true));
    // Not `list`: it would expire entries (a read must not change what it reads).
    const ct = field(ns.nf?.conntrack, 'entries') as Iterable<{ text: string; expiresNs: number; assured: boolean; seenReply: boolean; udpStreamNs: number; tcpState?: string }> | undefined;
    for (const e of ct ?? []) out.push(`ct ${e.text} ${e.expiresNs} ${e.assured} ${e.seenReply} ${e.udpStreamNs} ${e.tcpState}`);
    for (const d of ns.devices.values()) {
      if (d instanceof Bridge) for (const e of d.fdbEntries()) out.push(`fdb ${e.mac} ${e.port?.name ?? '-'} ${e.updatedNs}`);
      const wire = field(d, 'wire');
      if (wire !== undefined) out.push(`wire ${d.name} ${String(field(wire, 'busyUntil'))}`);
    }
    const neigh = field(ns.neigh, 'entries') as Map<string, { ip: number; state: string; mac?: string; confirmedNs: number; updatedNs: number; reachableNs: number; probes: number }>;
    for (const e of neigh.values()) out.push(`neigh ${e.ip} ${e.state} ${e.mac} ${e.confirmedNs} ${e.updatedNs} ${e.reachableNs} ${e.probes}`);
  }
  return out.join('\n');
}

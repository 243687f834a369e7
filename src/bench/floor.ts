import { Scheduler, type Call } from '../engine/scheduler.js';
import { freshBytes } from '../wire/bytes.js';
import type { FlowResult } from '../scenario/run/flows.js';
import type { CreateEvent, DeliverEvent } from '../trace/events.js';
import { captureProfile, type RanEvent, type WalkProfile, type WalkShape } from './floor-profile.js';
import { BURST_AT_NS, loadWalk, type WalkName } from './walk.js';

/**
 * The floor: the work an exact simulation of a benchmark walk cannot avoid,
 * alone, in V8 — to tell from measurement whether "10× ns-3" is reachable
 * while every scheduler event keeps its time and its (time, sequence) place.
 *
 * Per datagram it does, and does only:
 * - the walk's scheduler events (`every-event`: as many as the real walk runs
 *   per datagram, at the same times after the send, each scheduled by the
 *   same event as in the real walk, through the real `Scheduler`; the sends'
 *   sequence numbers reserved up front, one send scheduled ahead), or just
 *   the send and the delivery (`whole-packet`: what a replay of the whole
 *   path that elides the intermediate events would leave);
 * - the frame: Ethernet + IPv4 + UDP + payload (106 bytes for 64 B) copied
 *   from a template into bytes carved from a shared slab (wire/bytes.ts, as
 *   podwalk's packets are), IPv4 id and header checksum patched;
 * - a packet record carried from event to event (id, frame, flow name);
 * - a `create` and a `deliver` outcome event, with the fields the real ones
 *   have, handed to a sink (the frame by reference, as a lazy description does);
 * - one flow record (`FlowResult`: flow, traffic, packet, verdict, where it
 *   was delivered, the source seen) handed on as the run's `onFlow` does.
 *
 * It leaves out everything a walk decides or keeps (routes, netfilter,
 * conntrack, neighbour and FDB, device and rule counters, the cost model's
 * CPU accounting — its delays are taken as given), per-hop frame rewrites
 * (MACs, TTL), the socket's receive queue, packets-in-flight bookkeeping,
 * timers of the kernel, the scenario's build, keeping the trace or the flow
 * records, and tracing (no hop events).
 */

export type FloorVariant = 'every-event' | 'whole-packet';

export interface FloorCase {
  walk: WalkName;
  packets: number;
  variant: FloorVariant;
}

export interface FloorResult extends FloorCase {
  /** Wall and process CPU time of the floor's run, ms, and datagrams per second of each. */
  wallMs: number;
  packetsPerSec: number;
  cpuMs: number;
  packetsPerCpuSec: number;
  /** Scheduler events per datagram in the floor, and every event its run executed. */
  eventsPerDatagram: number;
  events: number;
  delivered: number;
  frameBytes: number;
  /** The real walk's events per datagram (captured), those of its burst that belong to no datagram, and how uniform it was. */
  walkEventsPerDatagram: number;
  walkOtherEvents: number;
  captured: number;
  matching: number;
}

/** The datagram as it goes from event to event. */
interface Datagram {
  readonly id: number;
  readonly data: Uint8Array;
  readonly flow: string;
  /** Its walk's events: the profile's, or its own where the captured walk had another shape. */
  readonly shape: WalkShape;
}

/** A `create` event as an untraced run emits it: the frame's bytes by reference, described only if read. */
type FloorCreate = Omit<CreateEvent, 'frame'> & { data: Uint8Array };

/** Ethernet header in front of the captured IPv4 datagram: the minimum a frame on a link needs. */
const ETHERNET = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
const NONE: never[] = Object.freeze([]) as unknown as never[];

/** A walk's shape for the variant: whole-packet keeps the send and the event that delivers. */
export function floorShape(s: WalkShape, variant: FloorVariant): WalkShape {
  if (variant === 'every-event') return { offsetNs: s.offsetNs, children: s.children, deliverAt: s.deliverAt };
  return { offsetNs: [0, s.offsetNs[s.deliverAt]!], children: [[1], []], deliverAt: 1 };
}

/**
 * One timed run of the floor (wall-clock: benchmarks only, never tests):
 * `c.packets` datagrams one interval apart, as the walk sends them. `order`,
 * when given, gets every event as it runs (tests compare it with the real
 * walk's; it is not timed then).
 */
export function runFloor(profile: WalkProfile, c: FloorCase, clock: () => number, order?: RanEvent[]): FloorResult {
  const burst = loadWalk({ walk: c.walk, packets: c.packets }).traffic.find((t) => t.name === 'f');
  if (!burst) throw new Error('floor: the walk scenario has no burst item f');
  const interval = burst.intervalNs ?? 0;
  const shape = floorShape(profile, c.variant);
  const exceptions = new Map(profile.exceptions.map(([k, s]) => [k, floorShape(s, c.variant)]));
  const template = Uint8Array.from([...ETHERNET, ...profile.datagram]);
  // The IPv4 header's one's complement sum without its id and checksum: each datagram adds its id.
  template.fill(0, 18, 20);
  template.fill(0, 24, 26);
  let headerSum = 0;
  for (let i = 14; i < 34; i += 2) headerSum += (template[i]! << 8) | template[i + 1]!;
  const { at: createAt, by } = profile.create;
  const { at: deliverWhere, to, socket, src, sport } = profile.deliver;
  const deliveredTo = profile.deliveredTo;

  // Sinks that keep the last of each (so nothing is optimised away) and count.
  let lastEvent: unknown;
  let outcomes = 0;
  let lastFlow: FlowResult | undefined;
  let flows = 0;

  const cpu0 = process.cpuUsage();
  const t0 = clock();
  const sched = new Scheduler();
  const n = c.packets;
  const first = sched.reserve(n);
  let sent = 0;
  let lastId = 0;

  const hop: Call<Datagram, number> = (d, j) => {
    if (order) order.push({ datagram: Number(d.flow.slice(2)) - 1, hop: j, timeNs: sched.now });
    const { offsetNs, children, deliverAt } = d.shape;
    if (j === deliverAt) {
      const e: DeliverEvent = { kind: 'deliver', t: sched.now, pkt: d.id, at: deliverWhere, to, socket, src, sport };
      lastEvent = e;
      outcomes++;
      const r: FlowResult = { flow: d.flow, traffic: burst, pkt: d.id, verdict: 'delivered', deliveredTo, seenSource: src, path: NONE, nat: NONE, policies: NONE, rules: NONE };
      lastFlow = r;
      flows++;
    }
    const next = children[j]!;
    for (let i = 0; i < next.length; i++) sched.call(offsetNs[next[i]!]! - offsetNs[j]!, hop, d, next[i]!);
  };

  const send: Call<undefined, undefined> = () => {
    const k = sent++;
    const id = ++lastId;
    const data = freshBytes(template.length);
    data.set(template);
    const ipId = k & 0xffff;
    data[18] = ipId >> 8;
    data[19] = ipId & 0xff;
    let sum = headerSum + ipId;
    sum = (sum & 0xffff) + (sum >>> 16);
    sum = (sum & 0xffff) + (sum >>> 16);
    const cs = ~sum & 0xffff;
    data[24] = cs >> 8;
    data[25] = cs & 0xff;
    const d: Datagram = { id, data, flow: `f#${k + 1}`, shape: exceptions.get(k) ?? shape };
    const e: FloorCreate = { kind: 'create', t: sched.now, pkt: id, at: createAt, flow: d.flow, by, data };
    lastEvent = e;
    outcomes++;
    if (sent < n) sched.callAtReserved(BURST_AT_NS + sent * interval, first + sent, send, undefined, undefined);
    hop(d, 0);
  };
  if (n > 0) sched.callAtReserved(BURST_AT_NS, first, send, undefined, undefined);
  sched.run();

  const wallMs = clock() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  if (outcomes !== 2 * n || flows !== n || (n > 0 && (!lastEvent || !lastFlow))) throw new Error(`floor: ${outcomes} outcome events and ${flows} flow records for ${n} datagrams`);
  return {
    ...c,
    wallMs,
    packetsPerSec: (n * 1000) / wallMs,
    cpuMs,
    packetsPerCpuSec: (n * 1000) / cpuMs,
    eventsPerDatagram: shape.offsetNs.length,
    events: sched.eventsExecuted,
    delivered: flows,
    frameBytes: template.length,
    walkEventsPerDatagram: profile.offsetNs.length,
    walkOtherEvents: profile.otherEvents,
    captured: profile.captured,
    matching: profile.matching,
  };
}

/** Datagrams of the real walk captured for the profile (the floor's run repeats the steady state's shape). */
export const FLOOR_CAPTURE = 2_000;

/**
 * The floor of `c.walk` as the benchmark measures it: the profile of the
 * walk with one connected socket (as the ns-3 program sends), captured from
 * `FLOOR_CAPTURE` datagrams, then one timed run of `c.packets`.
 */
export function measureFloor(c: FloorCase, clock: () => number, gc?: () => void): FloorResult {
  const profile = captureProfile({ walk: c.walk, packets: FLOOR_CAPTURE, connected: true });
  gc?.(); // the capture's garbage is not the floor's
  return runFloor(profile, c, clock);
}

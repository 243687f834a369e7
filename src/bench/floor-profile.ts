import type { Call } from '../engine/scheduler.js';
import type { Skb } from '../kernel/skb.js';
import type { CreateEvent, DeliverEvent } from '../trace/events.js';
import { simulate } from '../scenario/run/simulate.js';
import { loadWalk, type WalkCase, type WalkName } from './walk.js';

/**
 * What one datagram of a benchmark walk costs the event queue, read from the
 * real walk: every scheduler event its walk runs, when (ns after the send),
 * and which event scheduled it. The floor (floor.ts) replays exactly this
 * shape through the real Scheduler without any of the kernel's work.
 *
 * The capture watches a real run of the walk (tracing off) from the outside:
 * it wraps the cluster's Scheduler and World instances (the heap's insertion,
 * `newSkb`, `deliver`), so each event is tied to the one that scheduled it,
 * and each datagram to the event that created it. An event belongs to the
 * datagram it created, else to the datagram of the event that scheduled it.
 */
/** The scheduler events of one datagram's walk. */
export interface WalkShape {
  /** Each event, in the order they run: its time after the send, ns (the send itself: 0). */
  offsetNs: number[];
  /** The events each one scheduled (indexes into `offsetNs`), in the order it scheduled them. */
  children: number[][];
  /** The event in which the datagram reaches its socket (its `deliver`). */
  deliverAt: number;
}

export interface WalkProfile extends WalkShape {
  walk: WalkName;
  /**
   * Datagrams of the capture whose walk had another shape (the first one of a
   * connection: conntrack's new entry costs the cost model more CPU time),
   * by index; every other datagram has the shape above.
   */
  exceptions: [number, WalkShape][];
  /** The datagram as the sender's socket made it (IPv4 header on: 20 + 8 + payload bytes). */
  datagram: number[];
  /** What the outcome events say about every datagram (the same for all of them). */
  create: Pick<CreateEvent, 'at' | 'by'>;
  deliver: Pick<DeliverEvent, 'at' | 'to' | 'socket' | 'src' | 'sport'>;
  /** Where the flow record says it was delivered (`pod/default/b`). */
  deliveredTo: string;
  /** Datagrams captured, and how many of them had exactly this shape (the floor is exact only when all did). */
  captured: number;
  matching: number;
  /** Events of the captured run's burst that belong to no datagram (timers), and every event of that run. */
  otherEvents: number;
  runEvents: number;
}

/** One event of the captured burst, as it ran: its datagram (0-based) and its place in that datagram's walk. */
export interface RanEvent {
  datagram: number;
  hop: number;
  timeNs: number;
}

/** The burst's flow is named `f` in the walk scenario (walk.ts): its datagrams are flows f#1, f#2, ... */
const BURST_FLOW = /^f#(\d+)$/;

/**
 * Capture the profile of `c`'s walk (tracing off) from a real run of
 * `c.packets` datagrams. `order` also gets every burst event in the order it
 * ran (tests compare it with the floor's).
 */
export function captureProfile(c: WalkCase, order?: RanEvent[]): WalkProfile {
  // Per scheduled event (by capture id): who scheduled it, when it is due, which datagram it belongs to.
  const parentOf: number[] = [];
  const timeOf: number[] = [];
  const datagramOf: number[] = [];
  const ran: number[] = [];
  let current = -1;
  const created = new Map<number, { datagram: number; data: Uint8Array; at: string; by: CreateEvent['by'] }>();
  const delivered = new Map<number, { event: number; at: string; to: DeliverEvent['to']; extra: { socket?: string; src?: string; sport?: number } }>();
  let deliveredTo = '';
  let runEvents = 0;
  const scenario = loadWalk(c);
  const result = simulate(scenario, {
    detailed: false,
    onBuilt: (cluster) => {
      const sched = cluster.sched;
      const world = cluster.world;
      // Every datagram walks: the shape is the walk's events (a train replay's window runs none of them).
      world.fast.trains = false;
      const track = (timeNs: number): number => {
        const id = parentOf.length;
        parentOf.push(current);
        timeOf.push(timeNs);
        datagramOf.push(-1);
        return id;
      };
      const enter = (id: number): void => {
        ran.push(id);
        current = id;
        // An event belongs to its scheduler's datagram until it creates one of its own (below).
        const p = parentOf[id]!;
        if (p >= 0) datagramOf[id] = datagramOf[p]!;
      };
      // Every way of scheduling (callAt, callAtReserved, at, call, ...) ends in the heap's one insertion, `push`.
      const heap = sched as unknown as { push: (time: number, seq: number, fn: Call<unknown, unknown>, a: unknown, b: unknown) => void };
      const push = heap.push.bind(sched);
      heap.push = (time, seq, fn, a, b) => {
        const id = track(time);
        push(time, seq, (x: unknown, y: unknown) => {
          const outer = current;
          enter(id);
          fn(x, y);
          current = outer;
        }, a, b);
      };
      // A burst datagram is made: the event at hand is its first.
      const made = (skb: Skb, at: string, by: CreateEvent['by'], flow: string | undefined): Skb => {
        const m = by === 'app' && flow !== undefined ? BURST_FLOW.exec(flow) : null;
        if (m && current >= 0) {
          const datagram = Number(m[1]) - 1;
          datagramOf[current] = datagram;
          created.set(datagram, { datagram, data: skb.buf.slice(skb.off, skb.off + skb.len), at, by });
        }
        return skb;
      };
      const newSkb = world.newSkb.bind(world);
      world.newSkb = (data, at, by, flow, cause, l3only): Skb => made(newSkb(data, at, by, flow, cause, l3only), at, by, flow);
      // A connected socket's datagrams are made where their bytes lie (World.newSkbIn).
      const newSkbIn = world.newSkbIn.bind(world);
      world.newSkbIn = (buf, off, len, at, by, flow, cause, l3only): Skb => made(newSkbIn(buf, off, len, at, by, flow, cause, l3only), at, by, flow);
      const deliver = world.deliver.bind(world);
      world.deliver = (skb, at, to, socket, src, sport): void => {
        const m = skb.flow !== undefined ? BURST_FLOW.exec(skb.flow) : null;
        const extra = { ...(socket === undefined ? {} : { socket }), ...(src === undefined ? {} : { src }), ...(sport === undefined ? {} : { sport }) };
        if (m && world.inFlight.has(skb)) delivered.set(Number(m[1]) - 1, { event: current, at, to, extra });
        deliver(skb, at, to, socket, src, sport);
      };
    },
  });
  runEvents = result.eventsExecuted;
  if (ran.length !== runEvents) throw new Error(`floor: the capture saw ${ran.length} of the walk's ${runEvents} events (a new way to schedule in src/engine/scheduler.ts? teach src/bench/floor-profile.ts)`);
  const flow = result.flows.find((f) => BURST_FLOW.test(f.flow) && f.deliveredTo);
  deliveredTo = flow?.deliveredTo ?? '';

  // Each datagram's events in the order they ran; anything in the burst that belongs to none is "other".
  const events: number[][] = Array.from({ length: c.packets }, () => []);
  const hopOf = new Map<number, number>();
  const burstStart = firstSendTime(ran, datagramOf, timeOf);
  let otherEvents = 0;
  for (const id of ran) {
    const d = datagramOf[id]!;
    if (d >= 0) {
      hopOf.set(id, events[d]!.length);
      events[d]!.push(id);
      order?.push({ datagram: d, hop: hopOf.get(id)!, timeNs: timeOf[id]! });
    } else if (timeOf[id]! >= burstStart) otherEvents++;
  }

  // The shape of each datagram's walk; the most common one is the profile.
  const shapes = new Map<string, { count: number; first: number }>();
  const shapeOf = (d: number): WalkShape => {
    const ids = events[d]!;
    const t0 = timeOf[ids[0]!]!;
    // Capture ids grow in the order events were scheduled: a parent's children, sorted by id, in its order.
    const children = ids.map((p) => ids.filter((id) => parentOf[id] === p).sort((a, b) => a - b).map((id) => hopOf.get(id)!));
    return { offsetNs: ids.map((id) => timeOf[id]! - t0), children, deliverAt: ids.indexOf(delivered.get(d)?.event ?? -2) };
  };
  const keys: string[] = [];
  for (let d = 0; d < c.packets; d++) {
    const key = JSON.stringify(shapeOf(d));
    keys.push(key);
    const s = shapes.get(key);
    if (s) s.count++;
    else shapes.set(key, { count: 1, first: d });
  }
  const [best] = [...shapes.values()].sort((a, b) => b.count - a.count);
  if (!best) throw new Error(`floor: no datagram of the ${c.walk} walk was captured`);
  const shape = shapeOf(best.first);
  const d = best.first;
  const made = created.get(d);
  const got = delivered.get(d);
  if (!made || !got || shape.deliverAt < 0) throw new Error(`floor: datagram ${d + 1} of the ${c.walk} walk was not delivered`);
  const exceptions: [number, WalkShape][] = [];
  for (let k = 0; k < c.packets; k++) {
    if (keys[k] === keys[d]) continue;
    const other = shapeOf(k);
    if (other.deliverAt < 0) throw new Error(`floor: datagram ${k + 1} of the ${c.walk} walk was not delivered`);
    exceptions.push([k, other]);
  }
  return {
    walk: c.walk,
    ...shape,
    exceptions,
    datagram: [...made.data],
    create: { at: made.at, by: made.by },
    deliver: { at: got.at, to: got.to, ...got.extra },
    deliveredTo,
    captured: c.packets,
    matching: best.count,
    otherEvents,
    runEvents,
  };
}

/** When the burst's first datagram was sent (its creating event's time). */
function firstSendTime(ran: number[], datagramOf: number[], timeOf: number[]): number {
  for (const id of ran) if (datagramOf[id] === 0) return timeOf[id]!;
  return 0;
}

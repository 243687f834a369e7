import type { Action, Rng, Scheduler } from '../engine/index.js';
import type { ChangeKind, CreateEvent, DropReason, FdbEvent, FrameSummary, TraceEvent } from '../trace/events.js';
import type { Tracer } from '../trace/tracer.js';
import { describeFrame, describeIpv4 } from '../wire/describe.js';
import { chargeCpu, type CostModel, type Cpu } from './cost-model.js';
import { FastPath } from './fastpath/fast-path.js';
import { FlowHolds } from './fastpath/flow-holds.js';
import { LivePackets } from './live-packets.js';
import { makeSkb, makeSkbIn, renewSkb, share, type Skb } from './skb.js';

/** Something a packet is handed to: a device's receive path. */
export interface Receiver {
  receive(skb: Skb): void;
}

/** The scheduled half of `handoffTo` and of a wire's arrival: one function for every packet. */
export const receiveOn = (to: Receiver, skb: Skb): void => to.receive(skb);

/**
 * What every kernel object shares: the clock, the randomness, the trace and
 * packet ids. Several network namespaces (nodes, pods, hosts) live in one world.
 */
export class World {
  private lastPacketId = 0;
  /** The id the last packet made was given (a train replay checks its packets in flight are the newest). */
  get lastPacket(): number {
    return this.lastPacketId;
  }
  /** Packets created and not yet ended in deliver/drop, for the accounting check. */
  readonly inFlight = new LivePackets();

  /** Packet capture tap: sees every frame a device sends (`tx`) or receives (`rx`) (tcpdump -i any); `pkt`, `flow`: the trace's packet id and traffic item. */
  capture: ((where: string, tNs: number, data: Uint8Array, l3only: boolean, dir: 'tx' | 'rx', pkt: number, flow: string | undefined) => void) | undefined;

  /** The per-hop cost model, when a run enables it (off: hops take no time). */
  costs: CostModel | undefined;
  /**
   * The applications behind listening sockets (any namespace): how many bytes
   * they answer a request of `flow` with (undefined = they only read). A UDP
   * server answers each datagram; a TCP server writes its answer once it has
   * read the request's data.
   */
  serverReply: ((flow: string | undefined, protocol: 'TCP' | 'UDP') => number | undefined) | undefined;
  /** The flow fast path: its switch and the generation counters its caches check (fast-path.ts). */
  readonly fast = new FastPath();
  /** Sockets that may still act for a flow once its packets have ended (when a flow is over: flow-holds.ts). */
  readonly holds = new FlowHolds();

  constructor(
    readonly sched: Scheduler,
    readonly rng: Rng,
    readonly tracer: Tracer,
  ) {}

  get detailed(): boolean {
    return this.tracer.detailed;
  }

  /**
   * Hand `skb` on in a later event (veth peer, tun reader, decapsulated frame):
   * at once, or — with the cost model — when `cpu` has done the work it owes.
   */
  handoff(cpu: Cpu | undefined, skb: Skb, action: Action): void {
    this.fast.probe?.other(); // (a train replay redoes veth hand-offs only: handoffTo)
    this.sched.after(this.costs && cpu ? chargeCpu(cpu, this.sched.now, skb) : 0, action);
  }

  /** `handoff` to `to.receive(skb)`, without a closure per packet (the veth peer, a device's own receive). */
  handoffTo(cpu: Cpu | undefined, skb: Skb, to: Receiver): void {
    const probe = this.fast.probe;
    if (probe !== undefined) {
      // A train's datagram watched (fastpath/train-probe.ts): the CPU as the charge found and left it.
      const now = this.sched.now;
      const before = cpu?.busyUntil ?? 0;
      const delay = this.costs && cpu ? chargeCpu(cpu, now, skb) : 0;
      probe.handoff(cpu, now, before, cpu?.busyUntil ?? 0, now + delay);
      this.sched.call(delay, receiveOn, to, skb);
      return;
    }
    this.sched.call(this.costs && cpu ? chargeCpu(cpu, this.sched.now, skb) : 0, receiveOn, to, skb);
  }

  /** A new packet; `at` is where it was created, `by` who made it. */
  newSkb(
    data: Uint8Array,
    at: string,
    by: CreateEvent['by'],
    flow: string | undefined,
    cause?: number,
    l3only = false,
  ): Skb {
    return this.created(makeSkb(++this.lastPacketId, data, flow), at, by, cause, l3only);
  }

  /**
   * `newSkb` of the `len` bytes at `off` of `buf` (the whole memory they lie in: see
   * skb.ts `packetRoom`), with no view made: a recycled skb if there is one.
   */
  newSkbIn(buf: Uint8Array, off: number, len: number, at: string, by: CreateEvent['by'], flow: string | undefined, cause: number | undefined, l3only: boolean): Skb {
    const spare = this.spare;
    const id = ++this.lastPacketId;
    let skb: Skb;
    if (spare === undefined) skb = makeSkbIn(id, buf, off, len, flow);
    else {
      this.spare = undefined;
      skb = renewSkb(spare, id, buf, off, len, flow);
    }
    return this.created(skb, at, by, cause, l3only);
  }

  /**
   * The next `n` packet ids, taken for packets a train replay makes without
   * an skb (fastpath/train.ts: its block's datagrams, kept as one record):
   * the first of them.
   */
  takePacketIds(n: number): number {
    const first = this.lastPacketId + 1;
    this.lastPacketId += n;
    return first;
  }

  /**
   * `skb` ended here (a datagram queued to a socket no application reads) and
   * nothing refers to it any more: the next `newSkbIn` takes it instead of
   * making one (a train of datagrams makes no skb per datagram). The caller
   * knows no one kept it: no application, timer, queue or table was given it
   * (the trace and the run's readers know packets by id, and their bytes by
   * where they lie, never by skb), and its own callers only return once it
   * ended. Taken by `newSkbIn` only, whose callers (a socket sending) run in a
   * later event.
   */
  recycle(skb: Skb): void {
    if (this.inFlight.has(skb)) return;
    this.spare = skb;
    const probe = this.fast.probe;
    if (probe !== undefined) probe.recycled++;
  }

  /** An ended packet's skb the next `newSkbIn` renews (`recycle`). */
  private spare: Skb | undefined;

  /** A new packet is in flight, and its `create` event told (its bytes told by their place). */
  private created(skb: Skb, at: string, by: CreateEvent['by'], cause: number | undefined, l3only: boolean): Skb {
    this.inFlight.add(skb);
    this.fast.probe?.create(skb);
    this.tracer.emitCreate(this.sched.now, skb.id, at, skb.flow, cause, by, l3only, skb.buf, skb.off, skb.len);
    return skb;
  }

  /** A copy of `skb` that leads its own life from here (bridge flooding). */
  clone(skb: Skb, at: string): Skb {
    share(skb); // both read the same bytes from here
    return this.newSkb(skb.data, at, 'bridge', skb.flow, skb.id);
  }

  emit(event: TraceEvent): void {
    this.fast.probe?.other();
    this.tracer.emit(event);
    this.eventRecording?.push(event);
  }

  /** Emit each event of `segment` again for packet `pkt`, now: a recorded walk's hop events replayed (flowtable.ts). */
  emitCopies(segment: readonly TraceEvent[], pkt: number): void {
    this.tracer.emitCopies(segment, this.sched.now, pkt, this.eventRecording);
  }

  /** Set while the flow fast path records a walk's hop events (flowtable.ts): they are replayed re-stamped. */
  eventRecording: TraceEvent[] | undefined;

  /** The cluster changed at `at` (a namespace, or `cluster` for API objects): a trace event about no packet. */
  change(at: string, change: ChangeKind, detail: string): void {
    this.fast.probe?.other();
    this.tracer.emit({ kind: 'change', t: this.sched.now, pkt: 0, at, change, detail });
  }

  summary(data: Uint8Array, l3only = false): FrameSummary {
    return l3only ? describeIpv4(data) : describeFrame(data);
  }

  /**
   * The `tx`/`rx` trace point: `skb`'s bytes are what the device at `at`
   * sent or received. Its `frame` is described when something first reads it (a
   * report, the JSON output, a matcher) — describing every frame of every hop
   * up front was the largest cost of a traced run, and most traces are never
   * printed whole (trace/framed.ts). Reading it later sees the same bytes: the
   * caller `share`s them, and a frame is never written in place once shared —
   * every writer copies first, as the kernel's skb_cow does (stack forward, NAT
   * rewrites, bridge MAC rewrite, encapsulation).
   */
  frameEvent(kind: 'tx' | 'rx', skb: Skb, at: string, l3only = false): void {
    // Told by where the bytes lie (no view per hop: one is made only for a reader that wants it).
    this.tracer.emitFrame(kind, this.sched.now, skb.id, at, skb.buf, skb.off, skb.len, l3only, this.eventRecording);
  }

  /** A bridge's `fdb` trace point (learned, forwarded, ...): told by its parts, an object only for who reads one. */
  fdbEvent(pkt: number, at: string, action: FdbEvent['action'], mac: string, port?: string): void {
    this.tracer.emitFdb(this.sched.now, pkt, at, action, mac, port, this.eventRecording);
  }

  drop(skb: Skb, at: string, reason: DropReason, detail: string): void {
    if (!this.inFlight.remove(skb)) return;
    this.fast.probe?.other();
    this.tracer.emit({ kind: 'drop', t: this.sched.now, pkt: skb.id, at, reason, detail });
  }

  deliver(
    skb: Skb,
    at: string,
    to: 'udp' | 'tcp' | 'sctp' | 'icmp' | 'arp' | 'reassembly' | 'tunnel',
    // The reading socket's fields one by one, not an object a datagram would make only to be read here.
    socket?: string,
    src?: string,
    sport?: number,
  ): void {
    if (!this.inFlight.remove(skb)) return;
    const probe = this.fast.probe;
    if (probe !== undefined) {
      if (to === 'udp') probe.delivered(skb, this.sched.now, at, socket, src, sport);
      else probe.other();
    }
    this.tracer.emitDeliver(this.sched.now, skb.id, at, to, socket, src, sport);
  }

  /** Ends every packet still in flight (run over): nothing vanishes silently. */
  finish(reason: 'event-budget' | 'not-finished', detail: string): void {
    for (const skb of this.inFlight.values()) this.drop(skb, skb.at ?? 'world', reason, detail);
  }
}

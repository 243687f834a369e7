import { copiersOf, deliverEvent, EventStore, fdbEvent, type Copier, type TrainTrace } from './event-store.js';
import type { CreateEvent, DeliverEvent, FdbEvent, TraceEvent } from './events.js';
import { bytesIn, CreateFrameEvent, FrameEvent } from './framed.js';

/** Something that takes trace events as they happen (a JSON Lines writer, a flow summariser, a view that streams). */
export interface TraceSink {
  event(e: TraceEvent): void;
  /**
   * Optional: a device's `tx`/`rx` told by its parts instead of `event`, so
   * that no object is made for a sink that reads only some of its fields
   * (`new FrameEvent(kind, t, pkt, at, bytesIn(mem, off, len), l3only)` is
   * the event): its bytes are the `len` bytes at `off` of `mem`, the whole
   * memory they lie in (byteOffset 0), and never change — told by their
   * place, as the packet's skb holds them, so that no view is made per hop
   * for sinks that do not read them.
   */
  frame?(kind: 'tx' | 'rx', t: number, pkt: number, at: string, mem: Uint8Array, off: number, len: number, l3only: boolean): void;
  /**
   * Optional: a recorded walk's hop events replayed for packet `pkt` at time
   * `t` — `copyOf(x, t, pkt)` of each event `x` of `segment`, in order —
   * told at once instead of `event` with each copy. The sink is told when it
   * would have read the first of them (they all have the same time).
   */
  copies?(segment: readonly TraceEvent[], t: number, pkt: number): void;
  /**
   * Optional: a packet's `create` told by its parts instead of `event`
   * (`new CreateFrameEvent(t, pkt, at, flow, cause, by, bytesIn(mem, off,
   * len), l3only)` is the event; its bytes, told by their place as for
   * `frame`, never change): a run with tracing off makes one per datagram,
   * and its own sinks read only some of its fields. Used only when every
   * sink has it: otherwise all are given the one event object (a sink may
   * read its frame, and they see the same object as before).
   */
  create?(t: number, pkt: number, at: string, flow: string | undefined, cause: number | undefined, by: CreateEvent['by'], mem: Uint8Array, off: number, len: number, l3only: boolean): void;
  /** Optional: a packet's `deliver` told by its parts (`deliverEvent(t, pkt, at, to, socket, src, sport)` is the event). */
  deliver?(t: number, pkt: number, at: string, to: DeliverEvent['to'], socket: string | undefined, src: string | undefined, sport: number | undefined): void;
  /** Optional: a bridge's `fdb` told by its parts (`fdbEvent(t, pkt, at, action, mac, port)` is the event). */
  fdb?(t: number, pkt: number, at: string, action: FdbEvent['action'], mac: string, port: string | undefined): void;
}

/**
 * Hands trace events to its sinks the moment they are emitted, so output is
 * written and flows are summarised while the run goes on. It also keeps the
 * events (`events`) unless told to `release` them: a run whose output is
 * streamed then holds no trace, and its memory does not grow with the
 * trace's length. Outcome events (`create`, `deliver`, `drop`) are always
 * emitted; the per-hop events only when `detailed` is on, so that a run with
 * tracing off pays nothing for describing frames it will never print.
 * Kept events are stored compactly until read (event-store.ts).
 */
export class Tracer {
  private kept: EventStore | undefined = new EventStore();
  private readonly sinks: TraceSink[] = [];
  /** Every sink takes a `create` by its parts (TraceSink.create). */
  private createByParts = true;
  /** Every sink takes a replayed segment at once (TraceSink.copies). */
  private copiesAtOnce = true;

  constructor(readonly detailed: boolean = true) {}

  emit(event: TraceEvent): void {
    this.kept?.add(event);
    for (const s of this.sinks) s.event(event);
  }

  /**
   * Emit a device's `tx`/`rx` of the `len` bytes at `off` of `mem` (the
   * whole memory they lie in; they never change from now on), also pushed
   * onto `also` when given: kept as its parts, a view and an object made only
   * for those who need one.
   */
  emitFrame(kind: 'tx' | 'rx', t: number, pkt: number, at: string, mem: Uint8Array, off: number, len: number, l3only: boolean, also: TraceEvent[] | undefined): void {
    this.kept?.addFrameIn(kind, t, pkt, at, mem, off, len, l3only);
    let event: FrameEvent | undefined;
    const sinks = this.sinks;
    for (let j = 0; j < sinks.length; j++) {
      const s = sinks[j]!;
      if (s.frame !== undefined) s.frame(kind, t, pkt, at, mem, off, len, l3only);
      else s.event((event ??= new FrameEvent(kind, t, pkt, at, bytesIn(mem, off, len), l3only)));
    }
    also?.push(event ?? new FrameEvent(kind, t, pkt, at, bytesIn(mem, off, len), l3only));
  }

  /**
   * Emit a packet's `create` of the `len` bytes at `off` of `mem`, the whole
   * memory they lie in (byteOffset 0), as the packet's skb knows them (they
   * never change from now on): kept as its parts, a view made only for a
   * sink that reads objects.
   */
  emitCreate(t: number, pkt: number, at: string, flow: string | undefined, cause: number | undefined, by: CreateEvent['by'], l3only: boolean, mem: Uint8Array, off: number, len: number): void {
    this.kept?.addCreateIn(t, pkt, at, flow, cause, by, mem, off, len, l3only);
    this.tellCreate(t, pkt, at, flow, cause, by, l3only, mem, off, len);
  }

  /**
   * A `create` told to the sinks only, not kept: one a train replay's block
   * keeps (`keepTrain`) while the run's own sinks follow the flow it starts
   * (kernel/fastpath/train-lag.ts: the datagrams a window leaves in flight).
   */
  tellCreate(t: number, pkt: number, at: string, flow: string | undefined, cause: number | undefined, by: CreateEvent['by'], l3only: boolean, mem: Uint8Array, off: number, len: number): void {
    const sinks = this.sinks;
    if (this.createByParts) for (let j = 0; j < sinks.length; j++) sinks[j]!.create!(t, pkt, at, flow, cause, by, mem, off, len, l3only);
    else {
      const event = new CreateFrameEvent(t, pkt, at, flow, cause, by, bytesIn(mem, off, len), l3only);
      for (let j = 0; j < sinks.length; j++) sinks[j]!.event(event);
    }
  }

  /** Emit a packet's `deliver`: kept as its parts, an object made only for those who need one. */
  emitDeliver(t: number, pkt: number, at: string, to: DeliverEvent['to'], socket: string | undefined, src: string | undefined, sport: number | undefined): void {
    this.kept?.addDeliver(t, pkt, at, to, socket, src, sport);
    this.tellDeliver(t, pkt, at, to, socket, src, sport);
  }

  /** A `deliver` told to the sinks only, not kept (`tellCreate`: the datagrams a window took over in flight). */
  tellDeliver(t: number, pkt: number, at: string, to: DeliverEvent['to'], socket: string | undefined, src: string | undefined, sport: number | undefined): void {
    let event: DeliverEvent | undefined;
    const sinks = this.sinks;
    for (let j = 0; j < sinks.length; j++) {
      const s = sinks[j]!;
      if (s.deliver !== undefined) s.deliver(t, pkt, at, to, socket, src, sport);
      else s.event((event ??= deliverEvent(t, pkt, at, to, socket, src, sport)));
    }
  }

  /**
   * Emit a bridge's `fdb` (also pushed onto `also` when given): kept as its
   * parts, an object made only for those who need one.
   */
  emitFdb(t: number, pkt: number, at: string, action: FdbEvent['action'], mac: string, port: string | undefined, also: TraceEvent[] | undefined): void {
    this.kept?.addFdb(t, pkt, at, action, mac, port);
    let event: FdbEvent | undefined;
    const sinks = this.sinks;
    for (let j = 0; j < sinks.length; j++) {
      const s = sinks[j]!;
      if (s.fdb !== undefined) s.fdb(t, pkt, at, action, mac, port);
      else s.event((event ??= fdbEvent(t, pkt, at, action, mac, port)));
    }
    also?.push(event ?? fdbEvent(t, pkt, at, action, mac, port));
  }

  /**
   * Emit a copy of each plain event of `segment` for packet `pkt` at time
   * `t` (a recorded walk's hop events replayed for another packet), in order,
   * each also pushed onto `also` when given: kept as the segment and two
   * numbers, and made objects only for those who need them.
   */
  emitCopies(segment: readonly TraceEvent[], t: number, pkt: number, also: TraceEvent[] | undefined): void {
    if (segment.length === 0) return;
    this.kept?.addCopies(segment, t, pkt);
    const sinks = this.sinks;
    if (this.copiesAtOnce && also === undefined) {
      for (let j = 0; j < sinks.length; j++) sinks[j]!.copies!(segment, t, pkt);
      return;
    }
    let copy: readonly Copier[] | undefined;
    for (let i = 0; i < segment.length; i++) {
      let event: TraceEvent | undefined;
      for (let j = 0; j < sinks.length; j++) {
        const s = sinks[j]!;
        if (s.copies === undefined) s.event((event ??= (copy ??= copiersOf(segment))[i]!(segment[i]!, t, pkt)));
        else if (i === 0) s.copies(segment, t, pkt);
      }
      also?.push(event ?? (copy ??= copiersOf(segment))[i]!(segment[i]!, t, pkt));
    }
  }

  /**
   * Keep a train's W `create`s and `deliver`s as one record (TrainTrace:
   * what W walks would have kept, in order), told to no sink: whoever makes
   * a train so does for the sinks what their events would have. Where the
   * first of them would have been emitted, with nothing emitted until the
   * last. False (nothing done) when the trace is not kept.
   */
  keepTrain(train: TrainTrace): boolean {
    if (!this.kept) return false;
    this.kept.addTrain(train);
    return true;
  }

  /**
   * Every event so far, in order; only while they are kept. Read it again
   * after more events: the array returned grows at the next read, not while
   * the run goes on.
   */
  get events(): TraceEvent[] {
    if (!this.kept) throw new Error('the trace was not kept (the run streamed it to its sinks)');
    return this.kept.all();
  }

  /** Sinks attached: one that `keepTrain` would not tell of a train's events (whoever makes one checks whose they are). */
  get sinkCount(): number {
    return this.sinks.length;
  }

  /** Whether `events` is still available. */
  get keeping(): boolean {
    return this.kept !== undefined;
  }

  /** Stream events to `sink` from now on, after replaying those already emitted (cluster set-up) if they were kept. */
  attach(sink: TraceSink): void {
    for (const e of this.kept?.all() ?? []) sink.event(e);
    this.sinks.push(sink);
    if (sink.create === undefined) this.createByParts = false;
    if (sink.copies === undefined) this.copiesAtOnce = false;
  }

  /** Stop keeping events (those so far are dropped): from now on only the sinks see them. */
  release(): void {
    this.kept = undefined;
  }
}

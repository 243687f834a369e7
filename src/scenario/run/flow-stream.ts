import { copiersOf, deliverEvent, fdbEvent } from '../../trace/event-store.js';
import type { CreateEvent, DeliverEvent, FdbEvent, TraceEvent } from '../../trace/events.js';
import { bytesIn, CreateFrameEvent, FrameEvent } from '../../trace/framed.js';
import type { TraceSink } from '../../trace/tracer.js';

/** Something that reads a run's events knowing which packet is which flow's request. */
export interface FlowSink extends TraceSink {
  /** `pkt` is the request of `flow` (told before any event of it is read). */
  request(flow: string, pkt: number): void;
}

/** What a held record is: an event object, or an event told by its parts (TraceSink's optional methods). */
const EVENT = 0;
const CREATE = 1;
const DELIVER = 2;
const FRAME = 3;
const COPIES = 4;
const FDB = 5;

/**
 * An event held while a request is being sent: the object a sink gave, or
 * the parts it was told by. Records are reused (a free list), so holding the
 * events of a send makes no object once the first few sends are done.
 */
class Held {
  kind = EVENT;
  event: TraceEvent | undefined = undefined;
  t = 0;
  pkt = 0;
  at = '';
  /** create: flow, cause, by; frame: tx or rx; create and frame: where their bytes lie (mem, off, len), l3only. */
  flow: string | undefined = undefined;
  cause: number | undefined = undefined;
  by: CreateEvent['by'] = 'app';
  frameKind: 'tx' | 'rx' = 'tx';
  mem: Uint8Array | undefined = undefined;
  off = 0;
  len = 0;
  l3only = false;
  /** deliver: to, socket, src, sport. */
  to: DeliverEvent['to'] = 'udp';
  socket: string | undefined = undefined;
  src: string | undefined = undefined;
  sport: number | undefined = undefined;
  /** copies: the replayed segment. */
  segment: readonly TraceEvent[] | undefined = undefined;
  /** fdb: action, mac and port. */
  action: FdbEvent['action'] = 'forward';
  mac = '';
  port: string | undefined = undefined;

  /** Let go of what it refers to (it waits in the free list). */
  clear(): void {
    this.event = undefined;
    this.flow = undefined;
    this.mem = undefined;
    this.socket = undefined;
    this.src = undefined;
    this.segment = undefined;
    this.port = undefined;
  }
}

/**
 * The trace as flow sinks read it: each event in order, and each flow's
 * request named before its first event. The kernel traces a request's first
 * hops before `send` returns its packet id, so events are held while a
 * request is being sent and handed on once it is known. Events told by
 * their parts (TraceSink.create/deliver/frame/copies/fdb) are held and handed on
 * by their parts: an object is made only for a sink that reads objects.
 */
export class FlowStream implements TraceSink {
  private readonly sinks: FlowSink[] = [];
  /** Every sink takes a `create` by its parts (else each is given the one object: see TraceSink.create). */
  private createByParts = true;
  private held: Held[] | undefined;
  /** An empty array kept for the next `send` (most sends are not nested): no array per request. */
  private spare: Held[] | undefined = [];
  /** Held records free for reuse. */
  private readonly free: Held[] = [];
  /** The flow of the send under way whose request is the first packet it creates (`send`'s `firstIsRequest`). */
  private early: string | undefined;
  /** That request's packet, once its `create` told it (-1: not yet). */
  private told = -1;

  attach(sink: FlowSink): void {
    this.sinks.push(sink);
    if (sink.create === undefined) this.createByParts = false;
  }

  /**
   * `send(a, b)` sends the request of `flow` and returns its packet id (undefined: nothing was sent).
   * `firstIsRequest`: the request is the first packet the send creates, with no cause (a socket's datagram or
   * echo request: `Sockets.send` creates it before anything else happens, and returns it). Then, unless the send
   * is nested in another, the sinks are told at its `create`, before it, and the send's events are not held
   * but handed on as they come: the same sequence, a datagram's walk up to its first queue held by no one.
   */
  send<A, B>(flow: string, send: (a: A, b: B) => number | undefined, a: A, b: B, firstIsRequest = false): number | undefined {
    const outer = this.held;
    const outerEarly = this.early;
    const outerTold = this.told;
    const held = this.spare ?? [];
    this.spare = undefined;
    this.held = held;
    this.early = firstIsRequest && outer === undefined ? flow : undefined;
    this.told = -1;
    let pkt: number | undefined;
    try {
      pkt = send(a, b);
      if (this.told >= 0) {
        if (pkt !== this.told) throw new Error(`internal: the request of ${flow} was told as packet ${this.told}, its send returned ${pkt}`);
      } else if (pkt !== undefined) for (const s of this.sinks) s.request(flow, pkt);
    } finally {
      this.held = outer;
      this.early = outerEarly;
      this.told = outerTold;
      for (let i = 0; i < held.length; i++) {
        const h = held[i]!;
        this.handOn(h);
        h.clear();
        this.free.push(h);
      }
      // Emptied by pops: setting `length` is a call into the runtime, a pop or two is not.
      while (held.length > 0) held.pop();
      this.spare = held;
    }
    return pkt;
  }

  event(e: TraceEvent): void {
    if (this.held) this.hold(EVENT, 0, 0, '').event = e;
    else for (const s of this.sinks) s.event(e);
  }

  /** A `create` by its parts (TraceSink.create): an object made only for a sink that reads events. */
  create(t: number, pkt: number, at: string, flow: string | undefined, cause: number | undefined, by: CreateEvent['by'], mem: Uint8Array, off: number, len: number, l3only: boolean): void {
    if (this.held !== undefined && this.early !== undefined && flow === this.early && cause === undefined && this.held.length === 0) {
      // The request, the send's first event: named now, and what follows in this send handed on as it comes.
      this.early = undefined;
      this.told = pkt;
      for (const s of this.sinks) s.request(flow, pkt);
      this.held = undefined;
    }
    if (this.held) {
      const h = this.hold(CREATE, t, pkt, at);
      h.flow = flow;
      h.cause = cause;
      h.by = by;
      h.mem = mem;
      h.off = off;
      h.len = len;
      h.l3only = l3only;
      return;
    }
    if (this.createByParts) for (const s of this.sinks) s.create!(t, pkt, at, flow, cause, by, mem, off, len, l3only);
    else {
      const e = new CreateFrameEvent(t, pkt, at, flow, cause, by, bytesIn(mem, off, len), l3only);
      for (const s of this.sinks) s.event(e);
    }
  }

  /** A `deliver` by its parts (TraceSink.deliver): an object made only for a sink that reads events. */
  deliver(t: number, pkt: number, at: string, to: DeliverEvent['to'], socket: string | undefined, src: string | undefined, sport: number | undefined): void {
    if (this.held) {
      const h = this.hold(DELIVER, t, pkt, at);
      h.to = to;
      h.socket = socket;
      h.src = src;
      h.sport = sport;
      return;
    }
    let e: DeliverEvent | undefined;
    for (const s of this.sinks) {
      if (s.deliver !== undefined) s.deliver(t, pkt, at, to, socket, src, sport);
      else s.event((e ??= deliverEvent(t, pkt, at, to, socket, src, sport)));
    }
  }

  /** A `tx`/`rx` by its parts (TraceSink.frame): a view and an object made only for a sink that reads events. */
  frame(kind: 'tx' | 'rx', t: number, pkt: number, at: string, mem: Uint8Array, off: number, len: number, l3only: boolean): void {
    if (this.held) {
      const h = this.hold(FRAME, t, pkt, at);
      h.frameKind = kind;
      h.mem = mem;
      h.off = off;
      h.len = len;
      h.l3only = l3only;
      return;
    }
    let e: FrameEvent | undefined;
    for (const s of this.sinks) {
      if (s.frame !== undefined) s.frame(kind, t, pkt, at, mem, off, len, l3only);
      else s.event((e ??= new FrameEvent(kind, t, pkt, at, bytesIn(mem, off, len), l3only)));
    }
  }

  /** A bridge's `fdb` by its parts (TraceSink.fdb): an object made only for a sink that reads events. */
  fdb(t: number, pkt: number, at: string, action: FdbEvent['action'], mac: string, port: string | undefined): void {
    if (this.held) {
      const h = this.hold(FDB, t, pkt, at);
      h.action = action;
      h.mac = mac;
      h.port = port;
      return;
    }
    let e: FdbEvent | undefined;
    for (const s of this.sinks) {
      if (s.fdb !== undefined) s.fdb(t, pkt, at, action, mac, port);
      else s.event((e ??= fdbEvent(t, pkt, at, action, mac, port)));
    }
  }

  /** A replayed walk's hop events at once (TraceSink.copies): objects made only for sinks that read events. */
  copies(segment: readonly TraceEvent[], t: number, pkt: number): void {
    if (this.held) {
      this.hold(COPIES, t, pkt, '').segment = segment;
      return;
    }
    let made: TraceEvent[] | undefined;
    for (const s of this.sinks) {
      if (s.copies !== undefined) s.copies(segment, t, pkt);
      else {
        if (made === undefined) {
          const copy = copiersOf(segment);
          made = segment.map((x, i) => copy[i]!(x, t, pkt));
        }
        for (const e of made) s.event(e);
      }
    }
  }

  /** A record held for the send under way (a free one reused). */
  private hold(kind: number, t: number, pkt: number, at: string): Held {
    const h = this.free.pop() ?? new Held();
    h.kind = kind;
    h.t = t;
    h.pkt = pkt;
    h.at = at;
    this.held!.push(h);
    return h;
  }

  /** What was held, handed on as it came (held again by an outer send under way). */
  private handOn(h: Held): void {
    switch (h.kind) {
      case EVENT:
        return this.event(h.event!);
      case CREATE:
        return this.create(h.t, h.pkt, h.at, h.flow, h.cause, h.by, h.mem!, h.off, h.len, h.l3only);
      case DELIVER:
        return this.deliver(h.t, h.pkt, h.at, h.to, h.socket, h.src, h.sport);
      case FRAME:
        return this.frame(h.frameKind, h.t, h.pkt, h.at, h.mem!, h.off, h.len, h.l3only);
      case COPIES:
        return this.copies(h.segment!, h.t, h.pkt);
      case FDB:
        return this.fdb(h.t, h.pkt, h.at, h.action, h.mac, h.port);
    }
  }
}

import type { CreateEvent, DeliverEvent, FdbEvent, TraceEvent } from './events.js';
import { bytesOf, CreateFrameEvent, FrameEvent, isL3only } from './framed.js';

/** How a stored event is kept (one byte each): its kind of record, and flags. */
const PLAIN = 0; // the event object itself (refs)
const TX = 1; // a `tx` frame: t; pkt, at, bytes (buffer, offset, length)
const RX = 2;
const CREATE = 3; // a `create`: t; pkt, at, bytes, cause, by (and its flow in refs)
const DELIVER = 4; // a `deliver`: t; pkt, at, to, socket, src, sport
const COPIES = 5; // copies of a replayed segment's template events with their own t and pkt: t; pkt, segment
const FDB = 6; // an `fdb`: t; pkt, at, action, mac, port
const TRAIN = 7; // a train's W creates and delivers (TrainTrace, in refs): no t, no numbers
const KIND = 7;
const L3ONLY = 8; // TX/RX/CREATE: the bytes are an IPv4 packet, not an Ethernet frame
const FLOW = 16; // CREATE: it names a flow (the next ref)

/** Numbers after `t` each record keeps in `ints`, by kind. */
const INTS = [0, 5, 5, 7, 6, 2, 5, 0];
/** `none` in `ints` (an absent cause, socket, source or port). */
const NONE = -1;

/** `by` and `to` as small numbers (their index here). */
const BY: readonly CreateEvent['by'][] = ['app', 'arp', 'icmp', 'tcp', 'sctp', 'udp', 'bridge', 'server'];
const TO: readonly DeliverEvent['to'][] = ['udp', 'tcp', 'sctp', 'icmp', 'arp', 'reassembly', 'tunnel'];
/** `action` of an `fdb` event likewise. */
const FDB_ACTIONS: readonly FdbEvent['action'][] = ['learn', 'forward', 'flood', 'local', 'hairpin'];

/**
 * How a datagram's bytes are made from its IPv4 id (wire/udp-template.ts
 * `UdpTemplate`, a connected UDP socket's): `writeAt` writes the datagram with
 * IP id `id` into the `length` zero bytes at `at` of `b`.
 */
export interface FrameTemplate {
  readonly length: number;
  writeAt(id: number, b: Uint8Array, at: number): number;
}

/**
 * The kept `create`s and `deliver`s of W datagrams of one `count:` item (a
 * periodic train the fast path replayed in closed form), as one record:
 * what W walks would have kept, in the order they would have kept it, made
 * into objects only when the trace is read. /work/wt/TRAIN-API.md.
 *
 * Period j (0 to `count` − 1) holds the `create` of datagram `k0 + j` and
 * the `deliver` of datagram `k0 + j − lag`, in that order (`deliverFirst`:
 * the other; a tie in time the scheduler broke that way). Datagram k
 * (0-based in its item) is created at `atNs + k * intervalNs` (the sum
 * ScenarioRun adds, so the same number) and delivered at that time plus each
 * of `delays` in turn (as the walk's events added them: floating-point sums
 * depend on their order); datagram `k0 + j` is packet `pkt0 + j * pktStep`
 * (j < 0 for a lagging deliver of a datagram created before the record).
 */
export interface TrainTrace {
  readonly count: number;
  readonly atNs: number;
  readonly intervalNs: number;
  readonly k0: number;
  readonly pkt0: number;
  readonly pktStep: number;
  /** The `create`s: where, the flow (`flowPrefix` + (k + 1), FlowNames' text), who; no cause. */
  readonly createdAt: string;
  readonly flowPrefix: string;
  readonly by: CreateEvent['by'];
  readonly l3only: boolean;
  /** Datagram `k0 + j`'s bytes: `frame.writeAt(ids[j], ...)`. The record keeps `ids` (never written again). */
  readonly frame: FrameTemplate;
  readonly ids: Uint16Array;
  /** The `deliver`s: the same for every datagram but its time and packet. */
  readonly at: string;
  readonly to: DeliverEvent['to'];
  readonly socket?: string | undefined;
  readonly src?: string | undefined;
  readonly sport?: number | undefined;
  readonly delays: readonly number[];
  readonly lag: number;
  readonly deliverFirst: boolean;
}

/**
 * The events of a run that keeps its whole trace, in order. A traced
 * packet's walk is some 10 to 25 events; kept as objects they all outlive the
 * young generation, and a long run's garbage collector spends its time
 * copying and marking them (the largest cost of keeping a trace). So the
 * events a walk makes most — a device's `tx`/`rx`, a packet's `create` and
 * `deliver`, a bridge's `fdb`, a recorded walk's hop events replayed for
 * another packet — are kept as
 * numbers in typed arrays, which the collector never walks: their texts
 * (places, sockets, addresses) and templates by their index in a table of
 * those seen, their bytes as buffer, offset and length (a packet's bytes are
 * never written once traced, and their buffers are never reused: see
 * wire/bytes.ts and kernel/skb.ts `cow`). They are made into objects again
 * when the trace is read (`all`); every other event is kept as it is.
 *
 * Reading materialises what is pending and keeps the objects from then on,
 * so reading twice gives the same objects, and the array grows with later
 * events at the next read. An event that was kept in parts is an equal new
 * object (the same keys in the same order), not the one the sinks saw.
 */
export class EventStore {
  private readonly list: TraceEvent[] = [];
  /**
   * Pending records, in order, in chunks filled one after another (a chunk
   * full is never copied, as a growing array would be): one tag each; their
   * time and numbers in the chunk, in order of the tags; their references
   * (plain events, flow names) in the chunk's `refs`, in order (at most one
   * a record: a fixed array, never grown — a growing array of every flow's
   * name would be copied at each growth, in the end a large object the
   * collector only frees by a full mark).
   */
  private readonly full: Chunk[] = [];
  private tags = new Uint8Array(CHUNK);
  private ts = new Float64Array(CHUNK);
  private ints = new Int32Array(CHUNK * 4);
  private n = 0;
  private nt = 0;
  private ni = 0;
  private refs: unknown[] = new Array(CHUNK);
  private nr = 0;
  /** Texts (places, sockets, sources) by index, and the index of each. */
  private readonly texts: string[] = [];
  private readonly textIds = new Map<string, number>();
  /** Byte buffers by index (the last one found kept at hand: a packet's frames share one), and templates. */
  private readonly buffers: ArrayBufferLike[] = [];
  private readonly bufferIds = new Map<ArrayBufferLike, number>();
  private lastBuffer: ArrayBufferLike | undefined;
  private lastBufferId = 0;
  /** The memory bytes were kept in last by their place (`addCreateIn`, `addFrameIn`: a whole view, as a packet's skb holds it) and its index. */
  private lastMem: Uint8Array | undefined;
  private lastMemId = 0;
  /** The texts of the last `create` and `deliver` and their indexes: a train's are the same each time. */
  private createdAt: string | undefined;
  private createdAtId = 0;
  private deliveredAt: string | undefined;
  private deliveredAtId = 0;
  private deliveredSocket: string | undefined;
  private deliveredSocketId = 0;
  private deliveredSrc: string | undefined;
  private deliveredSrcId = 0;
  /**
   * The bytes kept last and where they are (a veth's rx keeps the bytes its
   * peer's tx kept): a view's buffer and offset are read through getters
   * that cost more than the rest of a record.
   */
  private lastBytes: Uint8Array | undefined;
  private lastOffset = 0;
  private readonly segments: (readonly TraceEvent[])[] = [];
  private readonly segmentIds = new Map<readonly TraceEvent[], number>();
  /** The segment kept last and its index (a flow's packets replay the same ones). */
  private lastSegment: readonly TraceEvent[] | undefined;
  private lastSegmentId = 0;

  /** Keep `e` (as it is now: a framed event whose frame was read is kept whole). */
  add(e: TraceEvent): void {
    if (e.kind === 'fdb') return this.addFdb(e.t, e.pkt, e.at, e.action, e.mac, e.port);
    if (e instanceof FrameEvent) {
      const bytes = bytesOf(e);
      if (bytes !== undefined) return this.addFrame(e.kind, e.t, e.pkt, e.at, bytes, isL3only(e));
    } else if (e instanceof CreateFrameEvent) {
      const bytes = bytesOf(e);
      if (bytes !== undefined) return this.addCreate(e.t, e.pkt, e.at, e.flow, e.cause, e.by, bytes, isL3only(e));
    }
    this.tag(PLAIN);
    this.refs[this.nr++] = e;
  }

  /** Keep a `tx`/`rx` event of `bytes` (which never change from now on). */
  addFrame(kind: 'tx' | 'rx', t: number, pkt: number, at: string, bytes: Uint8Array, l3only: boolean): void {
    const i = this.record((kind === 'tx' ? TX : RX) | (l3only ? L3ONLY : 0), t, 5);
    const ints = this.ints;
    ints[i] = pkt;
    ints[i + 1] = this.text(at);
    this.putBytes(i + 2, bytes);
  }

  /** `addFrame` of the `len` bytes at `off` of `mem`, a whole buffer's memory (byteOffset 0): see `addCreateIn`. */
  addFrameIn(kind: 'tx' | 'rx', t: number, pkt: number, at: string, mem: Uint8Array, off: number, len: number, l3only: boolean): void {
    const i = this.record((kind === 'tx' ? TX : RX) | (l3only ? L3ONLY : 0), t, 5);
    const ints = this.ints;
    ints[i] = pkt;
    ints[i + 1] = this.text(at);
    ints[i + 2] = mem === this.lastMem ? this.lastMemId : this.memId(mem);
    ints[i + 3] = off;
    ints[i + 4] = len;
  }

  /** Keep a `create` event of `bytes` (which never change from now on). */
  addCreate(t: number, pkt: number, at: string, flow: string | undefined, cause: number | undefined, by: CreateEvent['by'], bytes: Uint8Array, l3only: boolean): void {
    const i = this.createRecord(t, pkt, at, flow, cause, by, l3only);
    this.putBytes(i + 2, bytes);
  }

  /**
   * `addCreate` of the `len` bytes at `off` of `mem`, a whole buffer's memory
   * (byteOffset 0): where a packet's bytes lie is known to its skb, and a
   * view's `buffer` and `byteOffset` are getters that cost more than the rest
   * of the record (every datagram's `create` is kept, tracing on or off).
   */
  addCreateIn(t: number, pkt: number, at: string, flow: string | undefined, cause: number | undefined, by: CreateEvent['by'], mem: Uint8Array, off: number, len: number, l3only: boolean): void {
    const i = this.createRecord(t, pkt, at, flow, cause, by, l3only);
    const ints = this.ints;
    ints[i + 2] = mem === this.lastMem ? this.lastMemId : this.memId(mem);
    ints[i + 3] = off;
    ints[i + 4] = len;
  }

  /** A `create` record but for its bytes (the three numbers at 2): where its numbers go. */
  private createRecord(t: number, pkt: number, at: string, flow: string | undefined, cause: number | undefined, by: CreateEvent['by'], l3only: boolean): number {
    const i = this.record(CREATE | (l3only ? L3ONLY : 0) | (flow !== undefined ? FLOW : 0), t, 7);
    const ints = this.ints;
    ints[i] = pkt;
    ints[i + 1] = at === this.createdAt ? this.createdAtId : this.createdAtText(at);
    ints[i + 5] = cause ?? NONE;
    ints[i + 6] = by === 'app' ? 0 : BY.indexOf(by);
    if (flow !== undefined) this.refs[this.nr++] = flow;
    return i;
  }

  /** Keep an `fdb` event (`fdbEvent(t, pkt, at, action, mac, port)` is the event). */
  addFdb(t: number, pkt: number, at: string, action: FdbEvent['action'], mac: string, port: string | undefined): void {
    const i = this.record(FDB, t, 5);
    const ints = this.ints;
    ints[i] = pkt;
    ints[i + 1] = this.text(at);
    ints[i + 2] = FDB_ACTIONS.indexOf(action);
    ints[i + 3] = this.text(mac);
    ints[i + 4] = port === undefined ? NONE : this.text(port);
  }

  /** Keep a `deliver` event. */
  addDeliver(t: number, pkt: number, at: string, to: DeliverEvent['to'], socket: string | undefined, src: string | undefined, sport: number | undefined): void {
    const i = this.record(DELIVER, t, 6);
    const ints = this.ints;
    ints[i] = pkt;
    // A train of datagrams is delivered at one place, to one socket, from one source: each at hand.
    ints[i + 1] = at === this.deliveredAt ? this.deliveredAtId : this.deliveredAtText(at);
    ints[i + 2] = to === 'udp' ? 0 : TO.indexOf(to);
    ints[i + 3] = socket === undefined ? NONE : socket === this.deliveredSocket ? this.deliveredSocketId : this.deliveredSocketText(socket);
    ints[i + 4] = src === undefined ? NONE : src === this.deliveredSrc ? this.deliveredSrcId : this.deliveredSrcText(src);
    ints[i + 5] = sport ?? NONE;
  }

  /** Keep `copyOf(x, t, pkt)` of each event `x` of `segment` (plain events: no frame; the segment never changes). */
  addCopies(segment: readonly TraceEvent[], t: number, pkt: number): void {
    let id = segment === this.lastSegment ? this.lastSegmentId : this.segmentIds.get(segment);
    if (id === undefined) {
      id = this.segments.length;
      this.segments.push(segment);
      this.segmentIds.set(segment, id);
    }
    this.lastSegment = segment;
    this.lastSegmentId = id;
    const i = this.record(COPIES, t, 2);
    this.ints[i] = pkt;
    this.ints[i + 1] = id;
  }

  /**
   * Keep a train's W `create`s and `deliver`s (TrainTrace) as one record,
   * where the first of them would have been kept: nothing else may be kept
   * between its first and its last event.
   */
  addTrain(train: TrainTrace): void {
    if (train.count <= 0) return;
    if (train.ids.length < train.count) throw new RangeError(`a train of ${train.count} datagrams needs as many IPv4 ids (${train.ids.length} given)`);
    this.tag(TRAIN);
    this.refs[this.nr++] = train;
  }

  /** Every event kept, in order. */
  all(): TraceEvent[] {
    if (this.n > 0) this.materialise();
    return this.list;
  }

  /** A record tagged `tag` at time `t` with `k` numbers: where its numbers go in `ints`. */
  private record(tag: number, t: number, k: number): number {
    if (this.n === CHUNK || this.ni + k > this.ints.length) this.nextChunk();
    this.ts[this.nt++] = t;
    const i = this.ni;
    this.ni += k;
    this.tags[this.n++] = tag;
    return i;
  }

  private tag(tag: number): void {
    if (this.n === CHUNK) this.nextChunk();
    this.tags[this.n++] = tag;
  }

  /** The chunk being filled is full: keep it aside, fill a new one. */
  private nextChunk(): void {
    this.full.push({ tags: this.tags, ts: this.ts, ints: this.ints, n: this.n, refs: this.refs });
    this.tags = new Uint8Array(CHUNK);
    this.ts = new Float64Array(CHUNK);
    this.ints = new Int32Array(CHUNK * 4);
    this.refs = new Array(CHUNK);
    this.n = 0;
    this.nt = 0;
    this.ni = 0;
    this.nr = 0;
  }

  /** `text(s)` kept at hand for the next record of its kind and field. */
  private createdAtText(s: string): number {
    this.createdAt = s;
    return (this.createdAtId = this.text(s));
  }

  private deliveredAtText(s: string): number {
    this.deliveredAt = s;
    return (this.deliveredAtId = this.text(s));
  }

  private deliveredSocketText(s: string): number {
    this.deliveredSocket = s;
    return (this.deliveredSocketId = this.text(s));
  }

  private deliveredSrcText(s: string): number {
    this.deliveredSrc = s;
    return (this.deliveredSrcId = this.text(s));
  }

  private text(s: string): number {
    let id = this.textIds.get(s);
    if (id === undefined) {
      id = this.texts.length;
      this.texts.push(s);
      this.textIds.set(s, id);
    }
    return id;
  }

  /** The index of the buffer `mem` (a whole buffer's memory) is, kept at hand for the next. */
  private memId(mem: Uint8Array): number {
    const id = this.bufferId(mem.buffer);
    this.lastMem = mem;
    this.lastMemId = id;
    return id;
  }

  /** `buffer`'s index in `buffers`. */
  private bufferId(buffer: ArrayBufferLike): number {
    let id = this.bufferIds.get(buffer);
    if (id === undefined) {
      id = this.buffers.length;
      this.buffers.push(buffer);
      this.bufferIds.set(buffer, id);
    }
    return id;
  }

  /** `bytes` as three numbers at `i`: its buffer's index, its offset and its length. */
  private putBytes(i: number, bytes: Uint8Array): void {
    const ints = this.ints;
    if (bytes === this.lastBytes) {
      ints[i] = this.lastBufferId;
      ints[i + 1] = this.lastOffset;
      ints[i + 2] = bytes.length;
      return;
    }
    const buffer = bytes.buffer;
    let id = this.lastBufferId;
    if (buffer !== this.lastBuffer) {
      id = this.bufferId(buffer);
      this.lastBuffer = buffer;
      this.lastBufferId = id;
    }
    const offset = bytes.byteOffset;
    ints[i] = id;
    ints[i + 1] = offset;
    ints[i + 2] = bytes.length;
    this.lastBytes = bytes;
    this.lastOffset = offset;
  }

  private bytesAt(ints: Int32Array, i: number): Uint8Array {
    return new Uint8Array(this.buffers[ints[i]!]!, ints[i + 1]!, ints[i + 2]!);
  }

  private materialise(): void {
    for (const c of this.full) this.materialiseChunk(c);
    this.materialiseChunk({ tags: this.tags, ts: this.ts, ints: this.ints, n: this.n, refs: this.refs });
    this.full.length = 0;
    this.n = 0;
    this.nt = 0;
    this.ni = 0;
    this.refs = new Array(CHUNK);
    this.nr = 0;
  }

  /** The records of chunk `c` made objects. */
  private materialiseChunk(c: Chunk): void {
    const { tags, ts, ints, n, refs } = c;
    const { list, texts } = this;
    let k = 0;
    let i = 0;
    let r = 0;
    for (let j = 0; j < n; j++) {
      const tag = tags[j]!;
      const kind = tag & KIND;
      if (kind === PLAIN) {
        list.push(refs[r++] as TraceEvent);
        continue;
      }
      if (kind === TRAIN) {
        trainEvents(refs[r++] as TrainTrace, list);
        continue;
      }
      const t = ts[k++]!;
      const pkt = ints[i]!;
      if (kind === FDB) {
        const port = ints[i + 4]!;
        list.push(fdbEvent(t, pkt, texts[ints[i + 1]!]!, FDB_ACTIONS[ints[i + 2]!]!, texts[ints[i + 3]!]!, port === NONE ? undefined : texts[port]));
      } else if (kind === COPIES) for (const x of this.segments[ints[i + 1]!]!) list.push(copyOf(x, t, pkt));
      else if (kind === DELIVER) {
        const socket = ints[i + 3]!;
        const src = ints[i + 4]!;
        const sport = ints[i + 5]!;
        list.push(deliverEvent(t, pkt, texts[ints[i + 1]!]!, TO[ints[i + 2]!]!, socket === NONE ? undefined : texts[socket], src === NONE ? undefined : texts[src], sport === NONE ? undefined : sport));
      } else if (kind === CREATE) {
        const cause = ints[i + 5]!;
        const flow = (tag & FLOW) !== 0 ? (refs[r++] as string) : undefined;
        list.push(new CreateFrameEvent(t, pkt, texts[ints[i + 1]!]!, flow, cause === NONE ? undefined : cause, BY[ints[i + 6]!]!, this.bytesAt(ints, i + 2), (tag & L3ONLY) !== 0));
      } else list.push(new FrameEvent(kind === TX ? 'tx' : 'rx', t, pkt, texts[ints[i + 1]!]!, this.bytesAt(ints, i + 2), (tag & L3ONLY) !== 0));
      i += INTS[kind]!;
    }
  }
}

/** A train's events (TrainTrace), in order, pushed onto `list`. */
function trainEvents(train: TrainTrace, list: TraceEvent[]): void {
  const { count, atNs, intervalNs, k0, pkt0, pktStep, createdAt, flowPrefix, by, l3only, frame, ids, at, to, socket, src, sport, delays, lag, deliverFirst } = train;
  const len = frame.length;
  // One buffer for the record's datagrams (each event a view of its part), written when read.
  const mem = new Uint8Array(len * count);
  for (let j = 0; j < count; j++) {
    if (deliverFirst) list.push(delivered(j - lag));
    const k = k0 + j;
    frame.writeAt(ids[j]!, mem, j * len);
    list.push(new CreateFrameEvent(atNs + k * intervalNs, pkt0 + j * pktStep, createdAt, flowPrefix + (k + 1), undefined, by, new Uint8Array(mem.buffer, j * len, len), l3only));
    if (!deliverFirst) list.push(delivered(j - lag));
  }
  function delivered(j: number): DeliverEvent {
    let t = atNs + (k0 + j) * intervalNs;
    for (let d = 0; d < delays.length; d++) t += delays[d]!;
    return deliverEvent(t, pkt0 + j * pktStep, at, to, socket, src, sport);
  }
}

/** Records per chunk (a chunk's numbers: four per record on average, a full one starts the next chunk). */
const CHUNK = 16384;

/** A chunk of records: tags, times, numbers and references, `n` records. */
interface Chunk {
  readonly tags: Uint8Array;
  readonly ts: Float64Array;
  readonly ints: Int32Array;
  readonly n: number;
  readonly refs: unknown[];
}

/**
 * A `deliver` event: a literal in DeliverEvent's key order, with the
 * optional fields given only (one shape per set of fields, not a spread).
 */
export function deliverEvent(t: number, pkt: number, at: string, to: DeliverEvent['to'], socket: string | undefined, src: string | undefined, sport: number | undefined): DeliverEvent {
  const e: DeliverEvent = { kind: 'deliver', t, pkt, at, to };
  if (socket !== undefined) e.socket = socket;
  if (src !== undefined) e.src = src;
  if (sport !== undefined) e.sport = sport;
  return e;
}

/** An `fdb` event: a literal in FdbEvent's key order (kind, t, pkt, at, action, mac, then port if there is one). */
export function fdbEvent(t: number, pkt: number, at: string, action: FdbEvent['action'], mac: string, port: string | undefined): FdbEvent {
  return port === undefined ? { kind: 'fdb', t, pkt, at, action, mac } : { kind: 'fdb', t, pkt, at, action, mac, port };
}

/**
 * `template` again for packet `pkt` at time `t`: a new object with the
 * template's keys in its order (so its JSON differs only in `t` and `pkt`).
 */
export function copyOf(template: TraceEvent, t: number, pkt: number): TraceEvent {
  let copy = copiers.get(template);
  if (copy === undefined) copiers.set(template, (copy = copier(template)));
  return copy(template, t, pkt);
}

export type Copier = (template: TraceEvent, t: number, pkt: number) => TraceEvent;

/** The copier of each event of `segment`, in order (found once per segment, not once per event and replay). */
export function copiersOf(segment: readonly TraceEvent[]): readonly Copier[] {
  let list = segmentCopiers.get(segment);
  if (list === undefined) {
    list = segment.map((x) => {
      let copy = copiers.get(x);
      if (copy === undefined) copiers.set(x, (copy = copier(x)));
      return copy;
    });
    segmentCopiers.set(segment, list);
  }
  return list;
}

/**
 * A function that copies objects shaped as `template` with one object
 * literal, keys in its order. A spread at the one place that copies every
 * replayed hop event sees all their shapes and goes the slow, generic way
 * (some ten times slower); a literal per shape stays fast.
 */
function copier(template: TraceEvent): Copier {
  const keys = Object.keys(template);
  if (!keys.includes('t') || !keys.includes('pkt')) return spreadCopy;
  const shape = keys.join(',');
  let copy = byShape.get(shape);
  if (copy === undefined) {
    const fields = keys.map((k) => {
      const name = JSON.stringify(k);
      return k === 't' ? 't: t' : k === 'pkt' ? 'pkt: pkt' : `${name}: s[${name}]`;
    });
    copy = new Function('s', 't', 'pkt', `return { ${fields.join(', ')} };`) as Copier;
    byShape.set(shape, copy);
  }
  return copy;
}

/** Any event, by spread (`t` and `pkt` added last if the template lacks them). */
function spreadCopy(template: TraceEvent, t: number, pkt: number): TraceEvent {
  const x = { ...template };
  x.t = t;
  x.pkt = pkt;
  return x;
}

/** Each replayed template's copier (templates live as long as the flow table keeps their walk)... */
const copiers = new WeakMap<TraceEvent, Copier>();
/** Each replayed segment's copiers, in order. */
const segmentCopiers = new WeakMap<readonly TraceEvent[], readonly Copier[]>();
/** ...made once per shape (the keys in order): a few dozen at most, however many walks are recorded. */
const byShape = new Map<string, Copier>();

import { describeFrame, describeIpv4 } from '../wire/describe.js';
import type { CreateEvent, FrameSummary } from './events.js';

/** The bytes `e` will describe its frame from; undefined once described (trace/event-store.ts keeps these). */
export let bytesOf: (e: FrameEvent | CreateFrameEvent) => Uint8Array | undefined;
/** Whether `e`'s bytes are an IPv4 packet (an L3-only device), not an Ethernet frame. */
export let isL3only: (e: FrameEvent | CreateFrameEvent) => boolean;

/**
 * The events that carry a frame (`create`, `tx`, `rx`) as classes whose
 * `frame` is described from the bytes when first read: a report, the JSON
 * output or a matcher reads it; a run that only counts outcomes never pays
 * for describing the frame of every hop.
 *
 * Until read, `frame` is a getter on the prototype (one for every event, not
 * a property defined per event) and the bytes sit in a private field (no
 * property at all: JSON, spread and `Object.keys` never see them). The first
 * read makes `frame` an own data property; it comes last among the keys, as
 * in the object literals these classes replace, so a read event is the same
 * plain-looking object as before. `toJSON` reads it first, so JSON text is
 * byte-identical whether or not anyone looked before. A copy by spread
 * (`{ ...e }`) sees own properties only: use `settled(e)` first.
 *
 * The bytes must not change once an event holds them: the kernel `share`s a
 * packet's bytes when it traces them and copies before any later write
 * (kernel/skb.ts `cow`).
 */
abstract class Framed {
  #bytes: Uint8Array | undefined;
  readonly #l3only: boolean;

  static {
    bytesOf = (e) => e.#bytes;
    isL3only = (e) => e.#l3only;
  }

  constructor(bytes: Uint8Array, l3only: boolean) {
    this.#bytes = bytes;
    this.#l3only = l3only;
  }

  get frame(): FrameSummary {
    const b = this.#bytes!;
    return this.settle(this.#l3only ? describeIpv4(b) : describeFrame(b));
  }

  set frame(f: FrameSummary) {
    this.settle(f);
  }

  /** JSON.stringify: the own properties, `frame` read first (so it is there, last). */
  toJSON(): this {
    if (this.#bytes !== undefined) void this.frame;
    return this;
  }

  private settle(f: FrameSummary): FrameSummary {
    this.#bytes = undefined; // described: the bytes may go
    Object.defineProperty(this, 'frame', { value: f, writable: true, enumerable: true, configurable: true });
    return f;
  }
}

/** A device sent (`tx`) or received (`rx`) a frame. */
export class FrameEvent extends Framed {
  // `declare`: no class fields (each would be defined, then assigned); the constructor makes them, in order.
  declare kind: 'tx' | 'rx';
  declare t: number;
  declare pkt: number;
  declare at: string;

  constructor(kind: 'tx' | 'rx', t: number, pkt: number, at: string, bytes: Uint8Array, l3only: boolean) {
    super(bytes, l3only);
    // Assigned in the order JSON has always printed them: kind, t, pkt, at (then frame).
    this.kind = kind;
    this.t = t;
    this.pkt = pkt;
    this.at = at;
  }
}

/** A packet came into existence (see CreateEvent). */
export class CreateFrameEvent extends Framed {
  declare kind: 'create';
  declare t: number;
  declare pkt: number;
  declare at: string;
  declare flow?: string;
  declare cause?: number;
  declare by: CreateEvent['by'];

  constructor(t: number, pkt: number, at: string, flow: string | undefined, cause: number | undefined, by: CreateEvent['by'], bytes: Uint8Array, l3only: boolean) {
    super(bytes, l3only);
    // Keys in the order JSON has always printed them: kind, t, pkt, at, flow, cause, by (then frame);
    // flow and cause only when there is one.
    this.kind = 'create';
    this.t = t;
    this.pkt = pkt;
    this.at = at;
    if (flow !== undefined) this.flow = flow;
    if (cause !== undefined) this.cause = cause;
    this.by = by;
  }
}

/** The `len` bytes at `off` of `mem` (a whole buffer's memory, byteOffset 0) as a view: an event's bytes told by their place. */
export function bytesIn(mem: Uint8Array, off: number, len: number): Uint8Array {
  return new Uint8Array(mem.buffer, off, len);
}

/** `e` with its `frame` read, if it has one: its own properties are then everything JSON prints. */
export function settled<E extends object>(e: E): E {
  if (e instanceof Framed) void e.frame;
  return e;
}


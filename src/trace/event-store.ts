import type { TraceEvent } from './events.js';
import { bytesOf, FrameEvent, isL3only } from './framed.js';

/** How a stored event is kept (one byte each). */
const PLAIN = 0; // the event object itself
const TX = 1; // a `tx` FrameEvent as its parts: at, bytes (refs); t, pkt (numbers)
const RX = 2;
const L3ONLY = 4; // flag on TX/RX: the bytes are an IPv4 packet, not an Ethernet frame
const COPY = 8; // a copy of a template event with its own t and pkt: template (refs); t, pkt (numbers)

/**
 * The events of a run that keeps its whole trace, in order. A traced
 * packet's walk is some 25 events; kept as objects they all outlive the young
 * generation, and a long run's garbage collector spends its time copying and
 * marking them. So the events whose content is a few numbers and references
 * to things kept anyway — a device's `tx`/`rx` (where, the bytes) and a
 * recorded hop event replayed for another packet (the template, its time and
 * packet) — are kept as those parts in flat arrays, and made into objects
 * again when the trace is read (`all`); every other event is kept as it is.
 *
 * Reading materialises what is pending and keeps the objects from then on,
 * so reading twice gives the same objects, and the array grows with later
 * events at the next read. An event that was kept in parts is an equal new
 * object, not the one the sinks saw when it was emitted.
 */
export class EventStore {
  private readonly list: TraceEvent[] = [];
  // Pending events in parts, in order: one tag each; their references and numbers in order of the tags.
  private tags = new Uint8Array(1024);
  private nums = new Float64Array(2048);
  private refs: unknown[] = [];
  private n = 0;
  private nn = 0;

  /** Keep `e` (as it is now: a `tx`/`rx` event's frame is the one its bytes describe). */
  add(e: TraceEvent): void {
    if (e instanceof FrameEvent) {
      const bytes = bytesOf(e);
      if (bytes !== undefined) {
        this.refs.push(e.at, bytes);
        this.parts((e.kind === 'tx' ? TX : RX) | (isL3only(e) ? L3ONLY : 0), e.t, e.pkt);
        return;
      }
    }
    this.refs.push(e);
    this.tag(PLAIN);
  }

  /** Keep `copyOf(template, t, pkt)` (a plain event: no frame). */
  addCopy(template: TraceEvent, t: number, pkt: number): void {
    this.refs.push(template);
    this.parts(COPY, t, pkt);
  }

  /** Every event kept, in order. */
  all(): TraceEvent[] {
    if (this.n > 0) this.materialise();
    return this.list;
  }

  private parts(tag: number, t: number, pkt: number): void {
    if (this.nn + 2 > this.nums.length) {
      const bigger = new Float64Array(this.nums.length * 2);
      bigger.set(this.nums);
      this.nums = bigger;
    }
    this.nums[this.nn++] = t;
    this.nums[this.nn++] = pkt;
    this.tag(tag);
  }

  private tag(tag: number): void {
    if (this.n === this.tags.length) {
      const bigger = new Uint8Array(this.tags.length * 2);
      bigger.set(this.tags);
      this.tags = bigger;
    }
    this.tags[this.n++] = tag;
  }

  private materialise(): void {
    const { tags, nums, refs, list } = this;
    let r = 0;
    let k = 0;
    for (let i = 0; i < this.n; i++) {
      const tag = tags[i]!;
      if (tag === PLAIN) list.push(refs[r++] as TraceEvent);
      else if (tag === COPY) list.push(copyOf(refs[r++] as TraceEvent, nums[k++]!, nums[k++]!));
      else {
        const at = refs[r++] as string;
        const bytes = refs[r++] as Uint8Array;
        list.push(new FrameEvent((tag & 3) === TX ? 'tx' : 'rx', nums[k++]!, nums[k++]!, at, bytes, (tag & L3ONLY) !== 0));
      }
    }
    this.n = 0;
    this.nn = 0;
    this.refs = [];
  }
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

type Copier = (template: TraceEvent, t: number, pkt: number) => TraceEvent;

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
/** ...made once per shape (the keys in order): a few dozen at most, however many walks are recorded. */
const byShape = new Map<string, Copier>();

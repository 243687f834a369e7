/** Slots of the window (a power of two): far more than the packets a run usually has in flight at once. */
const WINDOW = 256;
const MASK = WINDOW - 1;
const EMPTY = -1;

/**
 * A map from packet ids to what the flow bookkeeping keeps per packet, for
 * state that comes and goes with each packet. Packet ids are handed out in
 * order and most packets end soon after they start, so the live ones nearly
 * always fit a small window: each id has one slot (its id modulo the
 * window), found without hashing and reused without a table rebuilt (a Map
 * whose entries keep coming and going makes a new hash table every few
 * inserts). A packet whose slot a newer one needs (one that lives long: a
 * TCP segment held, an answer awaited) moves to a Map. Not iterable: only
 * what the flow bookkeeping needs of a map.
 */
export class PacketMap<V> {
  /** The packet id in each slot (EMPTY: none). */
  private readonly ids = new Float64Array(WINDOW).fill(EMPTY);
  private readonly values: (V | undefined)[] = new Array<V | undefined>(WINDOW).fill(undefined);
  /** Packets moved out of their slot by a newer one. */
  private readonly moved = new Map<number, V>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(pkt: number): V | undefined {
    const i = pkt & MASK;
    if (this.ids[i] === pkt) return this.values[i];
    return this.moved.size === 0 ? undefined : this.moved.get(pkt);
  }

  set(pkt: number, value: V): void {
    const i = pkt & MASK;
    const there = this.ids[i]!;
    if (there === pkt) {
      this.values[i] = value;
      return;
    }
    if (this.moved.size > 0 && this.moved.has(pkt)) {
      this.moved.set(pkt, value);
      return;
    }
    // The newer packet takes the slot: it is the one whose events are coming.
    if (there !== EMPTY) this.moved.set(there, this.values[i]!);
    this.ids[i] = pkt;
    this.values[i] = value;
    this.count++;
  }

  delete(pkt: number): void {
    const i = pkt & MASK;
    if (this.ids[i] === pkt) {
      this.ids[i] = EMPTY;
      this.values[i] = undefined;
      this.count--;
    } else if (this.moved.size > 0 && this.moved.delete(pkt)) this.count--;
  }
}

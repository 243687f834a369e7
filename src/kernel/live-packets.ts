import type { Skb } from './skb.js';

/**
 * The packets created and not yet ended in a deliver or drop, in creation
 * order (what the accounting check and the end of a run read). A list
 * threaded through the packets themselves (`skb.livePrev`/`liveNext`): a
 * packet joins and leaves it without allocating — a Map keyed by packet id
 * grew, shrank and rehashed its table as packets came and went, several
 * times per datagram's worth of garbage.
 */
export class LivePackets {
  private first: Skb | undefined;
  private last: Skb | undefined;
  private count = 0;

  /** Packets in flight. */
  get size(): number {
    return this.count;
  }

  /** Whether `skb` is still in flight: in the list (the first has no packet before it). */
  has(skb: Skb): boolean {
    return skb.livePrev !== undefined || this.first === skb;
  }

  add(skb: Skb): void {
    const last = this.last;
    skb.livePrev = last;
    skb.liveNext = undefined;
    if (last === undefined) this.first = skb;
    else last.liveNext = skb;
    this.last = skb;
    this.count++;
  }

  /** Take `skb` out; false when it had already ended. */
  remove(skb: Skb): boolean {
    if (!this.has(skb)) return false;
    const prev = skb.livePrev;
    const next = skb.liveNext;
    if (prev === undefined) this.first = next;
    else prev.liveNext = next;
    if (next === undefined) this.last = prev;
    else next.livePrev = prev;
    // An ended packet keeps no other packet alive (a trace or a socket may hold it long).
    skb.livePrev = undefined;
    skb.liveNext = undefined;
    this.count--;
    return true;
  }

  /** The packets in flight, oldest first (a copy: ending them while walking it is safe). */
  values(): Skb[] {
    const out: Skb[] = [];
    for (let s = this.first; s !== undefined; s = s.liveNext) out.push(s);
    return out;
  }
}

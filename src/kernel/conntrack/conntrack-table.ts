import type { CtEntry, CtTuple } from './conntrack.js';

/** One tuple in the table: the direction of `entry` it stands for, and the next slot of its hash chain. */
export interface CtSlot {
  readonly entry: CtEntry;
  readonly dir: 0 | 1;
  readonly src: number;
  readonly dst: number;
  readonly protocol: number;
  readonly sport: number;
  readonly dport: number;
  next: CtSlot | undefined;
}

/**
 * The conntrack hash table (nf_conntrack_hash): tuples to the connection
 * direction they belong to. Keyed by a 32-bit hash of the tuple's numbers
 * (a small integer key, so a lookup builds no string), collisions chained and
 * told apart by comparing the fields. Tuples are equal as the kernel's are:
 * protocol, both addresses, both 16-bit ports (or ICMP id).
 */
export class CtTable {
  private readonly buckets = new Map<number, CtSlot>();
  /**
   * Bumped whenever a tuple stops mapping where it did (removed, or replaced: `set` removes first). While it
   * stands still, a tuple `get` found keeps its slot: adding other tuples never moves it (the flow table's check).
   */
  removals = 0;

  get(t: CtTuple): CtSlot | undefined {
    const src = t.src >>> 0;
    const dst = t.dst >>> 0;
    const protocol = t.protocol & 0xffff;
    const sport = t.sport & 0xffff;
    const dport = t.dport & 0xffff;
    for (let s = this.buckets.get(hash(src, dst, protocol, sport, dport)); s; s = s.next) {
      if (s.src === src && s.dst === dst && s.sport === sport && s.dport === dport && s.protocol === protocol) return s;
    }
    return undefined;
  }

  /** Map `t` to `entry`'s direction `dir`, replacing what `t` mapped to. */
  set(t: CtTuple, entry: CtEntry, dir: 0 | 1): void {
    this.delete(t);
    const slot: CtSlot = { entry, dir, src: t.src >>> 0, dst: t.dst >>> 0, protocol: t.protocol & 0xffff, sport: t.sport & 0xffff, dport: t.dport & 0xffff, next: undefined };
    const h = hash(slot.src, slot.dst, slot.protocol, slot.sport, slot.dport);
    slot.next = this.buckets.get(h);
    this.buckets.set(h, slot);
  }

  delete(t: CtTuple): void {
    const src = t.src >>> 0;
    const dst = t.dst >>> 0;
    const protocol = t.protocol & 0xffff;
    const sport = t.sport & 0xffff;
    const dport = t.dport & 0xffff;
    const h = hash(src, dst, protocol, sport, dport);
    let prev: CtSlot | undefined;
    for (let s = this.buckets.get(h); s; prev = s, s = s.next) {
      if (s.src !== src || s.dst !== dst || s.sport !== sport || s.dport !== dport || s.protocol !== protocol) continue;
      if (prev) prev.next = s.next;
      else if (s.next) this.buckets.set(h, s.next);
      else this.buckets.delete(h);
      this.removals++;
      return;
    }
  }
}

/** A 32-bit mix of the tuple (murmur3's finaliser steps), as a signed integer: a small-integer Map key. */
function hash(src: number, dst: number, protocol: number, sport: number, dport: number): number {
  let h = Math.imul(src ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul((h ^ (h >>> 15)) ^ dst, 0xc2b2ae35);
  h = Math.imul((h ^ (h >>> 13)) ^ ((sport << 16) | dport), 0x85ebca6b);
  h = Math.imul((h ^ (h >>> 16)) ^ protocol, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

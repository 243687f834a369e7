/**
 * Where the kernel keeps the members of a `hash:*` ipset (ip_set_hash_gen.h),
 * for what `ipset list` and `ipset save` show of it: the members in bucket
 * order, the table's size once it has grown, and "Size in memory".
 *
 * A member's bucket is jhash2 of its element struct, read as the CPU's
 * (little-endian) 32-bit words, with the set's `initval`, masked to the
 * table's size. A bucket is an array that starts with 2 slots and grows by 2;
 * a deleted member leaves a hole the next add in that bucket reuses, and a
 * bucket with 2 holes or more shrinks by 2. When an add finds its bucket
 * full at `bucketsize` (12), the table doubles and every member is hashed
 * again in bucket order, as `ipset add` retries after the kernel's -EAGAIN.
 *
 * Size in memory is the kernel's own bookkeeping, quirks included: every
 * new or grown bucket adds the bucket header and two slots, a freed bucket
 * subtracts its header and all its slots. The fixed part (the set's
 * structures for a table of up to 1,024 buckets) is what Linux 6.18 on
 * x86-64 reports, measured on this project's machine; it differs a little
 * between kernel versions and architectures.
 */

import { jhash2 } from '../conntrack/jhash.js';

/** The hash types, by how their element struct is laid out. */
export type HashSetType = 'hash:ip' | 'hash:ip,port' | 'hash:ip,port,ip' | 'hash:ip,port,net' | 'hash:net';

/** AHASH_INIT_SIZE: slots a bucket starts with and grows or shrinks by. */
const INIT_SLOTS = 2;
/** AHASH_MAX_SIZE: the default (and largest) bucketsize. */
export const DEFAULT_BUCKETSIZE = 12;
/** IPSET_MIMINAL_HASHSIZE. */
const MIN_HASHSIZE = 64;
/** sizeof(struct hbucket): rcu head, the used-slot bitmap, size and pos, padded to 8. */
const BUCKET_HEADER = 32;
/** sizeof(struct ip_set_region): one per 1,024 buckets. */
const REGION = 24;
/** The element struct's size (set->dsize without extensions). */
const ELEMENT_SIZE: Record<HashSetType, number> = { 'hash:ip': 4, 'hash:ip,port': 8, 'hash:ip,port,ip': 12, 'hash:ip,port,net': 12, 'hash:net': 8 };
/** Size in memory of the empty set with one region (struct htype + struct htable + a region), Linux 6.18 x86-64. */
const FIXED_SIZE: Record<HashSetType, number> = { 'hash:ip': 216, 'hash:ip,port': 216, 'hash:ip,port,ip': 208, 'hash:ip,port,net': 464, 'hash:net': 456 };

interface Slot {
  readonly text: string;
  readonly words: readonly number[];
}

interface Bucket {
  /** Allocated slots. */
  size: number;
  /** Slots in use or holes: the first free slot is here. */
  pos: number;
  readonly slots: (Slot | undefined)[];
}

/** The table's bits for a requested hashsize: rounded up to a power of two, at least 64. */
function bitsFor(hashsize: number): number {
  const n = Math.max(MIN_HASHSIZE, hashsize >>> 0);
  return 32 - Math.clz32(n - 1);
}

/** The bucketsize the kernel keeps for a requested one: 2 to 12, even. */
export function clampBucketsize(b: number): number {
  if (b < INIT_SLOTS) return INIT_SLOTS;
  if (b > DEFAULT_BUCKETSIZE) return DEFAULT_BUCKETSIZE;
  return b % 2 ? b + 1 : b;
}

export class HashTable {
  private bits: number;
  private buckets = new Map<number, Bucket>();
  /** Bytes of buckets as the kernel counts them (the regions' ext_size). */
  private bucketBytes = 0;
  private readonly dsize: number;

  constructor(
    readonly type: HashSetType,
    hashsize: number,
    readonly initval: number,
    readonly bucketsize: number,
  ) {
    this.bits = bitsFor(hashsize);
    this.dsize = ELEMENT_SIZE[type];
  }

  /** The table's size now (`hashsize` in the header: it doubles as the set grows). */
  get hashsize(): number {
    return 2 ** this.bits;
  }

  /** "Size in memory". */
  get memsize(): number {
    const regions = this.bits < 10 ? 1 : 2 ** (this.bits - 10);
    return FIXED_SIZE[this.type] + (regions - 1) * REGION + this.bucketBytes;
  }

  add(text: string, words: readonly number[]): void {
    for (;;) {
      if (this.place(this.buckets, this.bits, { text, words }, false)) return;
      this.resize();
    }
  }

  del(text: string, words: readonly number[]): void {
    const key = this.key(words, this.bits);
    const n = this.buckets.get(key);
    if (!n) return;
    const i = n.slots.findIndex((s, j) => j < n.pos && s?.text === text);
    if (i < 0) return;
    n.slots[i] = undefined;
    if (i + 1 === n.pos) n.pos--;
    let holes = 0;
    for (let j = 0; j < n.pos; j++) if (!n.slots[j]) holes++;
    if (n.pos === 0 && holes === 0) {
      this.bucketBytes -= BUCKET_HEADER + n.size * this.dsize;
      this.buckets.delete(key);
    } else if (holes >= INIT_SLOTS) {
      const kept = n.slots.slice(0, n.pos).filter((s): s is Slot => s !== undefined);
      this.buckets.set(key, { size: n.size - INIT_SLOTS, pos: kept.length, slots: kept });
      this.bucketBytes -= BUCKET_HEADER + INIT_SLOTS * this.dsize;
    }
  }

  /** `ipset flush`: every bucket freed; the table keeps its size. */
  flush(): void {
    this.buckets = new Map();
    this.bucketBytes = 0;
  }

  /** The members as the kernel dumps them: bucket by bucket, slot by slot. */
  members(): string[] {
    return this.inOrder().map((s) => s.text);
  }

  private inOrder(): Slot[] {
    const out: Slot[] = [];
    for (const key of [...this.buckets.keys()].sort((a, b) => a - b)) {
      const n = this.buckets.get(key)!;
      for (let j = 0; j < n.pos; j++) {
        const s = n.slots[j];
        if (s) out.push(s);
      }
    }
    return out;
  }

  private key(words: readonly number[], bits: number): number {
    return (jhash2(words, this.initval) & (2 ** bits - 1)) >>> 0;
  }

  /**
   * mtype_add (or the re-hash of mtype_resize with `rehash`): reuse the
   * bucket's first hole, else take its next slot, growing it by two; false
   * when the bucket is full at bucketsize (the table must grow).
   */
  private place(buckets: Map<number, Bucket>, bits: number, slot: Slot, rehash: boolean): boolean {
    const key = this.key(slot.words, bits);
    const n = buckets.get(key);
    if (!n) {
      buckets.set(key, { size: INIT_SLOTS, pos: 1, slots: [slot] });
      this.bucketBytes += BUCKET_HEADER + INIT_SLOTS * this.dsize;
      return true;
    }
    if (!rehash) {
      const hole = n.slots.findIndex((s, j) => j < n.pos && s === undefined);
      if (hole >= 0) {
        n.slots[hole] = slot;
        return true;
      }
    }
    if (n.pos >= n.size) {
      if (n.size >= this.bucketsize) return false;
      n.size += INIT_SLOTS;
      this.bucketBytes += BUCKET_HEADER + INIT_SLOTS * this.dsize;
    }
    n.slots[n.pos++] = slot;
    return true;
  }

  /** mtype_resize: a table twice the size (again while a bucket overflows), filled in bucket order. */
  private resize(): void {
    const old = this.inOrder();
    for (let bits = this.bits + 1; bits <= 31; bits++) {
      const buckets = new Map<number, Bucket>();
      const saved = this.bucketBytes;
      this.bucketBytes = 0;
      if (old.every((s) => this.place(buckets, bits, s, true))) {
        this.bits = bits;
        this.buckets = buckets;
        return;
      }
      this.bucketBytes = saved;
    }
    throw new Error('ipset: cannot increase the hashsize of the set further');
  }
}

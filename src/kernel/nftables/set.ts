import { formatValue, type NftType, type Range } from './datatypes.js';
import { formatDuration } from './duration.js';
import { formatVerdict, type NftVerdict } from './verdict.js';

/** One element of a set or map. */
export interface NftElement {
  /** One range per component of the (possibly concatenated) key. */
  key: Range[];
  /** Map data (verdict maps only here). */
  verdict?: NftVerdict;
  comment?: string;
  /** Timeout sets: when the element lapses (simulated ns), and the timeout it was given (ms). */
  expiresNs?: number;
  timeoutMs?: number;
  /** Added from the packet path (`update @set`, nft_dynset), not by `nft add element`. */
  dynset?: true;
}

/**
 * A named (or anonymous) nftables set or map. Elements whose key is one value
 * per component sit in a hash keyed by those values, so a lookup costs the
 * same with ten elements as with ten thousand, like the kernel's nft_hash;
 * prefixes and ranges (anonymous `{ 10.0.0.0/8 }`, `flags interval`) are kept
 * in a list and scanned, like nft_rbtree/pipapo. Timed-out elements are
 * invisible to lookups and listings (the kernel's garbage collector removes
 * them later; nothing here can tell the difference).
 */
export class NftSet {
  readonly keyTypes: NftType[];
  readonly isMap: boolean;
  flags: string[] = [];
  timeoutMs: number | undefined;
  comment: string | undefined;
  /** `auto-merge`: nft joins overlapping and adjacent ranges of a `flags interval` set (intervals.ts). */
  autoMerge = false;
  /** `size`: the most elements it may hold (not enforced: nothing here comes near it). */
  maxElements: number | undefined;
  private readonly exact = new Map<string, NftElement>();
  private readonly ranges: NftElement[] = [];

  constructor(
    readonly name: string,
    keyTypes: NftType[],
    isMap: boolean,
  ) {
    this.keyTypes = keyTypes;
    this.isMap = isMap;
  }

  get hasTimeout(): boolean {
    return this.flags.includes('timeout') || this.timeoutMs !== undefined;
  }

  /** An element was ever given a timeout (it lapses with time, no commit needed). */
  private timed = false;

  /**
   * Whether a lookup's answer may change without a commit (nft's generation):
   * elements that time out, or a set the packet path writes (`dynamic`). The
   * flow table does not replay a walk that looked into one (flowtable.ts).
   */
  get changesUncommitted(): boolean {
    return this.timed || this.hasTimeout || this.flags.includes('dynamic');
  }

  /** Add (or, for `update`, refresh) an element; an existing one keeps its data, as `nft add element` does. */
  add(el: NftElement): boolean {
    if (el.expiresNs !== undefined) this.timed = true;
    if (el.key.every((r) => r.lo === r.hi)) {
      const k = keyString(el.key);
      if (this.exact.has(k)) return false;
      this.exact.set(k, el);
      return true;
    }
    const k = keyString(el.key);
    if (this.ranges.some((e) => keyString(e.key) === k)) return false;
    this.ranges.push(el);
    return true;
  }

  /** The element with exactly this key, if any. */
  find(key: Range[]): NftElement | undefined {
    const k = keyString(key);
    return this.exact.get(k) ?? this.ranges.find((x) => keyString(x.key) === k);
  }

  /** Remove the element with exactly this key; false when there is none. */
  delete(key: Range[]): NftElement | undefined {
    const k = keyString(key);
    const e = this.exact.get(k);
    if (e) {
      this.exact.delete(k);
      return e;
    }
    const i = this.ranges.findIndex((x) => keyString(x.key) === k);
    if (i < 0) return undefined;
    return this.ranges.splice(i, 1)[0];
  }

  flush(): NftElement[] {
    const all = [...this.exact.values(), ...this.ranges];
    this.exact.clear();
    this.ranges.length = 0;
    return all;
  }

  /** The element a key (one value per component) falls in, if any and not timed out. */
  lookup(values: readonly number[], nowNs: number): NftElement | undefined {
    const e = this.exact.get(values.join(','));
    if (e && live(e, nowNs)) return e;
    for (const r of this.ranges) {
      if (!live(r, nowNs)) continue;
      let ok = true;
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!;
        if (v < r.key[i]!.lo || v > r.key[i]!.hi) {
          ok = false;
          break;
        }
      }
      if (ok) return r;
    }
    return undefined;
  }

  /**
   * `update @set { key }` from the packet path: add the element with the set's
   * timeout, or restart the timeout of the one there (nft_dynset).
   */
  update(values: readonly number[], nowNs: number, refresh: boolean): NftElement {
    const key = values.map((v) => ({ lo: v, hi: v }));
    const k = keyString(key);
    const e = this.exact.get(k);
    const t = this.timeoutMs;
    if (e && live(e, nowNs)) {
      if (refresh && t !== undefined) e.expiresNs = nowNs + t * 1e6;
      return e;
    }
    const el: NftElement = { key, dynset: true, ...(t === undefined ? {} : { timeoutMs: t, expiresNs: nowNs + t * 1e6 }) };
    this.exact.set(k, el);
    return el;
  }

  /** Live elements in insertion order (exact ones first). */
  elements(nowNs: number): NftElement[] {
    return [...this.exact.values(), ...this.ranges].filter((e) => live(e, nowNs));
  }

  get size(): number {
    return this.exact.size + this.ranges.length;
  }

  /** The type declaration as nft writes it: `ipv4_addr . inet_proto . inet_service : verdict`. */
  typeText(): string {
    return this.keyTypes.join(' . ') + (this.isMap ? ' : verdict' : '');
  }

  /**
   * An element as nft prints it. With `nowNs` (nft list), a timed element adds
   * `expires 2h59m50s`, after `timeout 1h` when the kernel sends the element's
   * own timeout: when it differs from the set's, or, with `dynsetTimeoutListed`
   * (a kernel before 6.12, MachineKernel), on any element the packet path added.
   */
  formatElement(e: NftElement, nowNs?: number, dynsetTimeoutListed = false): string {
    let s = e.key.map((r, i) => formatValue(this.keyTypes[i]!, r)).join(' . ');
    if (nowNs !== undefined && e.expiresNs !== undefined) {
      if (e.timeoutMs !== this.timeoutMs || (e.dynset && dynsetTimeoutListed)) s += ` timeout ${formatDuration(e.timeoutMs ?? 0)}`;
      s += ` expires ${formatDuration(Math.max(0, Math.ceil((e.expiresNs - nowNs) / 1e6)))}`;
    }
    if (e.comment !== undefined) s += ` comment "${e.comment}"`;
    if (e.verdict) s += ` : ${formatVerdict(e.verdict)}`;
    return s;
  }
}

function live(e: NftElement, nowNs: number): boolean {
  return e.expiresNs === undefined || e.expiresNs > nowNs;
}

function keyString(key: readonly Range[]): string {
  return key.every((r) => r.lo === r.hi) ? key.map((r) => r.lo).join(',') : key.map((r) => `${r.lo}-${r.hi}`).join(',');
}

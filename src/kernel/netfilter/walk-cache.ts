import type { Match } from './match.js';
import { T_MARK, type Target } from './target.js';
import type { Rule } from './rule.js';
import type { Counters, Hook, NfPacket, TableName, Traversal } from './types.js';

/**
 * The fast path's cache of rule walks (see ../fast-path.ts), in the spirit of
 * Open vSwitch's megaflow cache: a table's walk for a hook is a function of
 * the packet fields its rules read and of the state they consult — the rule
 * set, the ipsets (`-m set`) and the namespace's routes and link states
 * (`-m addrtype`) — as long as no rule it reached draws a random number
 * (`-m statistic`), reads a clock or keeps state (`-m recent`), or is a match
 * or target this cache does not know. Such a walk is not cached. Cached
 * results are returned as they are (callers only read them) with the mark the
 * walk left, and bump the counters the walk bumped (rules whose matches held,
 * the policy) by the packet's own length.
 */

/** Match modules whose test reads only the packet fields in the key (addrtype: + routes, set: + ipsets). */
const CACHEABLE_MODULES: ReadonlySet<string> = new Set(['comment', 'nfacct', 'tcp', 'udp', 'sctp', 'icmp', 'multiport', 'mark', 'conntrack', 'addrtype', 'set']);

/** A rule a cached walk must not reach: a match or target whose outcome is not a function of the key. */
export function isVolatile(matches: readonly Match[], target: Target): boolean {
  // Targets after MARK (none yet) may have side effects a replay would miss.
  if (target.kind > T_MARK) return true;
  return matches.some((m) => !m.inert && !CACHEABLE_MODULES.has(m.module));
}

/** Does any match of the rule read the source port (only then is it part of the key)? */
export function readsSourcePort(matches: readonly Match[]): boolean {
  return matches.some((m) => !m.inert && m.readsSport === true);
}

/** One cached walk: the key fields it was computed for, its result, and the mark it left. */
export interface CachedWalk {
  src: number;
  dst: number;
  protocol: number;
  sport: number;
  dport: number;
  tcpFlags: number;
  icmp: number;
  mark: number;
  ct: number;
  inIf: string | undefined;
  outIf: string | undefined;
  result: Traversal;
  markOut: number;
  /** The rule and policy counters the walk bumped: a hit bumps them again, with its own length. */
  counted: readonly Counters[];
  /** The next entry with the same hash. */
  next: CachedWalk | undefined;
}

/** Entries per namespace before the cache starts over (bounded memory). */
const WALK_CACHE_MAX = 8192;

const CT_BITS: Readonly<Record<string, number>> = { NEW: 1, ESTABLISHED: 2, RELATED: 4, INVALID: 8, UNTRACKED: 16, SNAT: 32, DNAT: 64 };
const HOOK_SLOT: Readonly<Record<Hook, number>> = { PREROUTING: 0, INPUT: 4, FORWARD: 8, OUTPUT: 12, POSTROUTING: 16 };
const TABLE_SLOT: Readonly<Record<TableName, number>> = { raw: 0, mangle: 1, nat: 2, filter: 3 };

/**
 * The walks of one namespace, by table and hook, hashed on the packet fields
 * (numbers only: building a string key per packet cost more than walking a
 * small rule set) and compared field by field on a hit. The source port is
 * part of the key only when a rule of the table reads it, so that the new
 * connections of one client to one Service share their walks.
 */
export class WalkCache {
  private readonly slots: Map<number, CachedWalk>[] = Array.from({ length: 20 }, () => new Map());
  private size = 0;

  clear(): void {
    if (this.size === 0) return;
    for (const m of this.slots) m.clear();
    this.size = 0;
  }

  get(table: TableName, hook: Hook, p: NfPacket, withSport: boolean): CachedWalk | undefined {
    const ct = ctBits(p);
    const sport = withSport ? (p.sport ?? -1) : -1;
    const icmp = p.icmpType === undefined ? -1 : (p.icmpType << 8) | (p.icmpCode ?? 0);
    let e = this.slots[HOOK_SLOT[hook] + TABLE_SLOT[table]]!.get(hash(p, sport, ct));
    for (; e !== undefined; e = e.next) {
      if (e.src === p.src && e.dst === p.dst && e.protocol === p.protocol && e.sport === sport && e.dport === (p.dport ?? -1) && e.tcpFlags === (p.tcpFlags ?? -1) && e.icmp === icmp && e.mark === p.mark && e.ct === ct && e.inIf === p.inIf && e.outIf === p.outIf) {
        return e;
      }
    }
    return undefined;
  }

  /** Store a walk; `p` as it was before the walk (its mark), `markOut` as the walk left it. */
  set(table: TableName, hook: Hook, p: NfPacket, markIn: number, withSport: boolean, result: Traversal, markOut: number, counted: readonly Counters[]): void {
    if (this.size >= WALK_CACHE_MAX) this.clear();
    const ct = ctBits(p);
    const sport = withSport ? (p.sport ?? -1) : -1;
    const icmp = p.icmpType === undefined ? -1 : (p.icmpType << 8) | (p.icmpCode ?? 0);
    const slot = this.slots[HOOK_SLOT[hook] + TABLE_SLOT[table]]!;
    const key = hash({ ...p, mark: markIn }, sport, ct);
    const entry: CachedWalk = { src: p.src, dst: p.dst, protocol: p.protocol, sport, dport: p.dport ?? -1, tcpFlags: p.tcpFlags ?? -1, icmp, mark: markIn, ct, inIf: p.inIf, outIf: p.outIf, result, markOut, counted, next: slot.get(key) };
    slot.set(key, entry);
    this.size++;
  }
}

function ctBits(p: NfPacket): number {
  let bits = 0;
  const states = p.ctstate;
  for (let i = 0; i < states.length; i++) bits |= CT_BITS[states[i]!] ?? 128;
  return bits;
}

function hash(p: NfPacket, sport: number, ct: number): number {
  let h = Math.imul(p.src ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ p.dst, 0xc2b2ae35);
  h = Math.imul(h ^ ((p.protocol << 16) ^ (p.dport ?? 0xffff)), 0x27d4eb2f);
  h = Math.imul(h ^ sport ^ (ct << 20) ^ (p.tcpFlags ?? 0) << 12, 0x165667b1);
  h = Math.imul(h ^ p.mark, 0x85ebca6b);
  return h ^ (h >>> 15);
}

/** Whether some rule of the table reads the source port. */
export function tableReadsSport(chains: Iterable<{ rules: readonly Rule[] }>): boolean {
  for (const c of chains) for (const r of c.rules) if (r.readsSport) return true;
  return false;
}

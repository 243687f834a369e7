/** ip_list_tot: xt_recent's module parameter default, addresses a list remembers. */
export const RECENT_MAX_ENTRIES = 100;
/** The largest --hitcount xt_recent accepts (XT_RECENT_MAX_NSTAMPS - 1). */
export const RECENT_MAX_HITCOUNT = 255;

/**
 * Hit times a list keeps per address for a rule naming it, as recent_mt_check
 * sizes them with ip_pkt_list_tot at its default 0: the rule's --hitcount
 * rounded up to a power of two, or 32 without one.
 */
export function recentStampsFor(hitcount: number): number {
  if (hitcount === 0) return 32;
  let n = 1;
  while (n < hitcount) n *= 2;
  return n;
}

/** One address in a list: its last hit times (ns), oldest first, at most the list's `stamps`. */
export interface RecentEntry {
  stamps: number[];
}

/** One list (/proc/net/xt_recent/NAME): addresses in LRU order, the least recently updated first. */
export class RecentList extends Map<number, RecentEntry> {
  /** Hit times kept per address: the most any rule naming the list asked for (recentStampsFor). */
  stamps = 0;
}

/**
 * The `-m recent` lists of one namespace. A list holds at most
 * RECENT_MAX_ENTRIES addresses; adding one more evicts the least recently
 * updated, as xt_recent's LRU does. Lists outlive rule replacement, as they
 * do while some rule still names them.
 */
export class RecentLists {
  private readonly lists = new Map<string, RecentList>();

  /**
   * The list `name`; a rule that needs more hit times per address than the
   * list keeps (`stamps`) flushes it and makes it keep that many, as
   * recent_mt_check does when a rule with a larger --hitcount is added.
   */
  list(name: string, stamps = 0): RecentList {
    let l = this.lists.get(name);
    if (!l) this.lists.set(name, (l = new RecentList()));
    if (stamps > l.stamps) {
      l.clear();
      l.stamps = stamps;
    }
    return l;
  }

  /** recent_entry_update: record a hit (the oldest goes once the list's `stamps` are full) and move the entry to the LRU tail. */
  touch(list: RecentList, addr: number, now: number): void {
    let e = list.get(addr);
    if (e) list.delete(addr);
    else {
      if (list.size >= RECENT_MAX_ENTRIES) list.delete(list.keys().next().value!);
      e = { stamps: [] };
    }
    if (e.stamps.length >= list.stamps) e.stamps.shift();
    e.stamps.push(now);
    list.set(addr, e);
  }

  /**
   * recent_entry_reap: the list's least recently updated address (its LRU
   * head, whichever address the packet had) goes if even its newest hit is
   * older than `before`, unless it is `keep`, the entry about to be updated.
   */
  reap(list: RecentList, before: number, keep: RecentEntry | undefined): void {
    const head = list.entries().next().value;
    if (head === undefined || head[1] === keep) return;
    if (head[1].stamps[head[1].stamps.length - 1]! < before) list.delete(head[0]);
  }

  /** Names and entries, for display (`cat /proc/net/xt_recent/NAME`). */
  dump(): Map<string, ReadonlyMap<number, RecentEntry>> {
    return new Map(this.lists);
  }

  clear(name?: string): void {
    if (name === undefined) this.lists.clear();
    else this.lists.delete(name);
  }
}

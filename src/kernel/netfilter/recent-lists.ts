/** ip_list_tot and ip_pkt_list_tot: xt_recent's module parameter defaults. */
export const RECENT_MAX_ENTRIES = 200;
export const RECENT_MAX_STAMPS = 20;

/** One address in a list: its last hit times (ns), oldest first, at most RECENT_MAX_STAMPS. */
export interface RecentEntry {
  stamps: number[];
}

/**
 * The `-m recent` lists of one namespace (/proc/net/xt_recent/NAME). A list
 * holds at most RECENT_MAX_ENTRIES addresses; adding one more evicts the
 * least recently updated, as xt_recent's LRU does. Lists outlive rule
 * replacement, as they do while some rule still names them.
 */
export class RecentLists {
  private readonly lists = new Map<string, Map<number, RecentEntry>>();

  list(name: string): Map<number, RecentEntry> {
    let l = this.lists.get(name);
    if (!l) this.lists.set(name, (l = new Map()));
    return l;
  }

  /** recent_entry_update: record a hit and move the entry to the LRU tail. */
  touch(list: Map<number, RecentEntry>, addr: number, now: number): void {
    let e = list.get(addr);
    if (e) list.delete(addr);
    else {
      if (list.size >= RECENT_MAX_ENTRIES) list.delete(list.keys().next().value!);
      e = { stamps: [] };
    }
    if (e.stamps.length >= RECENT_MAX_STAMPS) e.stamps.shift();
    e.stamps.push(now);
    list.set(addr, e);
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

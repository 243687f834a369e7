/** What the walk view shows: a detail level and, at `hops`, which side categories. */
export type Detail = 'path' | 'hops' | 'full';
export const DETAILS: readonly Detail[] = ['path', 'hops', 'full'];

/**
 * Categories a user can show or hide at `hops`:
 * - `arp`: by default one summary line per flow; shown = every ARP step; hidden = nothing.
 * - `fdb`: bridge lookups beyond "bridged A → B" (learning, local delivery).
 * - `netfilter`: by default only what decided something (NAT, a DROP/REJECT,
 *   NetworkPolicy); shown = every hook traversal and the rules taken.
 * - `conntrack`: connection tracking lookups, with the entry.
 */
export type Category = 'arp' | 'fdb' | 'netfilter' | 'conntrack';
export const CATEGORIES: readonly Category[] = ['arp', 'fdb', 'netfilter', 'conntrack'];

export type Visibility = 'hidden' | 'summary' | 'shown';

export interface ViewOptions {
  detail: Detail;
  /** Only these flows (traffic item names, or `name#k`); empty = all. */
  flows: readonly string[];
  visibility: Record<Category, Visibility>;
}

export const DEFAULT_VISIBILITY: Readonly<Record<Category, Visibility>> = { arp: 'summary', fdb: 'summary', netfilter: 'summary', conntrack: 'hidden' };

/** `arp,fdb` → the categories, or the name that is not one. */
export function parseCategories(list: string): { ok: true; categories: Category[] } | { ok: false; bad: string } {
  const out: Category[] = [];
  for (const raw of list.split(',')) {
    const c = raw.trim();
    if (c === '') continue;
    if (c === 'all') out.push(...CATEGORIES);
    else if ((CATEGORIES as readonly string[]).includes(c)) out.push(c as Category);
    else return { ok: false, bad: c };
  }
  return { ok: true, categories: out };
}

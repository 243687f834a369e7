import { CATEGORIES, DEFAULT_VISIBILITY, DETAILS, parseCategories, type Category, type Detail, type ViewOptions, type Visibility } from '../trace/view/options.js';

/** The `run` flags that choose what the walk view shows. */
export interface ViewFlags {
  detail?: string;
  verbose?: number;
  flow?: string[];
  show?: string;
  hide?: string;
}

/**
 * `--detail`, `-v`/`-vv`, `--flow`, `--show`, `--hide` → ViewOptions.
 * `-v` is `hops` with every category shown; `-vv` is `full`; `--detail`
 * wins over `-v`. `--show` and `--hide` naming the same category is an error.
 */
export function viewOptions(o: ViewFlags, fail: (message: string) => never): ViewOptions {
  let detail: Detail = 'hops';
  const visibility: Record<Category, Visibility> = { ...DEFAULT_VISIBILITY };
  const v = o.verbose ?? 0;
  if (v >= 2) detail = 'full';
  else if (v === 1) for (const c of CATEGORIES) visibility[c] = 'shown';
  if (o.detail !== undefined) {
    if (!(DETAILS as readonly string[]).includes(o.detail)) fail(`--detail: expected one of ${DETAILS.join(', ')}, got ${o.detail}`);
    detail = o.detail as Detail;
  }
  const shown = categories('--show', o.show, fail);
  const hidden = categories('--hide', o.hide, fail);
  const both = shown.filter((c) => hidden.includes(c));
  if (both.length > 0) fail(`--show and --hide both name ${both.join(', ')}`);
  for (const c of shown) visibility[c] = 'shown';
  for (const c of hidden) visibility[c] = 'hidden';
  return { detail, flows: o.flow ?? [], visibility };
}

function categories(flag: string, list: string | undefined, fail: (message: string) => never): Category[] {
  if (list === undefined) return [];
  const r = parseCategories(list);
  if (!r.ok) return fail(`${flag}: unknown category ${r.bad} (expected ${CATEGORIES.join(', ')} or all)`);
  return r.categories;
}

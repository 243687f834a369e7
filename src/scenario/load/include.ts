import { readdirSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { compilePathGlob, hasWildcard } from './glob.js';

/** Manifest file names `include:` picks up from a directory (as `kubectl apply -f dir/`). */
const MANIFEST = /\.(ya?ml|json)$/;
/**
 * Entries a glob's walk looks at before it gives up: `include: ["/**\/*.yaml"]` would otherwise walk the
 * whole file system (following symlinked directories). Far more than any manifest tree has.
 */
export const MAX_GLOB_ENTRIES = 200_000;

/**
 * The files one `include:` entry names, relative to `base`, in a stable
 * (sorted) order: a file; a directory (its .yaml, .yml and .json files, not
 * recursive, like `kubectl apply -f dir/`); or a glob (`*`, `?`, `**` for any
 * depth, `[...]`). Returns an error message when nothing matches.
 */
export function includedFiles(base: string, entry: string): { files: string[] } | { error: string } {
  const abs = resolve(base, entry);
  if (!hasWildcard(entry)) {
    let st;
    try {
      st = statSync(abs);
    } catch (e) {
      return { error: `cannot read included file ${entry}: ${(e as NodeJS.ErrnoException).code ?? String(e)} (looked at ${abs})` };
    }
    if (!st.isDirectory()) return { files: [abs] };
    let names: string[];
    try {
      names = readdirSync(abs);
    } catch (e) {
      return { error: `cannot read directory ${entry}: ${(e as NodeJS.ErrnoException).code ?? String(e)} (looked at ${abs})` };
    }
    // A name that is not there once followed (a dangling or looping symlink) is kept: reading it says why, at this include.
    const files = names.filter((f) => MANIFEST.test(f)).sort().map((f) => join(abs, f)).filter((f) => fileOrBroken(f));
    return files.length > 0 ? { files } : { error: `directory ${entry} has no .yaml, .yml or .json files (looked at ${abs})` };
  }
  // The part before the first wildcard segment is where the walk starts.
  const segments = entry.split('/');
  const firstWild = segments.findIndex((s) => hasWildcard(s));
  // `/**/x.yaml`: the part before the wildcard is empty, and the walk starts at the root, not at `base`.
  const root = resolve(base, segments.slice(0, firstWild).join('/') || (isAbsolute(entry) ? '/' : '.'));
  const pattern = compilePathGlob(segments.slice(firstWild).join('/'));
  if ('error' in pattern) return { error: `glob ${entry}: ${pattern.error}` };
  const budget = { left: MAX_GLOB_ENTRIES };
  const all = walk(root, new Set(), budget);
  if (budget.left < 0) return { error: `glob ${entry}: more than ${MAX_GLOB_ENTRIES} entries under ${root}; start it in the manifests' own directory` };
  const files = all.filter((f) => pattern.test(relative(root, f).split(sep).join('/'))).sort();
  return files.length > 0 ? { files } : { error: `no file matches ${entry} (looked under ${root})` };
}

/** A regular file, or a name whose target cannot be reached (reading it reports why); false for directories and devices. */
function fileOrBroken(path: string): boolean {
  try {
    const st = statSync(path, { throwIfNoEntry: false });
    return st === undefined || st.isFile();
  } catch {
    return true;
  }
}

/**
 * Every regular file under `dir`. Symlinked directories are followed (as a shell's `**` does), but
 * each real directory is walked once, so a link back to an ancestor cannot loop.
 */
function walk(dir: string, seen: Set<string>, budget: { left: number }): string[] {
  let names: string[];
  if (budget.left < 0) return [];
  try {
    const real = realpathSync(dir);
    if (seen.has(real)) return [];
    seen.add(real);
    names = readdirSync(dir).sort();
  } catch {
    return [];
  }
  budget.left -= names.length;
  if (budget.left < 0) return [];
  return names.flatMap((n) => {
    const p = join(dir, n);
    let st;
    try {
      st = statSync(p, { throwIfNoEntry: false });
    } catch {
      return []; // a symlink loop (ELOOP) or no permission: nothing to read there
    }
    if (!st) return [];
    return st.isDirectory() ? (n.startsWith('.') || n === 'node_modules' ? [] : walk(p, seen, budget)) : st.isFile() ? [p] : [];
  });
}

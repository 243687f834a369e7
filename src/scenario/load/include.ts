import { readdirSync, realpathSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';

/** Manifest file names `include:` picks up from a directory (as `kubectl apply -f dir/`). */
const MANIFEST = /\.(ya?ml|json)$/;

/**
 * The files one `include:` entry names, relative to `base`, in a stable
 * (sorted) order: a file; a directory (its .yaml, .yml and .json files, not
 * recursive, like `kubectl apply -f dir/`); or a glob (`*`, `?`, `**` for any
 * depth, `[...]`). Returns an error message when nothing matches.
 */
export function includedFiles(base: string, entry: string): { files: string[] } | { error: string } {
  const abs = resolve(base, entry);
  if (!/[*?[]/.test(entry)) {
    let st;
    try {
      st = statSync(abs);
    } catch (e) {
      return { error: `cannot read included file ${entry}: ${(e as NodeJS.ErrnoException).code ?? String(e)} (looked at ${abs})` };
    }
    if (!st.isDirectory()) return { files: [abs] };
    const files = readdirSync(abs).filter((f) => MANIFEST.test(f)).sort().map((f) => join(abs, f)).filter((f) => statSync(f).isFile());
    return files.length > 0 ? { files } : { error: `directory ${entry} has no .yaml, .yml or .json files (looked at ${abs})` };
  }
  // The part before the first wildcard segment is where the walk starts.
  const segments = entry.split('/');
  const firstWild = segments.findIndex((s) => /[*?[]/.test(s));
  const root = resolve(base, segments.slice(0, firstWild).join('/') || '.');
  const pattern = globToRegExp(segments.slice(firstWild).join('/'));
  const files = walk(root).filter((f) => pattern.test(relative(root, f).split(sep).join('/'))).sort();
  return files.length > 0 ? { files } : { error: `no file matches ${entry} (looked under ${root})` };
}

/**
 * Every regular file under `dir`. Symlinked directories are followed (as a shell's `**` does), but
 * each real directory is walked once, so a link back to an ancestor cannot loop.
 */
function walk(dir: string, seen = new Set<string>()): string[] {
  let names: string[];
  try {
    const real = realpathSync(dir);
    if (seen.has(real)) return [];
    seen.add(real);
    names = readdirSync(dir).sort();
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    const p = join(dir, n);
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) return [];
    return st.isDirectory() ? (n.startsWith('.') || n === 'node_modules' ? [] : walk(p, seen)) : st.isFile() ? [p] : [];
  });
}

/** A shell-style glob as a RegExp over `/`-separated relative paths. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      // `**/` matches any number of directories (including none); a trailing `**` anything.
      if (glob[i + 2] === '/') {
        re += '(?:[^/]+/)*';
        i += 2;
      } else {
        re += '.*';
        i += 1;
      }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

const BLANKS = /[ \t\r]+/;
const SIMPLE_QUOTED = /^(?:[ \t\r]*(?:"[^"]*"|[^ \t\r"]+)(?=[ \t\r]|$))*[ \t\r]*$/;
const TOKEN = /"([^"]*)"|[^ \t\r"]+/g;

/**
 * Splits an iptables-restore line into arguments as xtables' add_param_to_argv
 * does: blanks separate, double quotes group, and inside quotes a backslash
 * takes the next character literally. A closing quote ends the argument.
 */
export function splitArgs(line: string): string[] {
  // Most lines hold no quotes: let the native split do the work.
  if (!line.includes('"')) return line.split(BLANKS).filter((x) => x !== '');
  // Quoted words standing alone without backslashes (kube-proxy's comments): one regex pass.
  if (!line.includes('\\') && SIMPLE_QUOTED.test(line)) {
    const out: string[] = [];
    for (const m of line.matchAll(TOKEN)) out.push(m[1] ?? m[0]);
    return out;
  }
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '\\' && i + 1 < line.length) cur += line[++i];
      else if (c === '"') {
        out.push(cur);
        cur = '';
        quoted = false;
      } else cur += c;
    } else if (c === '"') {
      quoted = true;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      if (cur !== '') out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (quoted) throw new Error('Unterminated quote');
  if (cur !== '') out.push(cur);
  return out;
}

const BARE = /^[A-Za-z0-9_-]+$/;

/**
 * xtables_save_string: a value made only of letters, digits, `_` and `-` is
 * printed bare; anything else (even `/` or `:`) is double-quoted with `"`,
 * `\` and `'` escaped by a backslash.
 */
export function saveString(s: string): string {
  if (BARE.test(s)) return s;
  return `"${s.replace(/["\\']/g, (c) => `\\${c}`)}"`;
}


/** `0x…` as xtables prints marks and masks. */
export function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}

/**
 * Splits an iptables-restore line into arguments the way iptables-restore
 * does: whitespace separates, double quotes group (with \" and \\ escapes).
 */
export function splitArgs(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let have = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) cur += line[++i];
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') {
      quoted = true;
      have = true;
    } else if (c === ' ' || c === '\t') {
      if (have) out.push(cur);
      cur = '';
      have = false;
    } else {
      cur += c;
      have = true;
    }
  }
  if (quoted) throw new Error('unterminated quoted string');
  if (have) out.push(cur);
  return out;
}

/** How xtables prints a string argument: bare when it holds only safe characters, else quoted. */
export function quoteArg(s: string): string {
  if (s.length > 0 && /^[A-Za-z0-9_./:,+@%=-]+$/.test(s)) return s;
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * A line of a tool's saved state (`iptables-save`, `ipset save`, `ipvsadm -Sn`,
 * `ip route`) that the kernel model cannot load, with where it is: 1-based line
 * and column of the offending word.
 */
export class DumpError extends Error {
  constructor(
    readonly line: number,
    readonly col: number,
    message: string,
  ) {
    super(message);
  }
}

/** The 1-based column of `word` standing alone (between blanks) in `line`, or of the line's first word. */
export function columnOf(line: string, word: string | undefined): number {
  if (word !== undefined && word !== '') {
    for (let at = line.indexOf(word); at >= 0; at = line.indexOf(word, at + 1)) {
      const before = at === 0 ? ' ' : line[at - 1]!;
      const after = line[at + word.length] ?? ' ';
      if (/[\s"]/.test(before) && /[\s"]/.test(after)) return at + 1;
    }
  }
  return line.length - line.trimStart().length + 1;
}

/** Fails the current dump line at `word` (its column) with `message`. */
export type FailAt = (word: string | undefined, message: string) => never;

/**
 * Each line of a dump worth reading (not blank, not a `#` comment), as its
 * blank-separated words, with the raw line (for columns) and a `fail` that
 * throws a DumpError at this line and the column of a word, and its 1-based
 * line number.
 */
export function forEachDumpLine(text: string, visit: (words: string[], raw: string, fail: FailAt, lineNo: number) => void): void {
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fail: FailAt = (word, message) => {
      throw new DumpError(i + 1, columnOf(raw, word), message);
    };
    visit(line.split(/\s+/), raw, fail, i + 1);
  });
}

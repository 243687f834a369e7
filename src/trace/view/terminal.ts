/**
 * How the text views meet the terminal: a width to fit (only on a TTY, so that
 * piped output and golden files stay byte-stable whatever the window) and
 * whether to paint verdicts in colour (a TTY, unless NO_COLOR; FORCE_COLOR
 * forces it on or, with 0, off — the conventions of no-color.org and Node).
 */
export interface Terminal {
  /** Columns to fit into; undefined = never wrap (piped output, files, tests). */
  width?: number;
  colour: boolean;
}

/** A plain terminal: no width, no colour. What pipes, goldens and tests get. */
export const PLAIN: Terminal = { colour: false };

export function detectTerminal(stream: { isTTY?: boolean; columns?: number }, env: Record<string, string | undefined>): Terminal {
  const tty = stream.isTTY === true;
  const force = env['FORCE_COLOR'];
  // TERM=dumb has no colour (as Node's hasColors() and supports-color read it), unless FORCE_COLOR says otherwise.
  let colour = tty && env['TERM'] !== 'dumb';
  if (force !== undefined) colour = force !== '0' && force !== 'false';
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') colour = false;
  const width = tty && stream.columns && stream.columns > 0 ? Math.max(stream.columns, 40) : undefined;
  return width === undefined ? { colour } : { width, colour };
}

export type Tone = 'good' | 'bad' | 'note' | 'dim' | 'bold';

const SGR: Record<Tone, [number, number]> = { good: [32, 39], bad: [31, 39], note: [33, 39], dim: [2, 22], bold: [1, 22] };

/** `text` in the tone's colour when the terminal has colour, else unchanged. */
export function paint(term: Terminal, tone: Tone | undefined, text: string): string {
  if (!term.colour || !tone || text === '') return text;
  const [on, off] = SGR[tone];
  return `\x1b[${on}m${text}\x1b[${off}m`;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * Columns a string takes on screen: escape sequences and combining or
 * zero-width characters none, East Asian wide and fullwidth characters (CJK,
 * Hangul, fullwidth forms, most emoji) two, every other code point one — as
 * wcwidth() counts them (traffic and pod names are free text).
 */
export function visibleWidth(s: string): number {
  let cols = 0;
  for (const ch of s.replace(ANSI, '')) cols += columnsOf(ch.codePointAt(0)!);
  return cols;
}

/** Code points that take no column: combining marks, zero-width spaces and joiners, direction marks, the BOM. */
const ZERO: readonly [number, number][] = [
  [0x0300, 0x036f], [0x0483, 0x0489], [0x0591, 0x05bd], [0x0610, 0x061a], [0x064b, 0x065f], [0x0e31, 0x0e31], [0x0e34, 0x0e3a],
  [0x1ab0, 0x1aff], [0x1dc0, 0x1dff], [0x200b, 0x200f], [0x202a, 0x202e], [0x2060, 0x2064], [0x20d0, 0x20ff], [0xfe00, 0xfe0f],
  [0xfe20, 0xfe2f], [0xfeff, 0xfeff],
];

/** East Asian Wide (W) and Fullwidth (F) blocks (Unicode's EastAsianWidth.txt, by block). */
const WIDE: readonly [number, number][] = [
  [0x1100, 0x115f], [0x231a, 0x231b], [0x2329, 0x232a], [0x23e9, 0x23ec], [0x25fd, 0x25fe], [0x2614, 0x2615], [0x2e80, 0x303e],
  [0x3041, 0x33ff], [0x3400, 0x4dbf], [0x4e00, 0x9fff], [0xa000, 0xa4cf], [0xa960, 0xa97f], [0xac00, 0xd7a3], [0xf900, 0xfaff],
  [0xfe10, 0xfe19], [0xfe30, 0xfe6f], [0xff00, 0xff60], [0xffe0, 0xffe6], [0x16fe0, 0x18cff], [0x1b000, 0x1b2ff], [0x1f300, 0x1f64f],
  [0x1f680, 0x1f6ff], [0x1f900, 0x1f9ff], [0x1fa70, 0x1faff], [0x20000, 0x2fffd], [0x30000, 0x3fffd],
];

function inRanges(cp: number, ranges: readonly [number, number][]): boolean {
  for (const [lo, hi] of ranges) {
    if (cp < lo) return false; // sorted: no later range holds it
    if (cp <= hi) return true;
  }
  return false;
}

/** Columns one code point takes. */
function columnsOf(cp: number): number {
  if (cp < 0x300) return 1;
  if (inRanges(cp, ZERO)) return 0;
  return inRanges(cp, WIDE) ? 2 : 1;
}

/**
 * One logical line as the screen lines it takes: unchanged without a width;
 * else wrapped at spaces (a word longer than the room is cut) with
 * continuation lines indented by `indent` columns, so a wrapped hop still
 * reads as one hop.
 */
export function fit(line: string, term: Terminal, indent = 0): string[] {
  const width = term.width;
  if (width === undefined || visibleWidth(line) <= width) return [line];
  const pad = ' '.repeat(Math.min(indent, Math.floor(width / 2)));
  const out: string[] = [];
  let cur = '';
  let curW = 0;
  const room = (): number => width - curW;
  for (const word of splitKeepingSpaces(line)) {
    const w = visibleWidth(word);
    if (w <= room()) {
      cur += word;
      curW += w;
      continue;
    }
    if (word.trim() === '') {
      // A space at the break: the line ends here.
      out.push(cur.trimEnd());
      cur = pad;
      curW = pad.length;
      continue;
    }
    if (curW > pad.length) {
      out.push(cur.trimEnd());
      cur = pad;
      curW = pad.length;
    }
    let rest = word;
    while (visibleWidth(rest) > room()) {
      const [head, tail] = cut(rest, room());
      out.push(cur + head);
      cur = pad;
      curW = pad.length;
      rest = tail;
    }
    cur += rest;
    curW += visibleWidth(rest);
  }
  if (cur.trim() !== '') out.push(cur.trimEnd());
  return out;
}

/** Fit every line of a block. */
export function fitAll(lines: readonly string[], term: Terminal, indent = 0): string[] {
  return lines.flatMap((l) => fit(l, term, indent));
}

/**
 * The words and the runs of spaces between them; a number and its unit
 * (`411.2 µs`, `+50 B`) stay one word, and so do an arrow and what it points
 * to (`⇒ web-1 10.244.1.4:8080` breaks before the arrow, not after it).
 */
function splitKeepingSpaces(s: string): string[] {
  const parts = s.split(/( +)/).filter((x) => x !== '');
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const prev = out[out.length - 1];
    const next = parts[i + 1];
    if (prev !== undefined && next !== undefined && parts[i] === ' ' && ((/\d$/.test(prev) && UNIT.test(next)) || ARROW.test(prev))) {
      out[out.length - 1] = `${prev} ${next}`;
      i++;
    } else out.push(parts[i]!);
  }
  return out;
}

/** An arrow the views write between two things: it goes to the line of the thing it points to. */
const ARROW = /(?:^|\s)[→⇒↔←]$/u;

/** A unit the views write after a number: a duration or bytes. */
const UNIT = /^(?:ns|µs|us|ms|s|B)(?![\p{L}\d])/u;

/** The first `n` visible columns of `s` and the rest, never splitting an escape sequence. */
function cut(s: string, n: number): [string, string] {
  let i = 0;
  let cols = 0;
  while (i < s.length && cols < n) {
    if (s[i] === '\x1b') {
      const end = s.indexOf('m', i);
      i = end < 0 ? s.length : end + 1;
      continue;
    }
    const cp = s.codePointAt(i)!;
    const w = columnsOf(cp);
    // A wide character that would straddle the edge goes to the next line (but a line always takes one).
    if (cols + w > n && i > 0) break;
    i += cp > 0xffff ? 2 : 1;
    cols += w;
  }
  // Combining marks stay with the character they modify.
  while (i < s.length && s[i] !== '\x1b' && columnsOf(s.codePointAt(i)!) === 0) i += s.codePointAt(i)! > 0xffff ? 2 : 1;
  return [s.slice(0, i), s.slice(i)];
}

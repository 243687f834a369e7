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
  let colour = tty;
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

/** Columns a string takes on screen (escape sequences take none; every code point one column). */
export function visibleWidth(s: string): number {
  return [...s.replace(ANSI, '')].length;
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
    i += cp > 0xffff ? 2 : 1;
    cols++;
  }
  return [s.slice(0, i), s.slice(i)];
}

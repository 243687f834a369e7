/**
 * Text from the input (names, values, paths) shown in a message or a report
 * line. A message is one line for a person's terminal: control characters
 * would split it (losing its position) or drive the terminal (ESC sequences),
 * and a 3 MB value would bury it. So every message goes through `oneLine`, and
 * values quoted inside one through `printable`.
 */

/** Longest value echoed inside a message. */
export const MAX_VALUE_CHARS = 80;
/** Longest message line (a problem's message, a field path). */
export const MAX_LINE_CHARS = 1000;

// C0 and C1 controls, DEL, the Unicode line/paragraph separators and the bidirectional overrides (they reorder what a terminal shows).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\u001b': '\\e' };

/** Control characters written as escapes (`\n`, `\e`, `\x07`, `\u2028`): what is left prints as itself. */
export function escapeControl(s: string): string {
  return s.replace(CONTROL, (c) => NAMED[c] ?? (c.charCodeAt(0) < 0x100 ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`));
}

/** At most `max` characters, the rest counted (`…(+1234 chars)`); never splits a surrogate pair. */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  let cut = max;
  const c = s.charCodeAt(cut - 1);
  if (c >= 0xd800 && c <= 0xdbff) cut--;
  return `${s.slice(0, cut)}…(+${s.length - cut} chars)`;
}

/** A value from the input as it may appear inside a message: escaped, and shortened when long. */
export function printable(v: unknown, max = MAX_VALUE_CHARS): string {
  return escapeControl(truncate(String(v), max));
}

/** A whole message line: escaped, and shortened when long. */
export function oneLine(s: string, max = MAX_LINE_CHARS): string {
  return escapeControl(truncate(s, max));
}

/** Whether a string has characters `escapeControl` would rewrite. */
export function hasControl(s: string): boolean {
  CONTROL.lastIndex = 0;
  const r = CONTROL.test(s);
  CONTROL.lastIndex = 0;
  return r;
}

function hex(c: string, width: number): string {
  return c.charCodeAt(0).toString(16).padStart(width, '0');
}

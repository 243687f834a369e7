/**
 * The contract every input must keep, whatever it holds: exit 0, 1 or 2
 * (3 is a bug: an exception), nothing printed with a control character, no
 * stack trace, and on exit 2 one line per problem that says where
 * (`file:line:col: field.path: message`) or, for a command-line mistake,
 * which option (`--pcap: ...`). Words no message should ever hold
 * ("undefined", "[object Object]") mark a message built from a value that
 * was not there.
 */
import { cli } from '../../src/cli/main.js';
import { hasControl } from '../../src/trace/safe-text.js';

export interface Outcome {
  code: number;
  out: string;
  err: string;
}

/** The CLI in process; an exception (the shim's exit 3) is returned as code 3 with its stack, not thrown. */
export function runCli(args: string[]): Outcome {
  let out = '';
  let err = '';
  try {
    const code = cli(args, { out: (s) => (out += s), err: (s) => (err += s) });
    return { code, out, err };
  } catch (e) {
    return { code: 3, out, err: `${err}${e instanceof Error ? e.stack : String(e)}` };
  }
}

const POSITIONED = /^[^\n]*:\d+:\d+: \S[^\n]*: \S/;
const USAGE = /^(--[a-z-]+|-o|show|init|matrix|compare): \S/;

/** What is wrong with an outcome (empty: nothing). `input` is the text the run read, for words it may echo. */
export function violations(o: Outcome, input: string): string[] {
  const bad: string[] = [];
  if (![0, 1, 2].includes(o.code)) bad.push(`exit ${o.code}`);
  if (hasControl(o.out.replace(/\n/g, ''))) bad.push('control character on stdout');
  if (hasControl(o.err.replace(/\n/g, ''))) bad.push('control character on stderr');
  const both = `${o.out}\n${o.err}`;
  if (/^\s+at .+[(:]\d+/m.test(o.err) || /\b(TypeError|RangeError|ReferenceError|SyntaxError)\b/.test(o.err)) bad.push('stack trace or JS error on stderr');
  for (const word of ['undefined', '[object Object]', 'NaN']) if (both.includes(word) && !input.includes(word) && !(word === 'NaN' && /\.nan|NaN/i.test(input))) bad.push(`"${word}" in the output`);
  if (o.code === 2) {
    const lines = o.err.split('\n').filter((l) => l !== '' && !l.startsWith('warning: '));
    if (lines.length === 0) bad.push('exit 2 with nothing on stderr');
    for (const l of lines) if (!POSITIONED.test(l) && !USAGE.test(l)) bad.push(`exit-2 line without a position or option: ${JSON.stringify(l.slice(0, 200))}`);
  }
  return bad;
}

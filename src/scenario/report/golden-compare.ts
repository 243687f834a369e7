/**
 * A run's golden text against a stored one: match, or a unified diff whose
 * first line says what changed. The CLI (`--golden DIR`) and the library
 * (`results.checkGolden(file)`) share it, so both say the same.
 *
 * The kube-proxy mode decides the rules and NAT every Service packet meets,
 * so a golden read in another mode differs almost everywhere: when the stored
 * header names another mode, the report says so before the diff. A golden
 * written before headers named the mode still compares (its other lines have
 * not changed): the run's text is compared without its mode line, and the
 * report says the golden does not name one (`--update` adds it).
 */
import { goldenProxyMode, isGoldenHeading, PROXY_MODE_LINE } from './golden.js';
import { diffLines, unifiedDiff } from './line-diff.js';

export interface GoldenComparison {
  status: 'match' | 'differ';
  /** What to tell the user: a line, and the diff when they differ (each line ends with a newline). */
  report: string;
  /** Lines the diff removes from the golden and adds to it (0 and 0 on a match). */
  removed: number;
  added: number;
}

/**
 * `stored`: the golden file's text (`file` names it); `text`: the run's golden text (`runLabel` names the run,
 * `podwalk run x.yaml`, for the diff's `+++` line).
 */
export function compareGolden(stored: string, text: string, file: string, runLabel: string): GoldenComparison {
  const recorded = goldenProxyMode(stored);
  const mode = goldenProxyMode(text);
  // An old golden: no mode line to compare, so the run's is left out (else every old golden would differ).
  const ours = recorded === undefined ? lines(text).filter((l) => !l.startsWith(PROXY_MODE_LINE)) : lines(text);
  const old = recorded === undefined && mode !== undefined ? ` (it was written before goldens named the proxy mode: --update adds "${PROXY_MODE_LINE}${mode}")` : '';
  if (lines(stored).join('\n') === ours.join('\n')) return { status: 'match', report: `golden: ${file} matches${old}\n`, removed: 0, added: 0 };
  const diff = unifiedDiff(lines(stored), ours, { a: file, b: runLabel }, { heading: isGoldenHeading });
  const body = diff.split('\n').slice(2);
  const removed = body.filter((l) => l.startsWith('-')).length;
  const added = body.filter((l) => l.startsWith('+')).length;
  const why =
    recorded !== undefined && mode !== undefined && recorded !== mode
      ? `golden: recorded with proxy mode ${recorded}, this run uses ${mode}: the modes' rules and NAT differ, so the trace does (compare in ${recorded} mode with --proxy-mode ${recorded}, or keep a golden directory per mode)\n`
      : recorded === undefined && mode !== undefined
        ? `golden: ${file} does not say which proxy mode it was recorded with (written before goldens named it); this run uses ${mode}\n`
        : '';
  return { status: 'differ', report: `${why}golden: trace differs from ${file} (-${removed} +${added} lines; --update accepts it)\n${diff}`, removed, added };
}

/** Lines removed and added from `a` to `b`, byte for byte (an update says how much it changed). */
export function diffSize(a: string, b: string): { removed: number; added: number } {
  const edits = diffLines(lines(a), lines(b));
  return { removed: edits.filter((e) => e.op === '-').length, added: edits.filter((e) => e.op === '+').length };
}

/** The text's lines, without the empty string after its final newline. */
export function lines(text: string): string[] {
  const l = text.split('\n');
  if (l[l.length - 1] === '') l.pop();
  return l;
}

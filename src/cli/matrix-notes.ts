import { numberedColumns } from './matrix-table.js';
import { visibleWidth, type Terminal } from '../trace/view/terminal.js';

/** Screen lines the names in the note may take before the rest are counted ("and N more"). */
const NAME_LINES = 2;
/** The width the names are measured against when the output has none (piped): the same note whatever reads it. */
const DEFAULT_WIDTH = 80;

/**
 * The pods that do not listen on the probed port, as one note under the
 * table. On a real cluster most pods listen on other ports than the one
 * probed, and a sentence per pod said the same thing again and again (6 of 9
 * pods: 12 lines). The note names the pods up to about two screen lines and
 * counts the rest; with numbered columns it also gives every column number,
 * so no pod is lost from the text (`--json` lists them all in
 * `notListening`). `indent` is where the note's continuation lines start.
 */
export function notListeningNote(pods: readonly string[], notListening: readonly string[], probe: string, term: Terminal, indent: number): string | undefined {
  if (notListening.length === 0) return undefined;
  const numbered = numberedColumns(pods);
  const columns = notListening.map((p) => pods.indexOf(p) + 1);
  if (notListening.length === 1) {
    return `${notListening[0]}${numbered ? ` (column ${columns[0]})` : ''} does not listen on ${probe}: its column is X because nothing answers, not because of a policy`;
  }
  const budget = NAME_LINES * ((term.width ?? DEFAULT_WIDTH) - indent);
  const names = firstNames(notListening, budget);
  const rest = notListening.length - names.length;
  const list = rest === 0 ? names.join(', ') : `${names.join(', ')} and ${rest} more`;
  const why = 'because nothing answers, not because of a policy';
  if (notListening.length === pods.length) return `none of the ${pods.length} pods listens on ${probe}: ${list}; every column is X ${why}`;
  return `${notListening.length} pods do not listen on ${probe}${numbered ? ` (columns ${ranges(columns)})` : ''}: ${list}; their columns are X ${why}`;
}

/** As many names as fit in `budget` columns with their separators (at least one, and all when all fit). */
function firstNames(names: readonly string[], budget: number): string[] {
  const all = names.reduce((n, p) => n + visibleWidth(p), 0) + 2 * (names.length - 1);
  if (all <= budget) return [...names];
  // Room is kept for " and N more" after the last name shown.
  const room = budget - ` and ${names.length} more`.length;
  const out: string[] = [names[0]!];
  let used = visibleWidth(names[0]!);
  for (const p of names.slice(1)) {
    const w = 2 + visibleWidth(p);
    if (used + w > room) break;
    out.push(p);
    used += w;
  }
  return out;
}

/** Ascending column numbers as runs: 1, 3-7, 9. */
function ranges(cols: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < cols.length; ) {
    let j = i;
    while (j + 1 < cols.length && cols[j + 1] === cols[j]! + 1) j++;
    out.push(j === i ? String(cols[i]) : j === i + 1 ? `${cols[i]}, ${cols[j]}` : `${cols[i]}-${cols[j]}`);
    i = j + 1;
  }
  return out.join(', ');
}

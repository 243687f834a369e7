/**
 * A line diff (Myers' O((N+M)·D) shortest edit script) printed in unified
 * format, for golden traces: a changed hop is one `-` line and one `+` line.
 * Pure; no dependency, because a reviewer-friendly diff is all we need.
 */

export type Edit = { op: ' ' | '-' | '+'; line: string; a: number; b: number };

/** Above this many differences the middle is shown as one replaced block (keeps memory bounded). */
const MAX_D = 4000;

/** Edit script turning `a` into `b` (`a`/`b` are 0-based line indexes of each side). */
export function diffLines(a: readonly string[], b: readonly string[]): Edit[] {
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const out: Edit[] = [];
  for (let i = 0; i < pre; i++) out.push({ op: ' ', line: a[i]!, a: i, b: i });
  out.push(...middle(a.slice(pre, a.length - suf), b.slice(pre, b.length - suf), pre));
  for (let k = suf; k > 0; k--) out.push({ op: ' ', line: a[a.length - k]!, a: a.length - k, b: b.length - k });
  return out;
}

function middle(a: readonly string[], b: readonly string[], off: number): Edit[] {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, MAX_D);
  const vs: Int32Array[] = [];
  let v: Int32Array = new Int32Array(2 * max + 3);
  const at = (k: number): number => k + max + 1;
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    vs.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[at(k - 1)]! < v[at(k + 1)]!) ? v[at(k + 1)]! : v[at(k - 1)]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[at(k)] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  if (found < 0) {
    // Too different to be worth aligning: everything old out, everything new in.
    return [...a.map((line, i) => ({ op: '-' as const, line, a: off + i, b: off })), ...b.map((line, j) => ({ op: '+' as const, line, a: off + n, b: off + j }))];
  }
  // Walk back through the saved frontiers.
  const rev: Edit[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    v = vs[d]!;
    const k = x - y;
    const down = k === -d || (k !== d && v[at(k - 1)]! < v[at(k + 1)]!);
    const pk = down ? k + 1 : k - 1;
    const px = v[at(pk)]!;
    const py = px - pk;
    while (x > (down ? px : px + 1) && y > (down ? py + 1 : py)) {
      x--;
      y--;
      rev.push({ op: ' ', line: a[x]!, a: off + x, b: off + y });
    }
    if (down) {
      y--;
      rev.push({ op: '+', line: b[y]!, a: off + x, b: off + y });
    } else {
      x--;
      rev.push({ op: '-', line: a[x]!, a: off + x, b: off + y });
    }
  }
  while (x > 0 && y > 0) {
    x--;
    y--;
    rev.push({ op: ' ', line: a[x]!, a: off + x, b: off + y });
  }
  return rev.reverse();
}

/**
 * Unified diff with `context` lines around each change; each hunk header
 * names the nearest preceding line for which `heading` is true (the flow), as
 * `git diff` names the enclosing function. Empty string when equal.
 */
export function unifiedDiff(a: readonly string[], b: readonly string[], labels: { a: string; b: string }, opts: { context?: number; heading?: (line: string) => boolean } = {}): string {
  const ctx = opts.context ?? 3;
  const edits = diffLines(a, b);
  if (edits.every((e) => e.op === ' ')) return '';
  const out = [`--- ${labels.a}`, `+++ ${labels.b}`];
  let i = 0;
  while (i < edits.length) {
    while (i < edits.length && edits[i]!.op === ' ') i++;
    if (i >= edits.length) break;
    const start = Math.max(0, i - ctx);
    // Extend the hunk while the next change is within 2·context lines.
    let end = i;
    for (;;) {
      while (end < edits.length && edits[end]!.op !== ' ') end++;
      let next = end;
      while (next < edits.length && edits[next]!.op === ' ') next++;
      if (next < edits.length && next - end <= 2 * ctx) end = next;
      else break;
    }
    const stop = Math.min(edits.length, end + ctx);
    const hunk = edits.slice(start, stop);
    const aLines = hunk.filter((e) => e.op !== '+').length;
    const bLines = hunk.filter((e) => e.op !== '-').length;
    const first = hunk[0]!;
    const aStart = aLines === 0 ? first.a : first.a + 1;
    const bStart = bLines === 0 ? first.b : first.b + 1;
    let head = '';
    if (opts.heading) for (let j = first.a - 1; j >= 0 && head === ''; j--) if (opts.heading(a[j]!)) head = ` ${a[j]}`;
    out.push(`@@ -${aStart},${aLines} +${bStart},${bLines} @@${head}`);
    for (const e of hunk) out.push(`${e.op}${e.line}`);
    i = stop;
  }
  return out.join('\n') + '\n';
}

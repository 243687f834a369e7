import { parseMatrix } from '../run/matrix.js';
import { parseDuration } from '../load/quantities.js';
import type { MatrixSpec } from '../types.js';
import type { At, YamlReader } from '../load/yaml-reader.js';

/**
 * `matrix:` — the reachability probe `podwalk matrix` (and `run`) does, and
 * optionally the truth table expected of it, written as the upstream e2e
 * suite prints one (a `-` header row of destinations, then one row per
 * source; `.` allowed, `X` blocked; any whitespace between cells).
 */
export function checkMatrix(r: YamlReader, at: At | undefined, podKeys: ReadonlySet<string>): MatrixSpec | undefined {
  if (!at || at.node == null) return undefined;
  const m = r.map(at, ['port', 'protocol', 'via', 'at', 'expect']);
  if (!m) return undefined;
  const port = r.int(m.get('port'), 1, 65535) ?? 80;
  const protocol = r.oneOf(m.get('protocol'), ['TCP', 'UDP', 'SCTP'] as const) ?? 'TCP';
  const via = r.oneOf(m.get('via'), ['pod', 'service'] as const) ?? 'pod';
  const atNs = m.get('at') ? r.quantity(m.get('at'), parseDuration, 0) : undefined;
  const expectAt = m.get('expect');
  let expect: MatrixSpec['expect'];
  const text = expectAt ? r.str(expectAt) : undefined;
  if (expectAt && text !== undefined) {
    const parsed = parseMatrix(text);
    if (typeof parsed === 'string') r.problem(expectAt, parsed);
    else {
      for (const p of new Set([...parsed.pods, ...parsed.rows.keys()])) if (!podKeys.has(p)) r.problem(expectAt, `pod ${p} in the expected matrix does not exist (write pods as namespace/name)`);
      expect = parsed;
    }
  }
  return { port, protocol, via, ...(atNs === undefined ? {} : { atNs }), ...(expect ? { expect } : {}), pos: r.pos(at) };
}

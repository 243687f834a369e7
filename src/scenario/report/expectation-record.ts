import type { Mismatch } from '../run/expect.js';
import type { SourcePos } from '../types.js';

/**
 * The JSON Lines records of the expectation check (`--json`, after the flow
 * records; documented in docs/trace.md): one per unmet expectation, every
 * one of them and unfolded (the text summary folds an item's alike
 * mismatches for a reader; a program counts and groups them itself), then
 * one summary record, also when every expectation was met or none was
 * written, so that "all met" and "nothing checked" read differently.
 */
export interface ExpectationRecord {
  kind: 'expectation';
  /** `name` or `name#k`. */
  flow: string;
  /** The traffic item the flow belongs to (`svc` for `svc#3`). */
  item: string;
  field: Mismatch['field'];
  expected: string;
  actual: string;
  /** Where the item's `expect:` is written. */
  file?: string;
  line?: number;
  col?: number;
}

export interface ExpectationsRecord {
  kind: 'expectations';
  /** Flows that had an expectation and were checked. */
  checked: number;
  /** Of those, flows with at least one unmet expectation. */
  failed: number;
  /** Unmet expectations in all (the `expectation` records before this one). */
  mismatches: number;
  /** Flows with an expectation that `--flow` left out, so not checked (they do not decide the exit code). */
  notChecked: number;
}

export function expectationRecord(m: Mismatch, item: string, pos: SourcePos | undefined): ExpectationRecord {
  return { kind: 'expectation', flow: m.flow, item, field: m.field, expected: m.expected, actual: m.actual, ...(pos ? { file: pos.file, line: pos.line, col: pos.col } : {}) };
}

export function expectationsRecord(mismatches: readonly Mismatch[], checked: number, notChecked: number): ExpectationsRecord {
  return { kind: 'expectations', checked, failed: new Set(mismatches.map((m) => m.flow)).size, mismatches: mismatches.length, notChecked };
}

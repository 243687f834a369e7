import { MAX_DURATION_NS, parseDuration } from '../scenario/load/quantities.js';
import { kindOf } from './check-args.js';
import { UsageError } from './errors.js';

/** Simulated time: a duration string (`'1ms'`, `'250us'`) or integer nanoseconds. */
export type SimTime = string | number;

/** Simulated time in integer nanoseconds (`'1ms'` -> 1000000). Throws on a malformed duration. */
export function toNs(t: SimTime, argument = 'time'): number {
  if (typeof t === 'number') {
    if (!Number.isInteger(t) || t < 0 || t > MAX_DURATION_NS) throw new UsageError(argument, `expected integer nanoseconds from 0 to ${MAX_DURATION_NS} or a duration like '1ms', got ${kindOf(t)}`);
    return t;
  }
  if (typeof t !== 'string') throw new UsageError(argument, `expected integer nanoseconds or a duration like '1ms', got ${kindOf(t)}`);
  const v = parseDuration(t);
  if (typeof v === 'string') throw new UsageError(argument, v);
  return v;
}

/** Duration text for the scenario reader (`5000` ns -> `'5000ns'`; a string as it is, for the reader to judge). */
export function timeText(t: SimTime): string {
  return typeof t === 'number' ? `${t}ns` : t;
}

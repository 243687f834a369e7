import { formatProblem } from '../scenario/load/parse.js';
import type { Problem } from '../scenario/types.js';

/**
 * Invalid input given to the library (a scenario, a `send`): the same problems
 * `podwalk validate` prints, one `file:line:col: field.path: message` per line.
 */
export class ScenarioError extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ScenarioError';
  }
}

/**
 * A library call used wrongly: an argument of the wrong type or out of range
 * (`seed: -1`, `send(null)`, `at(t, 'x')`), or a call at the wrong moment
 * (`send` or `runUntil` after `run()`, a time in the past). `argument` names
 * what to fix; the message starts with it. A RangeError, so code that caught
 * the RangeErrors of earlier versions still does.
 */
export class UsageError extends RangeError {
  constructor(
    readonly argument: string,
    message: string,
  ) {
    super(`${argument}: ${message}`);
    this.name = 'UsageError';
  }
}

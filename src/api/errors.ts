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

import { printable } from '../trace/safe-text.js';
import { UsageError } from './errors.js';

/** How many known names a message lists before it says how many more there are. */
const LISTED = 12;

/**
 * The error for a name the simulation does not know (`results.flow(name)`,
 * `sim.state(netns)`): the known names once each, at most a dozen of them, so
 * a run of 500 packets does not make a 5,000-character message; and, when the
 * name is a traffic item that sent several packets, the `name#k` names its
 * flows have instead.
 */
export function unknownName(argument: string, what: string, name: string, known: Iterable<string>): UsageError {
  const names = [...new Set(known)];
  const shown = printable(name, 80);
  const numbered = names.filter((n) => n.startsWith(`${name}#`) && /^\d+$/.test(n.slice(name.length + 1)));
  if (numbered.length > 0) {
    return new UsageError(argument, `no ${what} ${shown}: that item sent ${numbered.length} packets, each its own flow: ${shown}#1 … ${shown}#${numbered.length}`);
  }
  const listed = names.slice(0, LISTED).map((n) => printable(n, 80)).join(', ');
  const more = names.length > LISTED ? ` and ${names.length - LISTED} more` : '';
  return new UsageError(argument, `no ${what} ${shown} (${names.length === 0 ? 'none' : `have: ${listed}${more}`})`);
}

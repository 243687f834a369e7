export { Scheduler, type Action, type RunOutcome } from './scheduler.js';
export { Rng } from './rng.js';
export { Link, type LinkProps } from './link.js';

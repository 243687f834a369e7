export { Scheduler, type Action, type Call, type RunOutcome } from './scheduler.js';
export { Rng } from './rng.js';
export { Link, type LinkProps } from './link.js';

import type { RunProgress } from '../scenario/run/simulate.js';

/** Wall time before the first progress line: short runs print nothing. */
const QUIET_FOR_MS = 1000;
/** Between two updates of the line. */
const EVERY_MS = 250;

/**
 * A progress line on stderr for long runs (`podwalk run` with a large `count:`), redrawn in place:
 * events run so far against the event budget, and the simulated clock. Only for a terminal:
 * piped stderr stays free of it, so logs and tests read the same as before.
 */
export function progressLine(write: (s: string) => void, isTTY: boolean): { onProgress?: (p: RunProgress) => void; done: () => void } {
  if (!isTTY) return { done: () => {} };
  const start = process.hrtime.bigint();
  let last = -Infinity;
  let shown = false;
  const ms = (): number => Number(process.hrtime.bigint() - start) / 1e6;
  return {
    onProgress: (p) => {
      const now = ms();
      if (now < QUIET_FOR_MS || now - last < EVERY_MS) return;
      last = now;
      shown = true;
      const pct = Math.min(100, (100 * p.events) / p.budget).toFixed(0);
      write(`\r\x1b[Kpodwalk: ${p.events.toLocaleString('en-US')} events (${pct}% of the ${p.budget.toLocaleString('en-US')}-event budget), simulated ${(p.nowNs / 1e9).toFixed(3)} s`);
    },
    done: () => {
      if (shown) write('\r\x1b[K');
    },
  };
}

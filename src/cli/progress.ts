import type { RunProgress } from '../scenario/run/simulate.js';

/** Wall time before the first progress line: short runs print nothing. */
const QUIET_FOR_MS = 1000;
/** Between two updates of the line. */
const EVERY_MS = 250;

/**
 * A progress line on stderr for long runs (`podwalk run` with a large `count:`), redrawn in place:
 * flows done (their walks printed, when the report streams them), events run so far against the
 * event budget, and the simulated clock. Only for a terminal:
 * piped stderr stays free of it, so logs and tests read the same as before.
 */
export function progressLine(write: (s: string) => void, isTTY: boolean): { onProgress?: (p: RunProgress) => void; clear: () => void; done: () => void } {
  if (!isTTY) return { clear: () => {}, done: () => {} };
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
      const n = (x: number): string => x.toLocaleString('en-US');
      // Short enough for 80 columns (a wrapped line cannot be redrawn in place).
      write(`\r\x1b[Kpodwalk: ${n(p.flowsOver)}/${n(p.flows)} flows done; ${n(p.events)} events (${pct}% of budget); t = ${(p.nowNs / 1e9).toFixed(3)} s`);
    },
    // Erased before anything else is written to the terminal (the report streams there); the next update redraws it.
    clear: () => {
      if (shown) write('\r\x1b[K');
      shown = false;
    },
    done: () => {
      if (shown) write('\r\x1b[K');
    },
  };
}

// A progress bar for long benchmark runs, on stderr so that stdout stays the
// tables: redrawn in place on a terminal, one plain line per step otherwise
// (CI logs, pipes), so a log file never fills with carriage returns.
import { performance } from 'node:perf_hooks';

export function progress(total, out = process.stderr) {
  const tty = Boolean(out.isTTY);
  const t0 = performance.now();
  let done = 0;
  const draw = (label) => {
    const secs = ((performance.now() - t0) / 1000).toFixed(0);
    if (!tty) return out.write(`[${done}/${total}] ${label} (${secs} s)\n`);
    const width = 28;
    const full = Math.round((done / total) * width);
    const line = `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${done}/${total} ${secs}s ${label}`;
    out.write(`\r${line.slice(0, (out.columns ?? 100) - 1).padEnd(Math.min(out.columns ?? 100, 100) - 1)}`);
  };
  return {
    /** A step starts: show what is running now. */
    start(label) {
      draw(label);
    },
    /** A step finished. */
    tick(label = '') {
      done++;
      if (tty) draw(label);
    },
    end() {
      if (tty) out.write('\n');
    },
  };
}

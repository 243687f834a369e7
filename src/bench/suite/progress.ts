import { performance } from 'node:perf_hooks';

/**
 * A progress bar for long benchmark runs, on stderr so that stdout stays the
 * tables: redrawn in place on a terminal, one plain line per step otherwise
 * (CI logs, pipes), so a log file never fills with carriage returns.
 */
export interface Progress {
  /** A step starts: show what is running now. */
  start(label: string): void;
  /** A step finished. */
  tick(label?: string): void;
  end(): void;
}

export function progress(total: number, out: NodeJS.WriteStream = process.stderr): Progress {
  const tty = Boolean(out.isTTY);
  const t0 = performance.now();
  let done = 0;
  const draw = (label: string): void => {
    const secs = ((performance.now() - t0) / 1000).toFixed(0);
    if (!tty) {
      out.write(`[${done}/${total}] ${label} (${secs} s)\n`);
      return;
    }
    const width = 28;
    const full = Math.round((done / Math.max(1, total)) * width);
    const line = `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${done}/${total} ${secs}s ${label}`;
    const cols = out.columns ?? 100;
    out.write(`\r${line.slice(0, cols - 1).padEnd(Math.min(cols, 100) - 1)}`);
  };
  return {
    start: draw,
    tick(label = '') {
      done++;
      if (tty) draw(label);
    },
    end() {
      if (tty) out.write('\n');
    },
  };
}

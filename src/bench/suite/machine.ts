import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';

/** What a wall-clock figure was measured on: it means little without the machine and its load. */
export interface Machine {
  node: string;
  cpu: string;
  cores: number;
  memGiB: number;
  kernel: string;
  loadavg: number[];
}

export function machine(): Machine {
  return {
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memGiB: +(totalmem() / 2 ** 30).toFixed(1),
    kernel: release(),
    loadavg: loadavg().map((x) => +x.toFixed(2)),
  };
}

/** 1-minute load average now. */
export const load1 = (): number => +(loadavg()[0] ?? 0).toFixed(2);

/** This process's peak resident set (VmHWM), bytes. */
export function peakRssBytes(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux: fall through
  }
  return process.resourceUsage().maxRSS * 1024;
}

/** 12345.6 → "12,346". */
export const int = (x: number): string => Math.round(x).toLocaleString('en');

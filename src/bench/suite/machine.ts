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

/**
 * CPU seconds (user + system) of this process and of every child it has
 * waited for (the cases' processes, ns-3, the compiler): what a whole run
 * costs. Linux's /proc/self/stat counts in USER_HZ ticks (100 a second);
 * elsewhere, this process only.
 */
export function processTreeCpuSeconds(): number {
  try {
    // Fields after the command name (which may hold spaces, hence the last ')'): utime, stime, cutime, cstime are 14-17.
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
  } catch {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  }
}

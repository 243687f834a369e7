import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The ns-3 anchor: the same walks written for ns-3 3.37 (bench/ns3/pod-walk.cc,
 * Debian's libns3-dev), built on demand and run side by side with podwalk.
 * ns-3 is optional: without libns3-dev the section is skipped with a note.
 */

/** bench/ns3 in the checkout (this file is dist/bench/suite/ns3.js or src/bench/suite/ns3.ts). */
const SOURCES = fileURLToPath(new URL('../../../bench/ns3/', import.meta.url));

export type Ns3Mode = 'same-node' | 'cross-node';

/** One line of pod-walk's JSON output (the fields used here). */
export interface Ns3Run {
  mode: Ns3Mode;
  packets: number;
  ok: boolean;
  wall_s: number;
  pkts_per_wall_s: number;
  pkts_per_cpu_s: number;
  events: number;
  peak_rss_kb: number;
  loadavg1_at_start: number;
}

/** Why ns-3 cannot run here, or undefined when it can. */
export function ns3Missing(): string | undefined {
  if (!existsSync(`${SOURCES}pod-walk.cc`)) return `bench/ns3/pod-walk.cc not found (${SOURCES})`;
  // $PKG_CONFIG as autoconf reads it (and a way to try the skip path on a machine that has ns-3: PKG_CONFIG=false).
  const pc = spawnSync(process.env.PKG_CONFIG || 'pkg-config', ['--exists', 'ns3-core', 'ns3-csma', 'ns3-bridge', 'ns3-internet'], { stdio: 'ignore' });
  if (pc.error || pc.status !== 0) return 'libns3-dev is not installed (apt-get install libns3-dev g++ pkg-config)';
  const cxx = spawnSync(process.env.CXX ?? 'g++', ['--version'], { stdio: 'ignore' });
  if (cxx.error || cxx.status !== 0) return 'no C++ compiler (apt-get install g++)';
  return undefined;
}

/** Build pod-walk into `dir` unless an up-to-date binary is there; returns its path. */
export function buildNs3(dir: string): string {
  const bin = `${dir}/pod-walk`;
  const src = `${SOURCES}pod-walk.cc`;
  if (existsSync(bin) && statSync(bin).mtimeMs > statSync(src).mtimeMs) return bin;
  execFileSync('bash', [`${SOURCES}build.sh`, bin], { stdio: ['ignore', 'ignore', 'pipe'] });
  return bin;
}

/** One run of the anchor: `packets` UDP datagrams of 64 B every 5 us, no tracing, no pcap. */
export function runNs3(bin: string, mode: Ns3Mode, packets: number): Ns3Run {
  const env = { ...process.env };
  delete env.NS_LOG;
  // pod-walk exits 1 when a packet was lost; its JSON line says so (`ok`), so keep it either way.
  const r = spawnSync(bin, [`--mode=${mode}`, `--packets=${packets}`, '--tag=podwalk-bench'], { encoding: 'utf8', env, maxBuffer: 1 << 20 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (!line.startsWith('{')) throw new Error(`ns-3 pod-walk failed: ${r.stderr.slice(0, 200)}`);
  return JSON.parse(line) as Ns3Run;
}

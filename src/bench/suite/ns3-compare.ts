import { median } from './markdown.js';
import type { Ns3Mode } from './ns3.js';

/**
 * The ns-3 side-by-side arithmetic: medians of interleaved runs and the
 * ratios podwalk / ns-3, in wall-clock packets/s (the measure) and in
 * packets per CPU second (what other load on a shared machine disturbs less).
 */

/** How podwalk's burst is sent: a new socket per datagram, or one connected socket as the ns-3 program sends. */
export type Sender = 'new-socket' | 'connected';

/** One timed run: packets per wall second and per CPU second, peak RSS, and the load it started under. */
export interface Rate {
  wall: number;
  cpu: number;
  peakRssBytes: number;
  loadavg1: number;
}

/** Every run of one (walk, sender) cell; `ns3` is empty when ns-3 was skipped. */
export interface Ns3Cell {
  mode: Ns3Mode;
  sender: Sender;
  ns3: Rate[];
  off: Rate[];
  on: Rate[];
}

export interface Ns3Row {
  mode: Ns3Mode;
  sender: Sender;
  /** Medians, packets/s (wall) and packets per CPU second; NaN when ns-3 was skipped. */
  ns3: { wall: number; cpu: number };
  off: { wall: number; cpu: number };
  on: { wall: number; cpu: number };
  /** podwalk / ns-3, median over median; NaN when ns-3 was skipped. */
  ratio: { offWall: number; onWall: number; offCpu: number; onCpu: number };
  peakRssBytes: { ns3: number; off: number; on: number };
  /** 1-minute load average at the start of the cell's runs: min, max. */
  loadavg1: [number, number];
  /** Every run, for summary.json. */
  runs: { ns3: Rate[]; off: Rate[]; on: Rate[] };
}

const medians = (xs: Rate[]): { wall: number; cpu: number } => ({ wall: median(xs.map((x) => x.wall)), cpu: median(xs.map((x) => x.cpu)) });
const peak = (xs: Rate[]): number => (xs.length ? Math.max(...xs.map((x) => x.peakRssBytes)) : NaN);

export function ns3Row(c: Ns3Cell): Ns3Row {
  const ns3 = medians(c.ns3);
  const off = medians(c.off);
  const on = medians(c.on);
  const loads = [...c.ns3, ...c.off, ...c.on].map((x) => x.loadavg1);
  return {
    mode: c.mode,
    sender: c.sender,
    ns3,
    off,
    on,
    ratio: { offWall: off.wall / ns3.wall, onWall: on.wall / ns3.wall, offCpu: off.cpu / ns3.cpu, onCpu: on.cpu / ns3.cpu },
    peakRssBytes: { ns3: peak(c.ns3), off: peak(c.off), on: peak(c.on) },
    loadavg1: [Math.min(...loads), Math.max(...loads)],
    runs: { ns3: c.ns3, off: c.off, on: c.on },
  };
}

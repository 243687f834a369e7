import { median } from './markdown.js';
import type { Rate } from './ns3-compare.js';
import type { Ns3Mode } from './ns3.js';

/**
 * The floor beside ns-3 and podwalk (src/bench/floor.ts says what the floor
 * does): medians of the interleaved runs, ratios to ns-3's medians, and the
 * CPU time per datagram that 10× ns-3 leaves for everything the floor does
 * not do. Pure arithmetic, unit-tested.
 */

/** One timed run of a floor variant, with what its profile said about the real walk. */
export interface FloorRate extends Rate {
  /** Scheduler events per datagram: the floor's, and the real walk's (captured). */
  eventsPerDatagram: number;
  walkEventsPerDatagram: number;
  frameBytes: number;
  /** Captured datagrams, and how many had the profile's shape. */
  captured: number;
  matching: number;
}

/** Every run of the floor on one walk: each variant, and ns-3's events per packet of the same repetitions. */
export interface FloorCell {
  mode: Ns3Mode;
  every: FloorRate[];
  whole: FloorRate[];
  ns3EventsPerPacket: number[];
  /** Why a run of the floor failed (the rest of the section is still reported). */
  error?: string;
}

export interface FloorRow {
  mode: Ns3Mode;
  error?: string;
  /** Scheduler events per datagram: the real walk's (= the every-event floor's) and ns-3's (NaN when skipped). */
  walkEventsPerDatagram: number;
  ns3EventsPerPacket: number;
  frameBytes: number;
  /** Datagrams of the capture with the profile's shape, of those captured (the first of a connection differs). */
  matching: number;
  captured: number;
  /** Medians: packets/s (wall) and packets per CPU second; ns-3's of the same repetitions (NaN when skipped). */
  ns3: { wall: number; cpu: number };
  every: { wall: number; cpu: number };
  whole: { wall: number; cpu: number };
  /** floor / ns-3, median over median; NaN when ns-3 was skipped. */
  ratio: { everyWall: number; everyCpu: number; wholeWall: number; wholeCpu: number };
  /**
   * CPU µs per datagram: ns-3's, the most 10× ns-3 allows (a tenth of it),
   * each floor's, and what 10× leaves for all other work after each floor
   * (negative: out of reach even for the floor). NaN when ns-3 was skipped.
   */
  us: { ns3: number; tenfold: number; every: number; whole: number; leftEvery: number; leftWhole: number };
  /** 1-minute load average at the start of the floor's runs: min, max. */
  loadavg1: [number, number];
  runs: { every: FloorRate[]; whole: FloorRate[] };
}

const medians = (xs: Rate[]): { wall: number; cpu: number } => ({ wall: median(xs.map((x) => x.wall)), cpu: median(xs.map((x) => x.cpu)) });
/** µs per datagram of a rate in datagrams per second. */
export const usPer = (perSec: number): number => 1e6 / perSec;

export function floorRow(c: FloorCell, ns3: { wall: number; cpu: number }): FloorRow {
  const every = medians(c.every);
  const whole = medians(c.whole);
  const all = [...c.every, ...c.whole];
  const first = c.every[0] ?? c.whole[0];
  const ns3Us = usPer(ns3.cpu);
  const tenfold = ns3Us / 10;
  const loads = all.map((x) => x.loadavg1);
  return {
    mode: c.mode,
    ...(c.error ? { error: c.error } : {}),
    walkEventsPerDatagram: first?.walkEventsPerDatagram ?? NaN,
    ns3EventsPerPacket: median(c.ns3EventsPerPacket),
    frameBytes: first?.frameBytes ?? NaN,
    matching: first?.matching ?? NaN,
    captured: first?.captured ?? NaN,
    ns3,
    every,
    whole,
    ratio: { everyWall: every.wall / ns3.wall, everyCpu: every.cpu / ns3.cpu, wholeWall: whole.wall / ns3.wall, wholeCpu: whole.cpu / ns3.cpu },
    us: { ns3: ns3Us, tenfold, every: usPer(every.cpu), whole: usPer(whole.cpu), leftEvery: tenfold - usPer(every.cpu), leftWhole: tenfold - usPer(whole.cpu) },
    loadavg1: [Math.min(...loads), Math.max(...loads)],
    runs: { every: c.every, whole: c.whole },
  };
}

import type { Call, SchedulerObserver } from '../../engine/scheduler.js';
import type { Link } from '../../engine/link.js';
import type { Cpu } from '../cost-model.js';
import { relabelSkb, Skb } from '../skb.js';
import type { World } from '../world.js';
import { decrementTtl } from '../../wire/ipv4.js';
import type { UdpTemplate } from '../../wire/udp-template.js';
import type { TrainProbe } from './train-probe.js';

/** The counters a period starts from: what moves when anything at all happens (train.ts checks a watched datagram and a window against the same). */
export interface LagMark {
  sendNs: number;
  executed: number;
  seq: number;
  draws: number;
  epoch: number;
  runs: number;
  hits: number;
  replays: number;
}

/**
 * The train's events pending at one of its dues: one per datagram in flight
 * (its next hand-off), oldest datagram first, and the earliest other event.
 */
export class LagPending {
  readonly t: number[] = [];
  readonly seq: number[] = [];
  readonly fn: unknown[] = [];
  readonly a: unknown[] = [];
  readonly skb: Skb[] = [];
  /** Their packet ids when read (an skb ended since may have been renewed for a later packet: World.recycle). */
  readonly ids: number[] = [];
  /** When the earliest event that is not the train's runs (Infinity: none). */
  otherNs = Number.POSITIVE_INFINITY;
  /** The scheduler's next sequence number when it was read. */
  nextSeq = 0;

  /**
   * Read the scheduler at `world`'s clock: false unless every packet in flight
   * is one of the train's (its flow named `${prefix}k`), each with exactly one
   * event pending, their ids consecutive.
   */
  read(world: World, prefix: string): boolean {
    this.t.length = this.seq.length = this.fn.length = this.a.length = this.skb.length = this.ids.length = 0;
    this.otherNs = Number.POSITIVE_INFINITY;
    this.nextSeq = world.sched.nextSeq;
    const entries: [number, number, unknown, unknown, Skb][] = [];
    world.sched.forEachPending((t, seq, fn, a, b) => {
      if (b instanceof Skb && b.flow !== undefined && b.flow.startsWith(prefix)) entries.push([t, seq, fn, a, b]);
      else if (t < this.otherNs) this.otherNs = t;
    });
    entries.sort((x, y) => x[4].id - y[4].id);
    for (let i = 0; i < entries.length; i++) {
      const [t, seq, fn, a, skb] = entries[i]!;
      if (i > 0 && skb.id !== entries[i - 1]![4].id + 1) return false;
      if (!world.inFlight.has(skb) || !skb.owned) return false;
      this.t.push(t);
      this.seq.push(seq);
      this.fn.push(fn);
      this.a.push(a);
      this.skb.push(skb);
      this.ids.push(skb.id);
    }
    return entries.length > 0 && entries.length === world.inFlight.size;
  }

  /** `q` is this, `shift` ns and one datagram later (sequence numbers `dseq` higher). */
  sameAs(q: LagPending, shift: number, dseq: number): boolean {
    const n = this.t.length;
    if (q.t.length !== n || q.nextSeq - this.nextSeq !== dseq) return false;
    for (let i = 0; i < n; i++) {
      if (this.t[i]! + shift !== q.t[i] || this.seq[i]! + dseq !== q.seq[i] || this.fn[i] !== q.fn[i] || this.a[i] !== q.a[i] || this.ids[i]! + 1 !== q.ids[i]) return false;
    }
    return true;
  }
}

/**
 * One watched period of a train whose datagrams are in flight at every send
 * (across nodes): from one of its dues to the next, every event scheduled and
 * run, every wire a frame was put on (told by the scheduler: SchedulerObserver),
 * and what the kernel objects reported to the probe (train-probe.ts).
 */
export class LagPeriod implements SchedulerObserver {
  mark: LagMark = { sendNs: 0, executed: 0, seq: 0, draws: 0, epoch: 0, runs: 0, hits: 0, replays: 0 };
  /** What the period added: events run, sequence numbers taken, fast-path hits and replays. */
  events = 0;
  seqs = 0;
  hits = 0;
  replays = 0;
  /** The packet id the period's datagram was given. */
  pkt = 0;
  readonly pushT: number[] = [];
  readonly pushSeq: number[] = [];
  readonly pushFn: unknown[] = [];
  readonly pushA: unknown[] = [];
  readonly pushB: unknown[] = [];
  /** The packet id of the train's packet an event scheduled or run carries (-1: none; skbs are renewed, ids are not). */
  readonly pushId: number[] = [];
  readonly popT: number[] = [];
  readonly popFn: unknown[] = [];
  readonly popA: unknown[] = [];
  readonly popB: unknown[] = [];
  readonly popId: number[] = [];
  readonly wireLink: Link[] = [];
  readonly wireNs: number[] = [];
  readonly wireBefore: number[] = [];
  readonly wireAfter: number[] = [];
  /** The train's events pending when the period began. */
  readonly pending = new LagPending();
  probe: TrainProbe | undefined;
  /** The train's flows' prefix (its packets are told by it). */
  prefix = '';

  reset(): void {
    this.pushT.length = this.pushSeq.length = this.pushFn.length = this.pushA.length = this.pushB.length = this.pushId.length = 0;
    this.popT.length = this.popFn.length = this.popA.length = this.popB.length = this.popId.length = 0;
    this.wireLink.length = this.wireNs.length = this.wireBefore.length = this.wireAfter.length = 0;
    this.probe = undefined;
  }

  pushed(timeNs: number, seq: number, fn: Call<never, never>, a: unknown, b: unknown): void {
    this.pushT.push(timeNs);
    this.pushSeq.push(seq);
    this.pushFn.push(fn);
    this.pushA.push(a);
    this.pushB.push(b);
    this.pushId.push(trainSkb(b, this.prefix) ? b.id : -1);
  }

  popped(timeNs: number, _seq: number, fn: Call<never, never>, a: unknown, b: unknown): void {
    this.popT.push(timeNs);
    this.popFn.push(fn);
    this.popA.push(a);
    this.popB.push(b);
    this.popId.push(trainSkb(b, this.prefix) ? b.id : -1);
  }

  wire(link: object, nowNs: number, busyBefore: number, busyAfter: number): void {
    this.wireLink.push(link as Link);
    this.wireNs.push(nowNs);
    this.wireBefore.push(busyBefore);
    this.wireAfter.push(busyAfter);
  }

  /** The time of the period's last event before the next due (the last one run), from its start. */
  get lastOffset(): number {
    return this.popT.length < 2 ? 0 : this.popT[this.popT.length - 2]! - this.mark.sendNs;
  }

  /** Datagrams in flight at each send. */
  get lag(): number {
    return this.pending.t.length;
  }

  /**
   * Whether the period did only what a window redoes: one datagram made (one
   * draw) and an earlier one — the oldest in flight — delivered after the
   * send, every crossing a flow-table replay the train may repeat, every CPU
   * and wire idle when it was charged, every event run and scheduled one of
   * the train's, no generation changed.
   */
  clean(world: World, prefix: string, intervalNs: number): boolean {
    const p = this.probe!;
    if (p.unusual !== 0 || p.created !== 1 || p.recycled !== 1 || p.deliver === undefined || p.deliverOwn) return false;
    const pend = this.pending;
    if (pend.ids.length === 0 || p.deliverPkt !== pend.ids[0] || this.pkt !== pend.ids[pend.ids.length - 1]! + 1) return false;
    const start = this.mark.sendNs;
    const d = p.deliver.atNs - start;
    if (!(d > 0 && d < intervalNs)) return false;
    for (let i = 0; i < p.steps.length; i++) if (!p.tables[i]!.trainSafe(p.steps[i]!)) return false;
    for (let i = 0; i < p.cpus.length; i++) if (p.busyBefore[i]! > p.handoffNs[i]!) return false;
    for (let i = 0; i < p.chargeCpus.length; i++) if (p.chargeBefore[i]! > p.chargeNs[i]!) return false;
    for (let i = 0; i < this.wireLink.length; i++) if (this.wireBefore[i]! > this.wireNs[i]!) return false;
    // Every event run: the train's packets' hand-offs, then the next due; every one scheduled, a packet's or the next due.
    if (this.popT.length !== this.events || this.popT.length < 2 || this.popT[this.popT.length - 1] !== start + intervalNs) return false;
    for (let i = 0; i < this.popId.length - 1; i++) if (this.popId[i]! < 0) return false;
    if (this.popId[this.popId.length - 1] !== -1) return false;
    let own = 0;
    for (let i = 0; i < this.pushB.length; i++) {
      if (this.pushSeq[i]! >= this.mark.seq) {
        own++;
        if (this.pushId[i]! < 0) return false;
      } else if (this.pushId[i]! >= 0) return false;
    }
    if (own !== this.seqs) return false;
    void world;
    return true;
  }
}

/** Whether `b` is a packet of the train (its flow one of the item's). */
function trainSkb(b: unknown, prefix: string): b is Skb {
  return b instanceof Skb && b.flow !== undefined && b.flow.startsWith(prefix);
}

/** The same argument in two periods one datagram apart: the same object, or the train's packet one id later. */
function sameArg(x: unknown, xid: number, y: unknown, yid: number): boolean {
  if (xid >= 0) return yid === xid + 1;
  return yid < 0 && x === y;
}

/** Two consecutive clean periods did the same, `b` one interval and one datagram after `a`. */
export function samePeriods(a: LagPeriod, b: LagPeriod, intervalNs: number): boolean {
  const shift = b.mark.sendNs - a.mark.sendNs;
  const dseq = b.mark.seq - a.mark.seq;
  if (shift !== intervalNs || dseq !== a.seqs || a.events !== b.events || a.seqs !== b.seqs || a.hits !== b.hits || a.replays !== b.replays || b.pkt !== a.pkt + 1) return false;
  if (!a.pending.sameAs(b.pending, shift, dseq)) return false;
  const n = a.pushT.length;
  if (b.pushT.length !== n || b.popT.length !== a.popT.length || b.wireLink.length !== a.wireLink.length) return false;
  for (let i = 0; i < n; i++) {
    const reserved = a.pushSeq[i]! < a.mark.seq;
    if (a.pushT[i]! + shift !== b.pushT[i] || a.pushSeq[i]! + (reserved ? 1 : dseq) !== b.pushSeq[i] || a.pushFn[i] !== b.pushFn[i] || a.pushA[i] !== b.pushA[i] || !sameArg(a.pushB[i], a.pushId[i]!, b.pushB[i], b.pushId[i]!)) return false;
  }
  for (let i = 0; i < a.popT.length; i++) {
    if (a.popT[i]! + shift !== b.popT[i] || a.popFn[i] !== b.popFn[i] || a.popA[i] !== b.popA[i] || !sameArg(a.popB[i], a.popId[i]!, b.popB[i], b.popId[i]!)) return false;
  }
  for (let i = 0; i < a.wireLink.length; i++) {
    if (a.wireLink[i] !== b.wireLink[i] || a.wireNs[i]! + shift !== b.wireNs[i] || a.wireAfter[i]! + shift !== b.wireAfter[i]) return false;
  }
  const p = a.probe!;
  const q = b.probe!;
  if (p.steps.length !== q.steps.length || p.cpus.length !== q.cpus.length || p.chargeCpus.length !== q.chargeCpus.length || p.learnt.length !== q.learnt.length) return false;
  if (p.neighbourUntilNs !== q.neighbourUntilNs || p.fdbUntilNs !== q.fdbUntilNs || q.deliverPkt !== p.deliverPkt + 1) return false;
  for (let i = 0; i < p.steps.length; i++) {
    if (p.tables[i] !== q.tables[i] || p.steps[i] !== q.steps[i] || p.stepLen[i] !== q.stepLen[i] || p.stepNs[i]! + shift !== q.stepNs[i]) return false;
  }
  for (let i = 0; i < p.cpus.length; i++) {
    if (p.cpus[i] !== q.cpus[i] || p.handoffNs[i]! + shift !== q.handoffNs[i] || p.eventNs[i]! + shift !== q.eventNs[i] || p.busyAfter[i]! + shift !== q.busyAfter[i]) return false;
  }
  for (let i = 0; i < p.chargeCpus.length; i++) {
    if (p.chargeCpus[i] !== q.chargeCpus[i] || p.chargeNs[i]! + shift !== q.chargeNs[i] || p.chargeAfter[i]! + shift !== q.chargeAfter[i]) return false;
  }
  for (let i = 0; i < p.learnt.length; i++) if (p.learnt[i] !== q.learnt[i] || p.learntNs[i]! + shift !== q.learntNs[i]) return false;
  const x = p.deliver!;
  const y = q.deliver!;
  return x.atNs + shift === y.atNs && x.at === y.at && x.socket === y.socket && x.src === y.src && x.sport === y.sport;
}

/** Where the IPv4 header of a frame in flight starts (an Ethernet frame, or an IPv4 packet on an L3 device), or -1. */
function ipv4At(skb: Skb): number {
  const b = skb.buf;
  const o = skb.off;
  if (skb.len >= 34 && b[o + 12] === 0x08 && b[o + 13] === 0x00 && b[o + 14] === 0x45) return o + 14;
  if (skb.len >= 20 && b[o] === 0x45) return o;
  return -1;
}

/**
 * The IPv4 header of the train's datagram with IPv4 id `id` as it is once
 * forwarded down to `ttl` (the socket's template, then each hop's TTL
 * decrement with its checksum update, as `decrementTtl` writes them), in
 * `scratch` (its first 20 bytes); false if `ttl` is above the template's.
 */
function headerAt(frame: UdpTemplate, id: number, ttl: number, scratch: Uint8Array): boolean {
  frame.writeAt(id, scratch, 0);
  if (scratch[8]! < ttl) return false;
  while (scratch[8]! > ttl) decrementTtl(scratch, 0);
  return true;
}

/**
 * Whether every packet in flight is its datagram as the model makes it (the
 * template, forwarded down to its TTL): its 20 header bytes equal the model's
 * for its own IPv4 id. Then the same model gives a later datagram's bytes.
 */
export function relabelable(pending: LagPending, frame: UdpTemplate): boolean {
  const scratch = new Uint8Array(frame.length);
  for (const skb of pending.skb) {
    const h = ipv4At(skb);
    if (h < 0 || skb.len - (h - skb.off) !== frame.length) return false;
    const b = skb.buf;
    const id = (b[h + 4]! << 8) | b[h + 5]!;
    if (!headerAt(frame, id, b[h + 8]!, scratch)) return false;
    for (let i = 0; i < 20; i++) if (scratch[i] !== b[h + i]) return false;
  }
  return true;
}

/**
 * The train's packets in flight become the datagrams `n` later (their walks
 * at the same place, `n` intervals on): new ids, flows, IPv4 ids (`ids[j]`,
 * datagram `firstK + j`'s, the window's first being `firstK`) and header
 * checksums; their pending events `shift` later with sequence numbers `dseq`
 * higher (Scheduler.shiftPending).
 */
export function relabelInFlight(world: World, pending: LagPending, frame: UdpTemplate, n: number, firstK: number, ids: Uint16Array, flowOf: (k: number) => string, shift: number, dseq: number): void {
  const m = pending.skb.length;
  const scratch = new Uint8Array(frame.length);
  const mine = new Set<unknown>(pending.skb);
  for (let i = 0; i < m; i++) {
    const skb = pending.skb[i]!;
    // Datagram firstK - m + i becomes firstK - m + i + n: the window drew its IPv4 id.
    const k = firstK - m + i + n;
    const id = ids[k - firstK]!;
    const h = ipv4At(skb);
    const b = skb.buf;
    headerAt(frame, id, b[h + 8]!, scratch);
    b[h + 4] = scratch[4]!;
    b[h + 5] = scratch[5]!;
    b[h + 10] = scratch[10]!;
    b[h + 11] = scratch[11]!;
    relabelSkb(skb, skb.id + n, flowOf(k));
  }
  world.sched.shiftPending((_a, b) => mine.has(b), shift, dseq);
}

/**
 * The kernel state `n` periods like `last` leave (the last of them `n`
 * intervals after it): flow-table crossings repeated (counters, conntrack,
 * FDB), CPUs, wires and learnt FDB entries where the last period's charges
 * leave them, shifted.
 */
export function repeatPeriods(world: World, last: LagPeriod, n: number, intervalNs: number): void {
  const p = last.probe!;
  const shift = n * intervalNs;
  for (let i = 0; i < p.steps.length; i++) p.tables[i]!.trainRepeat(p.steps[i]!, p.stepNs[i]! + shift, n, p.stepLen[i]!);
  // A CPU's busy time only grows: the latest charge of each leaves it.
  for (let i = 0; i < p.cpus.length; i++) {
    const cpu = p.cpus[i];
    if (cpu !== undefined && p.busyAfter[i] !== p.busyBefore[i]) (cpu as Cpu).busyUntil = Math.max(cpu.busyUntil, p.busyAfter[i]! + shift);
  }
  for (let i = 0; i < p.chargeCpus.length; i++) p.chargeCpus[i]!.busyUntil = Math.max(p.chargeCpus[i]!.busyUntil, p.chargeAfter[i]! + shift);
  for (let i = 0; i < last.wireLink.length; i++) {
    const link = last.wireLink[i]!;
    link.busyUntilNs = Math.max(link.busyUntilNs, last.wireAfter[i]! + shift);
  }
  for (let i = 0; i < p.learnt.length; i++) p.learnt[i]!.updatedNs = p.learntNs[i]! + shift;
  world.fast.hits += n * last.hits;
  world.fast.replays += n * last.replays;
  world.fast.trainDatagrams += n;
  world.fast.trainWindows++;
}

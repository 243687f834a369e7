import type { Cpu } from '../cost-model.js';
import type { Skb } from '../skb.js';
import type { FlowTable, TrainStep } from './flowtable.js';

/** Most kernel steps a datagram of a train may take (past this the walk is not one a replay stands for). */
const MAX_STEPS = 16;

/** A datagram's `deliver` as the socket layer told it: what a replayed datagram's `deliver` says again. */
export interface TrainDeliver {
  atNs: number;
  at: string;
  socket: string | undefined;
  src: string | undefined;
  sport: number | undefined;
}

/**
 * What the kernel did with one datagram of a train while the probe was
 * armed (kernel/fastpath/train.ts): the flow-table crossings it replayed, the
 * CPU hand-offs, its `deliver`, and how many things happened that a train
 * replay does not redo (`unusual`: any other packet, drop, event, a
 * neighbour not REACHABLE, too many steps). Reported by the kernel objects
 * themselves, each at the one place it happens, so that a walk that did
 * anything else cannot look like a replayable one.
 */
export class TrainProbe {
  /** The crossings replayed from flow tables, in order: table, entry, time, length. */
  readonly tables: FlowTable[] = [];
  readonly steps: TrainStep[] = [];
  readonly stepNs: number[] = [];
  readonly stepLen: number[] = [];
  /** The hand-offs, in order: the CPU charged (undefined: none), when, what it was busy until before and after. */
  readonly cpus: (Cpu | undefined)[] = [];
  readonly handoffNs: number[] = [];
  readonly busyBefore: number[] = [];
  readonly busyAfter: number[] = [];
  /** When each hand-off's event runs. */
  readonly eventNs: number[] = [];
  /** The earliest time a neighbour entry it went through stops being REACHABLE without an event (lazy ageing). */
  neighbourUntilNs = Number.POSITIVE_INFINITY;
  /** CPU charges outside a veth's hand-off (a NIC's transmit): the CPU, when, busy until before and after. */
  readonly chargeCpus: Cpu[] = [];
  readonly chargeNs: number[] = [];
  readonly chargeBefore: number[] = [];
  readonly chargeAfter: number[] = [];
  /** Bridge FDB entries refreshed by a walked crossing (a switch without netfilter: learning), and when. */
  readonly learnt: { updatedNs: number }[] = [];
  readonly learntNs: number[] = [];
  /** The earliest time an FDB entry a walked crossing looked up (not refreshed by it) ages out. */
  fdbUntilNs = Number.POSITIVE_INFINITY;
  created = 0;
  createdSkb: Skb | undefined;
  deliver: TrainDeliver | undefined;
  /** The packet the `deliver` was of, and whether it was the one created while watched (same node) or an earlier one. */
  deliverPkt = -1;
  deliverOwn = false;
  recycled = 0;
  unusual = 0;

  /** Forget what was seen (the probe is armed for the next datagram). */
  reset(): void {
    this.tables.length = 0;
    this.steps.length = 0;
    this.stepNs.length = 0;
    this.stepLen.length = 0;
    this.cpus.length = 0;
    this.handoffNs.length = 0;
    this.busyBefore.length = 0;
    this.busyAfter.length = 0;
    this.eventNs.length = 0;
    this.neighbourUntilNs = Number.POSITIVE_INFINITY;
    this.chargeCpus.length = 0;
    this.chargeNs.length = 0;
    this.chargeBefore.length = 0;
    this.chargeAfter.length = 0;
    this.learnt.length = 0;
    this.learntNs.length = 0;
    this.fdbUntilNs = Number.POSITIVE_INFINITY;
    this.deliverPkt = -1;
    this.deliverOwn = false;
    this.created = 0;
    this.createdSkb = undefined;
    this.deliver = undefined;
    this.recycled = 0;
    this.unusual = 0;
  }

  /** A flow table replayed `step` for a packet of `len` bytes at `nowNs` (flowtable.ts `replay`). */
  replayed(table: FlowTable, step: TrainStep, nowNs: number, len: number): void {
    if (this.steps.length >= MAX_STEPS) {
      this.unusual++;
      return;
    }
    this.tables.push(table);
    this.steps.push(step);
    this.stepNs.push(nowNs);
    this.stepLen.push(len);
  }

  /** A packet was handed on at `nowNs` to be received at `atNs`, `cpu` (if any) busy until `before`, then `after`. */
  handoff(cpu: Cpu | undefined, nowNs: number, before: number, after: number, atNs: number): void {
    if (this.cpus.length >= MAX_STEPS) {
      this.unusual++;
      return;
    }
    this.cpus.push(cpu);
    this.handoffNs.push(nowNs);
    this.busyBefore.push(before);
    this.busyAfter.push(after);
    this.eventNs.push(atNs);
  }

  /** Neighbour output through an entry that stays as it is until `untilNs` (Infinity: PERMANENT; NaN: not steady). */
  neighbour(untilNs: number): void {
    if (Number.isNaN(untilNs)) this.unusual++;
    else if (untilNs < this.neighbourUntilNs) this.neighbourUntilNs = untilNs;
  }

  /** A packet was created. */
  create(skb: Skb): void {
    this.created++;
    this.createdSkb = skb;
  }

  /** A UDP datagram was delivered to a socket (the one created while watched, or one sent earlier: train-lag.ts). */
  delivered(skb: Skb, atNs: number, at: string, socket: string | undefined, src: string | undefined, sport: number | undefined): void {
    if (this.deliver !== undefined) this.unusual++;
    else {
      this.deliver = { atNs, at, socket, src, sport };
      this.deliverPkt = skb.id;
      this.deliverOwn = skb === this.createdSkb;
    }
  }

  /** A CPU was charged at `nowNs` outside a veth's hand-off (a NIC's transmit), busy until `before`, then `after`. */
  charged(cpu: Cpu, nowNs: number, before: number, after: number): void {
    if (this.chargeCpus.length >= MAX_STEPS) {
      this.unusual++;
      return;
    }
    this.chargeCpus.push(cpu);
    this.chargeNs.push(nowNs);
    this.chargeBefore.push(before);
    this.chargeAfter.push(after);
  }

  /** A bridge's walked crossing refreshed `entry` (learning) at `nowNs`. */
  learned(entry: { updatedNs: number }, nowNs: number): void {
    if (this.learnt.length >= MAX_STEPS) {
      this.unusual++;
      return;
    }
    this.learnt.push(entry);
    this.learntNs.push(nowNs);
  }

  /** A bridge's walked crossing found its destination in an entry that ages out after `untilNs`. */
  fdbLooked(untilNs: number): void {
    if (untilNs < this.fdbUntilNs) this.fdbUntilNs = untilNs;
  }

  /** Anything a train replay does not redo: another kind of delivery, a drop, a trace event, another hand-off. */
  other(): void {
    this.unusual++;
  }
}

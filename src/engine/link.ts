import type { Call, Scheduler } from './scheduler.js';

/**
 * A point-to-point wire in one direction: a frame takes `bytes*8/bandwidth` to
 * serialize (frames queue behind each other, FIFO) and `latency` to propagate.
 * The engine knows nothing about what the bytes mean.
 */
export interface LinkProps {
  latencyNs: number;
  bandwidthBps: number; // 0 = infinitely fast (no serialization delay)
}

export class Link {
  private busyUntil = 0;

  /** When the wire is free again (a train replay sets it where its frames would leave it: kernel/fastpath/train-lag.ts). */
  get busyUntilNs(): number {
    return this.busyUntil;
  }
  set busyUntilNs(ns: number) {
    this.busyUntil = ns;
  }

  constructor(
    private readonly sched: Scheduler,
    readonly props: LinkProps,
  ) {}

  /** Serialization time of `bytes` on this link, in integer ns. */
  serializationNs(bytes: number): number {
    if (this.props.bandwidthBps <= 0) return 0;
    return Math.ceil((bytes * 8 * 1e9) / this.props.bandwidthBps);
  }

  /**
   * Put `bytes` on the wire; `arrive` runs when the last bit reaches the far end.
   * Returns the arrival time.
   */
  send(bytes: number, arrive: () => void): number {
    const arrival = this.occupy(bytes);
    this.sched.at(arrival, arrive);
    return arrival;
  }

  /** `send` without a closure: `arrive(a, b)` runs when the last bit reaches the far end. */
  sendCall<A, B>(bytes: number, arrive: Call<A, B>, a: A, b: B): number {
    const arrival = this.occupy(bytes);
    this.sched.callAt(arrival, arrive, a, b);
    return arrival;
  }

  /** The wire is busy with `bytes` after what it already carries: when they arrive. */
  private occupy(bytes: number): number {
    const start = Math.max(this.sched.now, this.busyUntil);
    const done = start + this.serializationNs(bytes);
    const observer = this.sched.observer;
    if (observer !== undefined) observer.wire(this, this.sched.now, this.busyUntil, done);
    this.busyUntil = done;
    return done + this.props.latencyNs;
  }
}

import type { Scheduler } from '../../engine/scheduler.js';
import type { ControlPlaneInput } from '../spec.js';

/**
 * ingress-nginx's `--sync-rate-limit` (default 0.3 syncs a second, a token
 * bucket of one): syncIngress starts with syncRateLimiter.Accept(), so a sync
 * comes at least 1/0.3 s after the previous one (x/time/rate's wait,
 * truncated to the nanosecond).
 */
export const SYNC_INTERVAL_NS = 3_333_333_333;
/** balancer.lua's BACKENDS_SYNC_INTERVAL: each nginx worker reads the posted backends every second (ngx.timer.every). */
export const LUA_SYNC_PERIOD_NS = 1_000_000_000;

/** What the controller tells its nginx at each step. */
export interface BackendSyncTarget {
  /** syncIngress with the API objects of that moment: true when the backends changed (they were POSTed to /configuration/backends). */
  sync(cp: ControlPlaneInput): boolean;
  /** A worker's sync_backends timer found newer backends and rebuilt its balancers. */
  apply(): void;
}

/**
 * How an API change reaches nginx's balancers, in ingress-nginx's steps:
 *
 * 1. the informers see a Service or EndpointSlice change and enqueue an item
 *    stamped with the time (EnqueueSkippableTask);
 * 2. one worker takes the items in order (internal/task/queue.go): an item
 *    older than the last sync's start is skipped; otherwise syncIngress
 *    waits for the rate limiter's token, then reads the informer cache as it
 *    is then. Backends that differ from the running ones are POSTed to the
 *    Lua side (configureDynamically, no reload);
 * 3. each nginx worker's `sync_backends` timer, every second, finds the
 *    newer backends and swaps them in.
 *
 * So a change is served after up to a second (nothing else pending), or
 * after several seconds when syncs follow one another. The worker's timer
 * ticks at whole seconds of the run (its phase is unknown: nginx started
 * before the run).
 */
export class BackendSync {
  /** Items not yet taken, by their place in the order of API changes (time stamps, with simultaneous changes in the order they were made). */
  private readonly queue: number[] = [];
  /** How many changes have been enqueued. */
  private enqueued = 0;
  /** The latest API objects (the informer cache). */
  private latest: ControlPlaneInput;
  private busy = false;
  /** The last sync's start: every item enqueued before it was taken is covered by it (queue.go's lastSync). */
  private lastSync = 0;
  /** When the rate limiter has a token again (long before the run: the bucket is full). */
  private tokenAt = -Infinity;
  /** Whether a posted configuration waits for the Lua timer. */
  private posted = false;

  constructor(
    private readonly sched: Scheduler,
    cp: ControlPlaneInput,
    private readonly target: BackendSyncTarget,
  ) {
    this.latest = cp;
  }

  /** The controller process exited (its pod's containers): a dead controller neither syncs nor posts. */
  private stopped = false;

  stop(): void {
    this.stopped = true;
  }

  /** The informers saw the Services or EndpointSlices change. */
  apiChanged(cp: ControlPlaneInput): void {
    if (this.stopped) return;
    this.latest = cp;
    this.queue.push(++this.enqueued);
    if (!this.busy) this.work();
  }

  /** The worker: the next item not covered by the last sync starts a sync, once the rate limiter allows. */
  private work(): void {
    while (this.queue.length > 0) {
      const item = this.queue.shift()!;
      if (item <= this.lastSync) continue;
      const taken = this.enqueued;
      this.busy = true;
      const at = Math.max(this.sched.now, this.tokenAt);
      this.tokenAt = at + SYNC_INTERVAL_NS;
      this.sched.at(at, () => {
        if (this.stopped) return;
        if (this.target.sync(this.latest)) this.post();
        this.lastSync = taken;
        this.busy = false;
        this.work();
      });
      return;
    }
  }

  /** The Lua side stores the backends; the next tick of a worker's timer applies them. */
  private post(): void {
    if (this.posted) return;
    this.posted = true;
    const tick = (Math.floor(this.sched.now / LUA_SYNC_PERIOD_NS) + 1) * LUA_SYNC_PERIOD_NS;
    this.sched.at(tick, () => {
      if (this.stopped) return;
      this.posted = false;
      this.target.apply();
    });
  }
}

/**
 * `import 'podwalk/vitest'` registers podwalk's matchers with vitest's
 * `expect` and types them on vitest's Assertion interface:
 *
 * ```ts
 * import { Simulation } from 'podwalk';
 * import 'podwalk/vitest';
 * expect(results.flow('to-cart')).toBeDeliveredTo('pod/shop/cart');
 * ```
 */
import { expect } from 'vitest';
import type { PolicyExpectation } from '../scenario/types.js';
import type { DropReason } from '../trace/events.js';
import * as m from './matchers.js';

export interface PodwalkMatchers<R = unknown> {
  /** The request reached a socket. */
  toBeDelivered(): R;
  /**
   * The request reached a socket in `pod/<ns>/<name>` (`pod/<name>` = namespace default), `node/<name>`,
   * `host/<name>`, any pod of a workload or selector (`deployment/<ns>/<name>`, `pod/<ns>?app=web`), or any
   * of a list of these: exactly what `expect.deliveredTo` takes.
   */
  toBeDeliveredTo(ref: string | readonly string[]): R;
  /** The request was dropped; with `reason`, for that drop reason (docs/trace.md). */
  toBeDropped(opts?: { reason?: DropReason }): R;
  /** The request crossed these `<netns>:<dev>` hops in this order (other hops may come between). */
  toTraverse(hops: readonly string[]): R;
  /** NAT rewrote the request; with `dst` / `src`, to that `ip` or `ip:port`. */
  toBeNatted(want?: { dst?: string; src?: string }): R;
  /** The receiving socket saw this source IP. */
  toBeSeenFrom(ip: string): R;
  /** NetworkPolicy `ns/name` decided the request (allowed it by a rule, or denied it by isolating the pod). */
  toMatchPolicy(name: string, opts?: Omit<PolicyExpectation, 'name'>): R;
}

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars
  interface Assertion<T = any> extends PodwalkMatchers<void> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AsymmetricMatchersContaining extends PodwalkMatchers<void> {}
}

/** The matchers as `expect.extend` takes them (already registered by importing this module). */
export const podwalkMatchers = {
  toBeDelivered(this: { isNot: boolean }, received: unknown) {
    return m.toBeDelivered(received, this.isNot);
  },
  toBeDeliveredTo(this: { isNot: boolean }, received: unknown, ref: string | readonly string[]) {
    return m.toBeDeliveredTo(received, this.isNot, ref);
  },
  toBeDropped(this: { isNot: boolean }, received: unknown, opts?: { reason?: string }) {
    return m.toBeDropped(received, this.isNot, opts);
  },
  toTraverse(this: { isNot: boolean }, received: unknown, hops: readonly string[]) {
    return m.toTraverse(received, this.isNot, hops);
  },
  toBeNatted(this: { isNot: boolean }, received: unknown, want?: { dst?: string; src?: string }) {
    return m.toBeNatted(received, this.isNot, want);
  },
  toBeSeenFrom(this: { isNot: boolean }, received: unknown, ip: string) {
    return m.toBeSeenFrom(received, this.isNot, ip);
  },
  toMatchPolicy(this: { isNot: boolean }, received: unknown, name: string, opts?: Omit<PolicyExpectation, 'name'>) {
    return m.toMatchPolicy(received, this.isNot, name, opts);
  },
};

expect.extend(podwalkMatchers);

import { describe, expect, it } from 'vitest';
import { Scheduler } from '../../src/engine/scheduler.js';
import { BackendSync, SYNC_INTERVAL_NS } from '../../src/cluster/ingress/backend-sync.js';
import type { ControlPlaneInput } from '../../src/cluster/spec.js';

const S = 1e9;
const cp = (tag: string): ControlPlaneInput => ({ services: [], endpointSlices: [], tag }) as unknown as ControlPlaneInput;
const tag = (c: ControlPlaneInput): string => (c as unknown as { tag: string }).tag;

/** A BackendSync whose syncs and applies are recorded; `changed` decides whether a sync posts. */
function harness(changed: (c: ControlPlaneInput) => boolean = () => true) {
  const sched = new Scheduler();
  const log: string[] = [];
  const sync = new BackendSync(sched, cp('start'), {
    sync: (c) => {
      log.push(`${sched.now / S} sync ${tag(c)}`);
      return changed(c);
    },
    apply: () => log.push(`${sched.now / S} apply`),
  });
  return { sched, log, sync };
}

describe('ingress-nginx: how an API change reaches the balancers', () => {
  it('a lone change is synced at once and taken by the Lua timer at the next whole second', () => {
    const { sched, log, sync } = harness();
    sched.at(1.2 * S, () => sync.apiChanged(cp('a')));
    sched.run();
    expect(log).toEqual(['1.2 sync a', '2 apply']);
  });

  it('syncs are rate-limited to one per 3.33 s and read the API as it is then', () => {
    const { sched, log, sync } = harness();
    sched.at(1 * S, () => sync.apiChanged(cp('a')));
    sched.at(1.5 * S, () => sync.apiChanged(cp('b')));
    sched.at(2 * S, () => sync.apiChanged(cp('c')));
    sched.run();
    // b is taken at 1.5 s and waits for the token (4.33 s), by when the API holds c; c came after b was taken: one more sync.
    expect(log).toEqual(['1 sync a', '2 apply', `${(1 * S + SYNC_INTERVAL_NS) / S} sync c`, '5 apply', `${(1 * S + 2 * SYNC_INTERVAL_NS) / S} sync c`, '8 apply']);
  });

  it('items enqueued before a sync was taken are covered by it and skipped', () => {
    const { sched, log, sync } = harness((c) => tag(c) !== 'same');
    sched.at(1 * S, () => {
      sync.apiChanged(cp('a'));
      // Taken at once (the first item); these three come after it was taken: one more sync covers them all.
      sync.apiChanged(cp('b'));
      sync.apiChanged(cp('c'));
      sync.apiChanged(cp('d'));
    });
    sched.run();
    expect(log).toEqual(['1 sync d', '2 apply', `${(1 * S + SYNC_INTERVAL_NS) / S} sync d`, '5 apply']);
  });

  it('a sync that finds nothing new posts nothing, but still spends the token', () => {
    const { sched, log, sync } = harness((c) => tag(c) !== 'same');
    sched.at(1 * S, () => sync.apiChanged(cp('same')));
    sched.at(2 * S, () => sync.apiChanged(cp('x')));
    sched.run();
    expect(log).toEqual(['1 sync same', `${(1 * S + SYNC_INTERVAL_NS) / S} sync x`, '5 apply']);
  });

  it('after a quiet spell the bucket is full again: no wait', () => {
    const { sched, log, sync } = harness();
    sched.at(1 * S, () => sync.apiChanged(cp('a')));
    sched.at(10.5 * S, () => sync.apiChanged(cp('b')));
    sched.run();
    expect(log).toEqual(['1 sync a', '2 apply', '10.5 sync b', '11 apply']);
  });
});

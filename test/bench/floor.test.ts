import { describe, expect, it } from 'vitest';
import { captureProfile, type RanEvent } from '../../src/bench/floor-profile.js';
import { floorShape, runFloor } from '../../src/bench/floor.js';

// The floor of `npm run bench` replays the real walk's scheduler events exactly (never timed here).
describe('bench floor', () => {
  it.each(['same-node', 'cross-node'] as const)('%s: every event at the real walk\'s time, in its (time, sequence) order', (walk) => {
    const real: RanEvent[] = [];
    const profile = captureProfile({ walk, packets: 40, connected: true }, real);
    // However many events podwalk's walk takes (3 and 7 when this was written), the floor takes the same.
    expect(profile.offsetNs.length).toBeGreaterThanOrEqual(2);
    expect(profile.matching + profile.exceptions.length).toBe(40);
    expect(profile.datagram.length).toBe(20 + 8 + 64);
    const floor: RanEvent[] = [];
    const r = runFloor(profile, { walk, packets: 40, variant: 'every-event' }, () => 0, floor);
    expect(floor).toEqual(real);
    expect(r.delivered).toBe(40);
    expect(r.events).toBe(40 * profile.offsetNs.length);
    expect(r.frameBytes).toBe(14 + 20 + 8 + 64);
  });

  it('send + deliver: two events a datagram, the send and the delivery at its real time', () => {
    const real: RanEvent[] = [];
    const profile = captureProfile({ walk: 'cross-node', packets: 10, connected: true }, real);
    const floor: RanEvent[] = [];
    const r = runFloor(profile, { walk: 'cross-node', packets: 10, variant: 'whole-packet' }, () => 0, floor);
    expect(r.events).toBe(20);
    expect(r.eventsPerDatagram).toBe(2);
    expect(r.walkEventsPerDatagram).toBe(profile.offsetNs.length);
    const delivered = (xs: RanEvent[], hop: (d: number) => number): number[] => xs.filter((x) => x.hop === hop(x.datagram)).map((x) => x.timeNs);
    const shapeOf = (d: number) => profile.exceptions.find(([k]) => k === d)?.[1] ?? profile;
    expect(delivered(floor, () => 1)).toEqual(delivered(real, (d) => shapeOf(d).deliverAt));
    expect(floorShape(profile, 'whole-packet')).toEqual({ offsetNs: [0, profile.offsetNs[profile.deliverAt]], children: [[1], []], deliverAt: 1 });
  });
});

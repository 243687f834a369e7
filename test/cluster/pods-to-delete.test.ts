import { describe, expect, it } from 'vitest';
import { podsToDelete, POD_DELETION_COST, type RankedPod } from '../../src/cluster/live/pods-to-delete.js';

// ReplicaSet getPodsToDelete (controller_utils ActivePodsWithRanks.Less, LogarithmicScaleDown).
const pod = (name: string, nodeName: string, extra: Partial<RankedPod> = {}): RankedPod => ({ name, nodeName, ready: true, terminating: false, ...extra });
const names = (ps: RankedPod[]): string[] => ps.map((p) => p.name);
const NOW = 100e9;

describe('getPodsToDelete ranking', () => {
  it('deletes a pod sharing its node with more related pods first, not the newest', () => {
    const pods = [pod('a', 'cp'), pod('b', 'cp'), pod('c', 'node2', { createdAt: 50e9 })];
    expect(names(podsToDelete(pods, pods, 1, NOW))).toEqual(['a']);
  });

  it('deletes a not-ready pod (a NotReady node`s) first, whatever its co-location and age', () => {
    const pods = [pod('a', 'cp'), pod('b', 'cp'), pod('c', 'node2', { ready: false })];
    expect(names(podsToDelete(pods, pods, 1, NOW))).toEqual(['c']);
  });

  it('counts co-location over every ReplicaSet of the Deployment (related pods), active ones only', () => {
    const old = [pod('o1', 'n1'), pod('o2', 'n2')];
    const related = [...old, pod('new1', 'n2'), pod('gone', 'n1', { terminating: true })];
    expect(names(podsToDelete(old, related, 1, NOW))).toEqual(['o2']);
  });

  it('a lower pod-deletion-cost goes first (before co-location); malformed counts as 0', () => {
    const pods = [pod('a', 'cp', { annotations: { [POD_DELETION_COST]: '10' } }), pod('b', 'cp', { annotations: { [POD_DELETION_COST]: 'x' } }), pod('c', 'node2', { annotations: { [POD_DELETION_COST]: '-5' } })];
    expect(names(podsToDelete(pods, pods, 3, NOW))).toEqual(['c', 'b', 'a']);
  });

  it('then Ready for less time, by powers of two; more restarts; newer', () => {
    const ready = [pod('long', 'n1', { readyAt: 1e9 }), pod('short', 'n2', { readyAt: 99e9 })];
    expect(names(podsToDelete(ready, ready, 1, NOW))).toEqual(['short']);
    const restarts = [pod('calm', 'n1'), pod('crashy', 'n2', { restarts: 3 })];
    expect(names(podsToDelete(restarts, restarts, 1, NOW))).toEqual(['crashy']);
    const age = [pod('old', 'n1', { createdAt: 0 }), pod('young', 'n2', { createdAt: 90e9 })];
    expect(names(podsToDelete(age, age, 1, NOW))).toEqual(['young']);
    // Same power of two (ages 64-127 s): the UID (here the name) decides.
    const bucket = [pod('y', 'n1', { createdAt: 10e9 }), pod('x', 'n2', { createdAt: 20e9 })];
    expect(names(podsToDelete(bucket, bucket, 1, NOW))).toEqual(['x']);
  });

  it('sorts once and takes the first diff', () => {
    const pods = [pod('a', 'n1'), pod('b', 'n1'), pod('c', 'n1'), pod('d', 'n2')];
    expect(names(podsToDelete(pods, pods, 2, NOW))).toEqual(['a', 'b']);
    expect(podsToDelete(pods, pods, 0, NOW)).toEqual([]);
  });
});

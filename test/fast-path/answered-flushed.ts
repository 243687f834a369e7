import { walkScenarioText, type WalkName } from '../../src/bench/walk.js';

/**
 * The benchmark walk from one connected socket with answers, node1's conntrack flushed at `flushAt` (the burst
 * starts at 100 ms, a datagram every 20 us): reply-entries.test.ts counts its flow tables, the differential test
 * runs it with the fast path on and off.
 */
export function answeredFlushedText(walk: WalkName, packets: number, flushAt: string): string {
  const text = walkScenarioText({ walk, packets, intervalNs: 20_000, connected: true }).replace('reuseConnection: true}', 'reuseConnection: true, reply: 100}');
  return `${text}steps:\n  - {at: ${flushAt}, conntrack: {node: node1, flush: true}}\n`;
}

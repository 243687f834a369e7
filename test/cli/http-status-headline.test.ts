import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../src/cli/main.js';

describe('run: a plain http item says the status the client read in its headline', () => {
  it('the health-check node ports answer 503 on the node without an endpoint, 200 on the other', () => {
    let out = '';
    const code = cli(['run', join(process.cwd(), 'scenarios', 'service-loadbalancer-named-port.yaml'), '--quiet'], { out: (s) => (out += s), err: () => {}, term: { width: undefined, colour: false } });
    expect(code).toBe(0);
    expect(out).toContain('health-check-node1: TCP, delivered, rtt 608.6 µs, HTTP 503\n');
    expect(out).toMatch(/health-check-node2: TCP, delivered, rtt [\d.]+ µs, HTTP 200\n/);
    // Not an http item: no status.
    expect(out).toMatch(/via-lb#1: TCP, delivered, rtt [\d.]+ µs\n/);
  });
});

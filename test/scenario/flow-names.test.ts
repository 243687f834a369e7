import { describe, expect, it } from 'vitest';
import { FlowNames } from '../../src/scenario/run/flow-names.js';

describe('FlowNames', () => {
  it('names the kth flow `prefix` + k, in order and out of order', () => {
    const names = new FlowNames('f#');
    for (let k = 1; k <= 12_345; k++) expect(names.of(k)).toBe(`f#${k}`);
    for (const k of [999, 1000, 1001, 100_000, 1_000_000, 1, 2_000_000_007, 99_999]) expect(names.of(k)).toBe(`f#${k}`);
  });
});

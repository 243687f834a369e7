import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../src/cli/main.js';

describe('an ingress controller whose pod is deleted', () => {
  // The controller scaled to 0 at 500 ms: its containers exit there; Services and EndpointSlices change after.
  it('neither syncs backends nor ticks its Lua timer once its containers exited', () => {
    let out = '';
    cli(['run', join(process.cwd(), 'test', 'cluster', 'fixtures', 'ingress-controller-exit.yaml'), '--quiet'], { out: (s) => (out += s), err: () => {} });
    const exited = /^ +([\d.]+) s +(ingress-nginx\/ingress-nginx-controller-\S+): pod-terminating: .*containers exited/m.exec(out);
    expect(exited).not.toBeNull();
    const after = out.split('\n').filter((l) => l.includes(`${exited![2]}: ingress-sync`) && Number(/^ +([\d.]+) s/.exec(l)?.[1]) >= Number(exited![1]));
    expect(after).toEqual([]);
  });
});

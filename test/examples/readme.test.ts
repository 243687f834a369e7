// The README's "Testing with podwalk" example, verbatim apart from the path:
// what the README promises must keep working.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Simulation } from 'podwalk';
import 'podwalk/vitest'; // registers and types the matchers

describe('cart', () => {
  const sim = Simulation.fromFile(join(import.meta.dirname, '..', '..', 'scenarios', 'shop-policies.yaml'));
  sim.send({ name: 'by-name', from: 'pod/shop/frontend', to: 'cart', port: 80 }); // DNS, then TCP
  sim.send({ name: 'intruder', from: 'pod/shop/intruder', to: 'service/shop/cart', port: 80, at: '1ms' });
  const results = sim.run();

  it('is reached from the frontend through its Service', () => {
    const f = results.flow('by-name');
    expect(f).toBeDeliveredTo('pod/shop/cart');
    expect(f).toBeNatted({ dst: '10.244.2.2:8080' });
    expect(f).toBeSeenFrom('10.244.1.2');
    expect(f).toTraverse(['node1:cbr0', 'node1:flannel.1', 'node2:flannel.1', 'shop/cart:eth0']);
    expect(f).toMatchPolicy('shop/cart-from-frontend', { verdict: 'allow' });
  });

  it('is closed to everyone else', () => {
    expect(results.flow('intruder')).toBeDropped({ reason: 'policy-denied' });
  });

  it('runs the file’s own traffic too, and its expectations hold', () => {
    expect(results.mismatches()).toEqual([]);
  });
});

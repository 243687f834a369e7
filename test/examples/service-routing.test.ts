// A platform team's test, written the way a user of the package writes it:
// everything comes from 'podwalk' and 'podwalk/vitest' (this repo resolves
// them through package.json "exports", exactly as node_modules/podwalk would).
import { describe, expect, it } from 'vitest';
import { Simulation } from 'podwalk';
import 'podwalk/vitest';

const shop = {
  apiVersion: 'podwalk/v1alpha1',
  kind: 'Scenario',
  metadata: { name: 'shop' },
  cluster: { network: 'flannel-vxlan', nodes: [{ name: 'node1' }, { name: 'node2' }] },
  resources: [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
    pod('frontend', 'node1', { app: 'frontend' }),
    pod('cart', 'node2', { app: 'cart' }, 8080),
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'cart', namespace: 'shop' }, spec: { selector: { app: 'cart' }, ports: [{ port: 80, targetPort: 8080 }] } },
  ],
};

function pod(name: string, node: string, labels: Record<string, string>, port?: number): object {
  const ports = port === undefined ? [] : [{ containerPort: port }];
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'shop', labels }, spec: { nodeName: node, containers: [{ name, image: 'img', ports }] } };
}

describe('frontend reaches cart only through its Service', () => {
  const sim = Simulation.fromObject(shop);
  sim.send({ name: 'by-service', from: 'pod/shop/frontend', to: 'service/shop/cart', port: 80 });
  sim.send({ name: 'by-dns', from: 'pod/shop/frontend', to: 'cart', port: 80, at: '1ms' });
  const results = sim.run();

  it('is DNATed from the cluster IP to the cart pod and keeps the client address', () => {
    const f = results.flow('by-service');
    expect(f).toBeDeliveredTo('pod/shop/cart');
    expect(f).toBeNatted({ dst: '10.244.2.2:8080' });
    expect(f).toBeSeenFrom('10.244.1.2');
    expect(f).toTraverse(['shop/frontend:eth0', 'node1:cbr0', 'node1:flannel.1', 'node2:flannel.1', 'shop/cart:eth0']);
    expect(f.rules.map((r) => r.rule)).toContainEqual(expect.stringMatching(/^-A KUBE-SERVICES .* -j KUBE-SVC-/));
  });

  it('resolves the Service name through cluster DNS first', () => {
    expect(results.flow('by-dns')).toBeDeliveredTo('pod/shop/cart');
  });

  it('keeps a conntrack entry for the connection on the client node', () => {
    // conntrack -L: original tuple to the cluster IP, reply tuple from the cart pod.
    expect(sim.state('node1').conntrack()).toMatch(/ESTABLISHED src=10\.244\.1\.2 dst=10\.96\.\d+\.\d+ sport=\d+ dport=80 src=10\.244\.2\.2 /);
  });
});

// A platform team's regression test for NetworkPolicies: cart accepts only the
// frontend, and locking down the frontend's egress must not cut its DNS.
import { describe, expect, it } from 'vitest';
import { Simulation } from 'podwalk';
import 'podwalk/vitest';

const scenario = `
apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: shop-policies}
cluster:
  network: flannel-vxlan
  nodes: [{name: node1}, {name: node2}]
resources:
  - {apiVersion: v1, kind: Namespace, metadata: {name: shop}}
  - apiVersion: v1
    kind: Pod
    metadata: {name: frontend, namespace: shop, labels: {app: frontend}}
    spec: {nodeName: node1, containers: [{name: web, image: nginx}]}
  - apiVersion: v1
    kind: Pod
    metadata: {name: intruder, namespace: shop, labels: {app: intruder}}
    spec: {nodeName: node1, containers: [{name: sh, image: busybox}]}
  - apiVersion: v1
    kind: Pod
    metadata: {name: cart, namespace: shop, labels: {app: cart}}
    spec: {nodeName: node2, containers: [{name: cart, image: cart, ports: [{containerPort: 8080}]}]}
  - apiVersion: v1
    kind: Service
    metadata: {name: cart, namespace: shop}
    spec: {selector: {app: cart}, ports: [{port: 80, targetPort: 8080}]}
  - apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: cart-from-frontend, namespace: shop}
    spec:
      podSelector: {matchLabels: {app: cart}}
      policyTypes: [Ingress]
      ingress:
        - from: [{podSelector: {matchLabels: {app: frontend}}}]
          ports: [{protocol: TCP, port: 8080}]
  - apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: frontend-egress, namespace: shop}
    spec:
      podSelector: {matchLabels: {app: frontend}}
      policyTypes: [Egress]
      egress:
        - to: [{podSelector: {matchLabels: {app: cart}}}]
          ports: [{protocol: TCP, port: 8080}]
        - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}}]
          ports: [{protocol: UDP, port: 53}]
`;

describe('shop NetworkPolicies', () => {
  const sim = Simulation.fromYaml(scenario, { file: 'shop-policies.yaml' });
  sim.send({ name: 'frontend-to-cart', from: 'pod/shop/frontend', to: 'cart', port: 80 });
  sim.send({ name: 'intruder-to-cart', from: 'pod/shop/intruder', to: 'service/shop/cart', port: 80, at: '1ms' });
  sim.send({ name: 'frontend-to-intruder', from: 'pod/shop/frontend', to: 'pod/shop/intruder', port: 80, at: '2ms' });
  const results = sim.run();

  it('frontend reaches cart by name: DNS still works under the egress lockdown', () => {
    const f = results.flow('frontend-to-cart');
    expect(f).toBeDeliveredTo('pod/shop/cart');
    expect(f).toMatchPolicy('shop/cart-from-frontend', { direction: 'ingress', verdict: 'allow' });
    expect(f).toMatchPolicy('shop/frontend-egress', { direction: 'egress', verdict: 'allow' });
  });

  it('anything else is denied where the policy says', () => {
    const intruder = results.flow('intruder-to-cart');
    expect(intruder).toBeDropped({ reason: 'policy-denied' });
    expect(intruder).toMatchPolicy('shop/cart-from-frontend', { direction: 'ingress', verdict: 'deny' });
    expect(intruder).toTraverse(['node1:flannel.1', 'node2:flannel.1']); // denied at the destination node
    const out = results.flow('frontend-to-intruder');
    expect(out).toBeDropped({ reason: 'policy-denied' });
    expect(out).toMatchPolicy('shop/frontend-egress', { direction: 'egress', verdict: 'deny' });
    expect(out).not.toTraverse(['node1:eth0']);
  });

  it('would catch the regression: without the DNS egress rule the name no longer resolves', () => {
    const broken = scenario.replace(/ {8}- to: \[\{namespaceSelector[^\n]*\n[^\n]*UDP, port: 53[^\n]*\n/, '');
    expect(broken).not.toBe(scenario);
    const s = Simulation.fromYaml(broken, { file: 'shop-policies-broken.yaml' });
    s.send({ name: 'frontend-to-cart', from: 'pod/shop/frontend', to: 'cart', port: 80 });
    const f = s.run().flow('frontend-to-cart');
    expect(f).toBeDropped({ reason: 'dns-unresolved' });
    // The lookup's queries are part of the flow: each one denied by the egress policy.
    const queries = f.packets().filter((p) => p.role === 'lookup' && p.by === 'app');
    expect(queries.length).toBeGreaterThan(0);
    expect(queries.every((p) => p.fate?.kind === 'drop' && p.fate.reason === 'policy-denied')).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { Simulation } from '../../src/api/index.js';
import { loadScenarioText } from '../../src/scenario/load/parse.js';
import { probeMatrix } from '../../src/scenario/run/matrix.js';

// The policy agent watches the API: what the controllers and steps change while the run goes on reaches its rules.

const dbDeployment = `  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: db}
    spec:
      replicas: 1
      selector: {matchLabels: {app: db}}
      template:
        metadata: {labels: {app: db}}
        spec: {containers: [{name: db, image: postgres, ports: [{containerPort: 5432}]}]}
`;

function scenario(body: string): string {
  return `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: agent-watch}
${body}`;
}

describe('the NetworkPolicy agent follows pods the controllers create and delete', () => {
  const yaml = scenario(`cluster: {network: flannel-vxlan, nodes: [{name: node1}, {name: node2}]}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: client}, spec: {nodeName: node1, containers: [{name: c, image: busybox, ports: [{containerPort: 5432}]}]}}
${dbDeployment}  - {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: deny-db}, spec: {podSelector: {matchLabels: {app: db}}}}
steps:
  - {at: 1s, scale: {deployment: default/db, replicas: 3, readyAfter: 0s}}
`);

  it('a replica a scale step adds is isolated by the policy that selects its labels', () => {
    const r = loadScenarioText(yaml, 'agent-watch.yaml');
    if (!r.ok) throw new Error('does not load');
    const m = probeMatrix(r.scenario, { port: 5432, protocol: 'TCP', via: 'pod', atNs: 2e9 });
    expect(m.pods.filter((p) => p.startsWith('default/db-'))).toHaveLength(3);
    const toDb = m.cells.flat().filter((c) => c.from === 'default/client' && c.to.startsWith('default/db-'));
    expect(toDb.map((c) => [c.allowed, c.flow?.dropReason])).toEqual([
      [false, 'policy-denied'],
      [false, 'policy-denied'],
      [false, 'policy-denied'],
    ]);
    // Egress is not isolated: every db replica reaches the client.
    expect(m.cells.flat().filter((c) => c.to === 'default/client' && c.from !== c.to).every((c) => c.allowed)).toBe(true);
  });

  it('a deleted pod leaves the agent peer sets (its address may go to the next pod)', () => {
    const allow = scenario(`cluster: {network: flannel-vxlan, nodes: [{name: node1}, {name: node2}]}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: frontend, labels: {role: frontend}}, spec: {nodeName: node1, containers: [{name: c, image: web}]}}
${dbDeployment}  - apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: db-from-frontend}
    spec: {podSelector: {matchLabels: {app: db}}, ingress: [{from: [{podSelector: {matchLabels: {role: frontend}}}]}]}
steps:
  - {at: 1ms, deletePod: {pod: default/frontend}}
`);
    const sim = Simulation.fromYaml(allow);
    sim.runUntil('500ms');
    // db's one replica is the first pod scheduled: round-robin puts it on node1, whose agent holds the peer set.
    expect(sim.state('node1').ipsets()).toContain('10.244.1.2');
    sim.runUntil('2s'); // the sandbox goes 1 s after the containers exit (kubelet's relist), the pod object with it
    expect(sim.state('node1').ipsets()).not.toContain('10.244.1.2');
  });
});

describe('the NetworkPolicy agent in ipvs mode follows Services a step creates or deletes', () => {
  const yaml = scenario(`cluster: {network: flannel-vxlan, proxyMode: ipvs, nodes: [{name: node1}, {name: node2}]}
resources:
  - {apiVersion: v1, kind: Pod, metadata: {name: client, labels: {app: client}}, spec: {nodeName: node1, containers: [{name: c, image: busybox}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: db, labels: {app: db}}, spec: {nodeName: node2, containers: [{name: c, image: db, ports: [{containerPort: 5432}]}]}}
  - apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: client-to-db-only}
    spec: {podSelector: {matchLabels: {app: client}}, policyTypes: [Egress], egress: [{to: [{podSelector: {matchLabels: {app: db}}}]}]}
steps:
  - {at: 1ms, apply: {apiVersion: v1, kind: Service, metadata: {name: db}, spec: {selector: {app: db}, ports: [{port: 5432}]}}}
  - {at: 3s, delete: service/default/db}
`);

  it('egress to the new cluster IP is judged after IPVS picks the backend, as for a Service there from the start', () => {
    const sim = Simulation.fromYaml(yaml);
    // A test may send to a Service a step creates, as a scenario's traffic may.
    sim.send({ name: 'to-service', from: 'pod/client', to: 'service/db', port: 5432, at: '2s' });
    const f = sim.run().flow('to-service');
    expect(f.verdict).toBe('delivered');
    expect(f.deliveredTo).toBe('pod/default/db');
  });

  it('the Service IP set gains the cluster IP with the Service and loses it when the Service goes', () => {
    const sim = Simulation.fromYaml(yaml);
    sim.runUntil('500us');
    expect(sim.state('node1').ipsets()).not.toContain('10.96.0.11');
    sim.runUntil('2s');
    expect(sim.state('node1').ipsets()).toMatch(/NETPOL[^\n]*\n(?:[^\n]+\n)*?10\.96\.0\.11/);
    sim.runUntil('4s');
    expect(sim.state('node1').ipsets()).not.toContain('10.96.0.11');
  });
});

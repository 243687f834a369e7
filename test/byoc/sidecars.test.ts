// A native sidecar (an init container with restartPolicy: Always, Kubernetes 1.29+) runs for the
// pod's whole life: a mesh proxy's or metrics agent's ports listen, and a Service's named targetPort
// finds its port (FindPort looks in the containers, then in the sidecars). A plain init container
// has exited before the containers start: nothing listens on its ports.
import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

const text = `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: sidecars}
cluster: {nodes: [{name: node1}, {name: node2}]}
resources:
  - apiVersion: v1
    kind: Pod
    metadata: {name: web, labels: {app: web}}
    spec:
      nodeName: node2
      initContainers:
        - {name: migrate, image: flyway, ports: [{containerPort: 9999}]}
        - {name: proxy, image: envoy, restartPolicy: Always, ports: [{containerPort: 15001, name: proxy}, {containerPort: 15090, name: metrics}]}
      containers: [{name: app, image: app, ports: [{containerPort: 8080, name: http}]}]
  - apiVersion: v1
    kind: Service
    metadata: {name: web-metrics}
    spec: {selector: {app: web}, ports: [{port: 9090, targetPort: metrics}]}
  - {apiVersion: v1, kind: Pod, metadata: {name: client}, spec: {nodeName: node1, containers: [{name: c, image: curl}]}}
traffic:
  - {name: to-sidecar, from: pod/client, to: pod/web, port: 15001}
  - {name: to-sidecar-port-name, from: pod/client, to: service/default/web-metrics, port: 9090}
  - {name: to-init, from: pod/client, to: pod/web, port: 9999}
`;

describe('native sidecars', () => {
  it('listen on their ports; a finished init container does not', () => {
    const r = loadScenarioText(text, 's.yaml');
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    const web = r.scenario.pods.find((p) => p.name === 'web')!;
    expect(web.ports.map((p) => `${p.containerPort}${p.name ? ` ${p.name}` : ''}`)).toEqual(['8080 http', '15001 proxy', '15090 metrics']);
    const flows = simulate(r.scenario).flows;
    expect(flows.map((f) => `${f.flow} ${f.verdict}${f.dropReason ? ` ${f.dropReason}` : ''}`)).toEqual(['to-sidecar delivered', 'to-sidecar-port-name delivered', 'to-init dropped tcp-reset']);
    expect(flows[1]!.nat?.[0]?.after).toMatch(/> 10\.244\.2\.\d+:15090$/);
  });
});

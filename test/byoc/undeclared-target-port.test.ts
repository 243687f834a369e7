// containerPort is informational in Kubernetes: a Service may send to a port its pods never declare,
// and the app listens there all the same. A pod here listens only on the ports it declares, so such a
// Service's connections are reset: one warning per Service port says why, at load time.
import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';

const text = (ports: string): string => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web${ports}}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}, {name: named, port: 81, targetPort: http}, {name: dns, port: 53, protocol: UDP}]
`;

describe('a numeric targetPort no selected pod declares', () => {
  it('is a warning per Service port', () => {
    const r = loadScenarioText(text(''), 'w.yaml');
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    const w = r.scenario.warnings.map(formatProblem).filter((x) => x.includes('declares containerPort'));
    expect(w).toEqual([
      expect.stringMatching(/^w\.yaml:15:13: doc 2\.spec\.selector: Service default\/web port http: no pod it selects \(web-[a-z0-9]+-[a-z0-9]{5}, web-[a-z0-9]+-[a-z0-9]{5}\) declares containerPort 8080\/TCP; a pod here listens only on its declared ports, so connections to it are reset \(on a real cluster the app may listen without declaring it: add the containerPort to walk that\)$/),
      expect.stringMatching(/Service default\/web port dns: .* declares containerPort 53\/UDP;/),
    ]);
  });

  it('is quiet when a pod declares it (a named targetPort is the EndpointSlice controller\'s business)', () => {
    const r = loadScenarioText(text(', ports: [{containerPort: 8080, name: http}, {containerPort: 53, protocol: UDP}]'), 'w.yaml');
    expect(r.ok && r.scenario.warnings.filter((x) => x.message.includes('declares containerPort'))).toEqual([]);
  });
});

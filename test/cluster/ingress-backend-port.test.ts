import { describe, expect, it } from 'vitest';
import { clusterIpPortFor, servicePortFor } from '../../src/cluster/ingress/backend-port.js';
import type { ServiceInput, ServicePortInput } from '../../src/cluster/spec.js';

const port = (name: string, p: number, targetPort: number | string, protocol: ServicePortInput['protocol'] = 'TCP'): ServicePortInput => ({ name, protocol, port: p, targetPort });
const ports = [port('dns', 53, 5353, 'UDP'), port('main', 80, 'http'), port('alt', 81, 8080), port('metrics', 9090, 9090)];
const svc = (clusterIP?: string): ServiceInput => ({ namespace: 'default', name: 'web', type: 'ClusterIP', ...(clusterIP ? { clusterIP } : {}), ports, externalIPs: [], loadBalancerIPs: [], loadBalancerSourceRanges: [], externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster', sessionAffinity: 'None', affinityTimeoutSeconds: 10800 });

describe("an Ingress backend's port, as ingress-nginx's serviceEndpoints reads it", () => {
  it('a number matches the port, else a targetPort', () => {
    expect(servicePortFor(ports, { number: 80 })?.name).toBe('main');
    expect(servicePortFor(ports, { number: 8080 })?.name).toBe('alt');
    expect(servicePortFor(ports, { number: 8081 })).toBeUndefined();
  });

  it('a name matches the port name or a targetPort name', () => {
    expect(servicePortFor(ports, { name: 'alt' })?.name).toBe('alt');
    expect(servicePortFor(ports, { name: 'http' })?.name).toBe('main');
  });

  it('the first port in spec order wins, whatever its protocol', () => {
    expect(servicePortFor(ports, { number: 53 })?.name).toBe('dns');
    expect(servicePortFor([port('a', 8080, 80), port('b', 80, 8080)], { number: 80 })?.name).toBe('a');
  });

  it('service-upstream: a number is taken as it is; a name only among port names; no cluster IP, no port', () => {
    expect(clusterIpPortFor(svc('10.96.0.10'), { number: 8080 })).toBe(8080);
    expect(clusterIpPortFor(svc('10.96.0.10'), { number: 1234 })).toBe(1234);
    expect(clusterIpPortFor(svc('10.96.0.10'), { name: 'alt' })).toBe(81);
    expect(clusterIpPortFor(svc('10.96.0.10'), { name: 'http' })).toBeUndefined();
    expect(clusterIpPortFor(svc(), { number: 80 })).toBeUndefined();
  });
});

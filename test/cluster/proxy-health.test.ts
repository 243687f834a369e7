import { describe, expect, it } from 'vitest';
import { localReadyEndpoints } from '../../src/cluster/kube-proxy/health-server.js';
import type { ControlPlaneInput, EndpointInput, EndpointSliceInput, ServiceInput } from '../../src/cluster/spec.js';

const ep = (ip: string, nodeName: string, ready = true): EndpointInput => ({ ip, nodeName, ready, serving: ready, terminating: false });
const slice = (name: string, ports: EndpointSliceInput['ports'], endpoints: EndpointInput[]): EndpointSliceInput => ({ namespace: 'default', name, serviceName: 'lb', ports, endpoints });
const svc = { namespace: 'default', name: 'lb' } as ServiceInput;
const cp = (slices: EndpointSliceInput[]): ControlPlaneInput => ({ services: [svc], endpointSlices: slices });

describe("kube-proxy's health-check count (EndpointsMap.LocalReadyEndpoints)", () => {
  it('counts only endpoints filed under a slice port: a ready local pod in a slice without ports (no named targetPort) is not one', () => {
    const slices = [slice('lb-abcde', [{ name: '', port: 8080, protocol: 'TCP' }], [ep('10.244.2.5', 'node2')]), slice('lb-fghij', [], [ep('10.244.1.7', 'node1')])];
    expect(localReadyEndpoints(cp(slices), svc, 'node1')).toBe(0);
    expect(localReadyEndpoints(cp(slices), svc, 'node2')).toBe(1);
  });

  it('a port numbered 0 files nothing (endpointInfoByServicePort); not ready and remote endpoints are not counted; an address counts once over ports', () => {
    const zero = slice('lb-zero', [{ name: 'http', port: 0, protocol: 'TCP' }], [ep('10.244.1.8', 'node1')]);
    const two = slice('lb-two', [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }], [ep('10.244.1.9', 'node1'), ep('10.244.1.10', 'node1', false), ep('10.244.2.9', 'node2')]);
    expect(localReadyEndpoints(cp([zero, two]), svc, 'node1')).toBe(1);
  });
});

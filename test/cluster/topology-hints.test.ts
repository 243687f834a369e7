import { describe, expect, it } from 'vitest';
import { deriveEndpointSlices, nodeZones, type ControllerPod } from '../../src/cluster/control-plane/endpointslice-controller.js';
import { categorizeEndpoints, endpointsFor } from '../../src/cluster/kube-proxy/endpoints.js';
import { servicePortInfos } from '../../src/cluster/kube-proxy/service-port.js';
import { ep, port, service, slice } from './kube-proxy-helpers.js';

const sp = (extra: Parameters<typeof service>[4] = {}) => servicePortInfos(service('default', 'web', '10.96.0.10', [port('http', 80, { targetPort: 8080, ...(extra.type === 'NodePort' ? { nodePort: 30080 } : {}) })], extra))[0]!;
const hinted = (ip: string, nodeName: string, zones: string[], ready = true) => ep(ip, { nodeName, ready, serving: ready, ...(zones.length > 0 ? { forZones: zones } : {}) });
const keys = (xs: readonly { key: string }[]) => xs.map((x) => x.key);

describe("kube-proxy's topology filtering (pkg/proxy/topology.go, zone hints)", () => {
  const slices = (eps: ReturnType<typeof ep>[]) => [slice('default', 'web', [{ name: 'http', port: 8080, protocol: 'TCP' }], eps)];
  const cat = (eps: ReturnType<typeof ep>[], zone: string, extra = {}) => categorizeEndpoints(sp(extra), endpointsFor(sp(extra), slices(eps), 'node1'), zone);

  it('every ready endpoint hinted and one for this zone: only those for the zone', () => {
    const eps = [hinted('10.244.1.2', 'node1', ['a']), hinted('10.244.2.2', 'node2', ['b'])];
    expect(keys(cat(eps, 'a').cluster)).toEqual(['10.244.1.2:8080']);
    expect(keys(cat(eps, 'b').cluster)).toEqual(['10.244.2.2:8080']);
  });

  it('hints are ignored when a ready endpoint has none, when no endpoint is for this zone, and when the node has no zone; a not-ready one does not count', () => {
    const partly = [hinted('10.244.1.2', 'node1', ['a']), hinted('10.244.2.2', 'node2', [])];
    expect(cat(partly, 'a').cluster).toHaveLength(2);
    const all = [hinted('10.244.1.2', 'node1', ['a']), hinted('10.244.2.2', 'node2', ['b'])];
    expect(cat(all, 'c').cluster).toHaveLength(2);
    expect(cat(all, '').cluster).toHaveLength(2);
    const notReady = [hinted('10.244.1.2', 'node1', ['a']), hinted('10.244.2.2', 'node2', [], false)];
    expect(keys(cat(notReady, 'a').cluster)).toEqual(['10.244.1.2:8080']);
  });

  it('Local policy is not filtered by hints; reachable is then the union of both sets', () => {
    const eps = [hinted('10.244.1.2', 'node1', ['b']), hinted('10.244.2.2', 'node2', ['a'])];
    const c = cat(eps, 'a', { type: 'NodePort', externalTrafficPolicy: 'Local' });
    expect(keys(c.cluster)).toEqual(['10.244.2.2:8080']);
    expect(keys(c.local)).toEqual(['10.244.1.2:8080']);
    expect(keys(c.reachable).sort()).toEqual(['10.244.1.2:8080', '10.244.2.2:8080']);
  });
});

describe('the EndpointSlice controller: zones and PreferClose hints', () => {
  const pod = (name: string, nodeName: string, ip: string, ready = true): ControllerPod => ({ namespace: 'default', name, labels: { app: 'web' }, nodeName, ip, ports: [{ containerPort: 8080, protocol: 'TCP' }], ready, terminating: false });
  const zones = nodeZones([{ name: 'node1', labels: { 'topology.kubernetes.io/zone': 'a' } }, { name: 'node2' }]);
  const pods = [pod('p1', 'node1', '10.244.1.2'), pod('p2', 'node2', '10.244.2.2'), pod('p3', 'node1', '10.244.1.3', false)];
  const derive = (trafficDistribution?: string) => deriveEndpointSlices([{ ...service('default', 'web', '10.96.0.10', [port('', 80, { targetPort: 8080 })], { selector: { app: 'web' } }), ...(trafficDistribution ? { trafficDistribution } : {}) }], pods, zones)[0]!.endpoints;

  it("every endpoint gets its node's zone; PreferClose hints each ready one with a zone for that zone", () => {
    expect(derive().map((e) => [e.ip, e.zone, e.forZones])).toEqual([['10.244.1.2', 'a', undefined], ['10.244.2.2', undefined, undefined], ['10.244.1.3', 'a', undefined]]);
    expect(derive('PreferClose').map((e) => [e.ip, e.forZones])).toEqual([['10.244.1.2', ['a']], ['10.244.2.2', undefined], ['10.244.1.3', undefined]]);
    expect(derive('PreferSameZone')[0]!.forZones).toEqual(['a']);
  });
});

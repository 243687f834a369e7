import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Simulation } from '../../src/api/index.js';
import type { CreateEvent, HttpEvent, IngressEvent } from '../../src/trace/events.js';
import { checkExpectation } from '../../src/scenario/run/expect.js';
import { loadScenarioFile } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

const file = (f: string): string => join(import.meta.dirname, '..', '..', 'scenarios', f);

describe('ingress: the controller is a proxy, and the network sees it as one', () => {
  it('the backend NetworkPolicy decides on the controller pod, not the client', () => {
    const r = loadScenarioFile(file('ingress-policy-blocks-controller.yaml'));
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const res = simulate(r.scenario);
    const blocked = res.flows.find((f) => f.flow === 'through-ingress-blocked')!;
    const deny = blocked.policies!.find((p) => p.verdict === 'deny')!;
    expect(deny).toMatchObject({ direction: 'ingress', pod: 'shop/cart', isolatedBy: ['shop/cart-from-frontend'] });
    // Three connects, each a SYN from the controller pod caused by the client's request segment.
    expect(blocked.ingress?.upstreams).toEqual(['10.244.2.2:8080', '10.244.2.2:8080', '10.244.2.2:8080']);
    const syns = res.events.filter((e): e is CreateEvent => e.kind === 'create' && e.flow === 'through-ingress-blocked' && e.by === 'app' && e.frame.info.startsWith('TCP [S]') && e.at.startsWith('ingress-nginx/'));
    const controller = r.scenario.pods.find((p) => p.namespace === 'ingress-nginx')!.ip;
    expect(syns.map((e) => e.frame.src)).toEqual([controller, controller, controller]);
    expect(syns[2]!.t - syns[0]!.t).toBeGreaterThanOrEqual(10_000_000_000); // proxy-connect-timeout 5 s between tries
    expect(blocked.http?.status).toBe(504);
  });

  it('service-upstream: the controller connects to the cluster IP and its own node DNATs it', () => {
    const r = loadScenarioFile(file('ingress-default-backend.yaml'));
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const flow = simulate(r.scenario).flows.find((f) => f.flow === 'service-upstream')!;
    expect(flow.ingress?.upstreams[0]).toMatch(/^10\.96\.\d+\.\d+:80$/);
    const dnat = flow.nat!.filter((n) => n.type === 'DNAT');
    expect(dnat.map((n) => n.at)).toEqual(['node1', 'node1']); // NodePort on node1, then the cluster IP on node1 too
  });

  it('ssl-redirect: nginx answers 308 with the https Location itself, on port 80 only', () => {
    const r = loadScenarioFile(file('ingress-ssl-redirect.yaml'));
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const res = simulate(r.scenario);
    const responds = res.events.filter((e): e is IngressEvent => e.kind === 'ingress' && e.action === 'respond');
    // In time order: http-redirected, trailing-slash-dropped, unlisted-host-still-redirected.
    expect(responds.map((e) => [e.status, e.reason?.split(':').slice(0, 2).join(':')])).toEqual([
      [308, 'ssl-redirect to https://shop.example.com/cart?page=2'],
      [308, 'ssl-redirect to https://shop.example.com/cart'],
      [308, 'ssl-redirect to https://blog.example.com'],
    ]);
    // No upstream connection for a redirect: the client reads nginx's own 164-byte page.
    expect(res.flows.find((f) => f.flow === 'http-redirected')!.ingress?.upstreams ?? []).toEqual([]);
    expect(res.flows.find((f) => f.flow === 'http-redirected')!.http).toMatchObject({ status: 308 });
  });

  it('nginx sees endpoint changes as the controller syncs them and its Lua timer takes them, not at once', () => {
    const r = loadScenarioFile(file('ingress-endpoints-change.yaml'));
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const res = simulate(r.scenario);
    const syncs = res.events.filter((e) => e.kind === 'change' && e.change === 'ingress-sync').map((e) => [e.t / 1e9, e.kind === 'change' && e.detail.startsWith('ingress-nginx:') ? 'post' : 'apply']);
    expect(syncs).toEqual([
      [1, 'post'],
      [2, 'apply'],
      [7.666666666, 'post'], // two syncs after the one at 1 s, 3.33 s apart (--sync-rate-limit 0.3)
      [8, 'apply'],
    ]);
    const flow = (name: string) => res.flows.find((f) => f.flow === name)!;
    // Before the Lua timer: the deleted pods' endpoints, refused, 3 tries, 502.
    expect(flow('before-lua-sync').ingress?.upstreams).toHaveLength(3);
    expect(flow('before-lua-sync').http?.status).toBe(502);
    // After it: an empty backend, 503 from nginx with no upstream connection.
    expect(flow('empty-backend').ingress?.upstreams ?? []).toEqual([]);
    expect(flow('ready-not-yet-synced').http?.status).toBe(503);
    const spare = r.scenario.pods.find((p) => p.name === 'spare')!.ip;
    expect(flow('back').ingress?.upstreams).toEqual([`${spare}:8080`]);
  });

  it('locations match the normalised URI; the backend still reads the target as the client sent it', () => {
    const r = loadScenarioFile(file('ingress-uri-normalize.yaml'));
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const res = simulate(r.scenario);
    const read = res.events.filter((e): e is HttpEvent => e.kind === 'http' && e.message === 'request' && e.at === 'default/api').map((e) => e.path);
    expect(read).toEqual(['//api/items', '/x/../api/items', '/%61pi/items', '/api%2Fitems', '/./login']);
    const invalid = res.flows.find((f) => f.flow === 'above-root')!;
    expect(invalid.http?.status).toBe(400);
    expect(invalid.ingress?.upstreams ?? []).toEqual([]);
    expect(invalid.ingress?.server).toBe('_'); // the listener's default server: nginx had not read the Host yet
  });

  it('auto_redirect: a path named without the slash of a /foo/ location gets 301 to it, arguments kept', () => {
    const r = loadScenarioFile(file('ingress-trailing-slash.yaml'));
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const res = simulate(r.scenario);
    const redirects = res.events.filter((e): e is IngressEvent => e.kind === 'ingress' && e.status === 301).map((e) => e.reason?.split(':').slice(0, 2).join(':'));
    expect(redirects).toEqual(['auto_redirect to http://shop.example.com/foo/', 'auto_redirect to http://shop.example.com/foo/?page=2', 'auto_redirect to http://shop.example.com/foo/', 'auto_redirect to http://shop.example.com/bar/']);
    expect(res.flows.find((f) => f.flow === 'foo-no-slash')!.ingress?.upstreams ?? []).toEqual([]);
  });

  it('ExternalName backends: nginx connects to what the name resolves to; an unresolved name gets the placeholder 0.0.0.1:80, refused at once', () => {
    const r = loadScenarioFile(file('ingress-external-name.yaml'));
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    // The controller warns of the localhost alias at load.
    expect(r.scenario.warnings.map((w) => w.message)).toContainEqual(expect.stringContaining('is ExternalName localhost: ingress-nginx refuses localhost (no endpoint); it answers 503'));
    const res = simulate(r.scenario);
    const flow = (n: string) => res.flows.find((f) => f.flow === n)!;
    const b = r.scenario.services.find((s) => s.namespace === 'default' && s.name === 'b')!;
    expect(flow('alias').ingress?.upstreams).toEqual([`${b.clusterIP}:80`]);
    // The upstream leg is DNATed by kube-proxy on the controller's node (after the NodePort's DNAT there).
    expect(flow('alias').nat!.filter((n) => n.type === 'DNAT').map((n) => n.at)).toEqual(['node1', 'node1']);
    const db = r.scenario.pods.find((p) => p.name === 'db')!;
    expect(flow('headless').ingress?.upstreams).toEqual([`${db.ip}:8080`]);
    expect(flow('address').ingress?.upstreams).toEqual(['192.168.56.50:8080']);
    expect(flow('unresolved').ingress?.upstreams).toEqual(['0.0.0.1:80', '0.0.0.1:80', '0.0.0.1:80']);
    const proxies = res.events.filter((e): e is IngressEvent => e.kind === 'ingress' && e.action === 'proxy' && e.path === '/nowhere');
    expect(proxies.map((e) => [e.upstreamIs, e.externalName, e.candidates])).toEqual(Array(3).fill(['external-name', 'nowhere.example.org', ['nowhere.example.org:80']]));
    expect(flow('unresolved').http?.status).toBe(502);
    expect(flow('localhost').ingress?.upstreams ?? []).toEqual([]);
  });

  it('a wrong expectation names what the controller did', () => {
    const r = loadScenarioFile(file('ingress-host-fanout.yaml'));
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const flow = simulate(r.scenario).flows.find((f) => f.flow === 'shop-host')!;
    const miss = checkExpectation(flow, { httpStatus: 404, ingressRule: { path: '/cart' }, forwardedFor: '192.168.56.100', pos: { file: 'x', line: 1, col: 1 } });
    expect(miss.map((m) => [m.field, m.actual])).toEqual([
      ['httpStatus', '200'],
      ['forwardedFor', '10.244.1.1'],
      ['ingressRule', 'default/hosts host shop.example.com path / Prefix -> default/shop:80'],
    ]);
  });

  it('the library API sends HTTP and reads the outcome', () => {
    const sim = Simulation.fromFile(file('ingress-host-fanout.yaml'));
    sim.send({ name: 'api', from: 'host/client', to: 'node/node1', port: 30080, http: { host: 'api.example.com', path: '/x' }, at: '10ms' });
    const f = sim.run().flow('api');
    expect(f.http?.status).toBe(200);
    expect(f.ingress).toMatchObject({ ingress: 'default/hosts', host: 'api.example.com', backend: 'default/api:web' });
    expect(f.deliveredTo).toBe('pod/default/api');
  });
});

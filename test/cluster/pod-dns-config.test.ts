import { describe, expect, it } from 'vitest';
import { formatResolvConf, podResolvConf, searchPlan } from '../../src/cluster/dns/resolver.js';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';
import { simulate } from '../../src/scenario/run/simulate.js';

const DNS = '10.96.0.10';

describe("kubelet's GetPodDNS: dnsPolicy and dnsConfig make the pod's resolv.conf", () => {
  const conf = (pod: Parameters<typeof podResolvConf>[0]) => {
    const c = podResolvConf(pod, DNS);
    return { text: formatResolvConf(c), warnings: c.warnings };
  };

  it('ClusterFirst: the cluster DNS, the search path and ndots:5; dnsConfig appended, duplicates dropped, options replaced by name', () => {
    expect(conf({ namespace: 'shop', hostNetwork: false }).text).toBe('search shop.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n');
    const c = conf({
      namespace: 'shop',
      hostNetwork: false,
      dnsConfig: { nameservers: ['10.96.0.10', '192.0.2.53'], searches: ['svc.cluster.local', 'example.com'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] },
    });
    expect(c.text).toBe('search shop.svc.cluster.local svc.cluster.local cluster.local example.com\nnameserver 10.96.0.10\nnameserver 192.0.2.53\noptions ndots:2 edns0\n');
    expect(c.warnings).toEqual([]);
  });

  it('host network: ClusterFirst falls back to Default (the node: cluster DNS, no search); ClusterFirstWithHostNet keeps the cluster one; None starts empty', () => {
    expect(conf({ namespace: 'shop', hostNetwork: true }).text).toBe('nameserver 10.96.0.10\n');
    expect(conf({ namespace: 'shop', hostNetwork: false, dnsPolicy: 'Default' }).text).toBe('nameserver 10.96.0.10\n');
    expect(conf({ namespace: 'shop', hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }).text).toContain('search shop.svc.cluster.local');
    expect(conf({ namespace: 'shop', hostNetwork: false, dnsPolicy: 'None', dnsConfig: { nameservers: ['192.0.2.53'], searches: ['a.example'], options: [] } }).text).toBe('search a.example\nnameserver 192.0.2.53\n');
  });

  it('limits: the first 3 nameservers, 32 search paths, 2048 characters; kubelet says what it applied', () => {
    const many = conf({ namespace: 'shop', hostNetwork: false, dnsConfig: { nameservers: ['192.0.2.1', '192.0.2.2', '192.0.2.3'], searches: [], options: [] } });
    expect(many.text).toContain('nameserver 10.96.0.10\nnameserver 192.0.2.1\nnameserver 192.0.2.2\noptions');
    expect(many.warnings).toEqual(['Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 10.96.0.10 192.0.2.1 192.0.2.2']);
    const searches = Array.from({ length: 32 }, (_, i) => `d${i}.example`);
    const long = podResolvConf({ namespace: 'shop', hostNetwork: false, dnsConfig: { nameservers: [], searches, options: [] } }, DNS);
    expect(long.search).toHaveLength(32);
    expect(long.search.slice(0, 4)).toEqual(['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'd0.example']);
    expect(long.warnings[0]).toMatch(/^Search Line limits were exceeded, some search paths have been omitted, the applied search line is: shop.svc.cluster.local .* d28.example$/);
  });

  it("res_search's order over a search list: ndots decides whether the name goes first; '.' stands for the name itself", () => {
    const names = (name: string, search: string[], ndots: number) => searchPlan(name, search, ndots).map((c) => `${c.stage}:${c.name}${c.unlessRootTried ? ' (unless . was tried)' : ''}`);
    expect(names('web', ['a.example', 'b.example'], 1)).toEqual(['search:web.a.example', 'search:web.b.example', 'last:web']);
    expect(names('web.shop', ['a.example'], 1)).toEqual(['as-is:web.shop', 'search:web.shop.a.example']);
    // root_on_list counts only the domains res_search reached: a search ended before `.` still tries the name as is.
    expect(names('web', ['.', 'a.example'], 1)).toEqual(['search:web', 'search:web.a.example', 'last:web (unless . was tried)']);
    expect(names('web', ['a.example', '.'], 1)).toEqual(['search:web.a.example', 'search:web', 'last:web (unless . was tried)']);
    expect(names('web.shop.', ['a.example'], 5)).toEqual(['as-is:web.shop']);
  });
});

describe('dnsPolicy and dnsConfig in a scenario', () => {
  const doc = (spec: string) => `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: d}
cluster: {nodes: [{name: node1}]}
resources:
  - apiVersion: v1
    kind: Pod
    metadata: {name: client}
    spec:
      nodeName: node1
      containers: [{name: c, image: busybox}]
${spec
  .split('\n')
  .map((l) => `      ${l}`)
  .join('\n')}
`;
  const problems = (spec: string): string[] => {
    const r = loadScenarioText(doc(spec), 'd.yaml');
    return r.ok ? [] : r.problems.map(formatProblem);
  };

  it("the API server's checks are file:line:col errors", () => {
    expect(problems('dnsPolicy: None')).toEqual(['d.yaml:12:18: resources[0].spec.dnsConfig: required: must provide `dnsConfig` when `dnsPolicy` is None']);
    expect(problems('dnsPolicy: None\ndnsConfig: {searches: [a.example]}')).toEqual(['d.yaml:13:18: resources[0].spec.dnsConfig.nameservers: required: must provide at least one DNS nameserver when `dnsPolicy` is None']);
    expect(problems('dnsPolicy: ""')).toEqual([]); // defaulted to ClusterFirst before validation (SetDefaults_PodSpec)
    expect(problems('dnsPolicy: clusterfirst')).toEqual([expect.stringMatching(/^d\.yaml:12:18: resources\[0\]\.spec\.dnsPolicy: expected one of ClusterFirst, ClusterFirstWithHostNet, Default, None/)]);
    expect(problems('dnsConfig: {nameservers: [192.0.2.1, 192.0.2.2, 192.0.2.3, 192.0.2.4]}')).toEqual(['d.yaml:12:32: resources[0].spec.dnsConfig.nameservers: must not have more than 3 nameservers, found 4']);
    expect(problems('dnsConfig: {nameservers: [dns.example, "2001:db8::53"]}')).toEqual([
      'd.yaml:12:33: resources[0].spec.dnsConfig.nameservers[0]: must be a valid IP address (e.g. 10.9.8.7), found "dns.example"',
      'd.yaml:12:46: resources[0].spec.dnsConfig.nameservers[1]: expected an IPv4 address, found "2001:db8::53" (podwalk\'s cluster is IPv4 only)',
    ]);
    expect(problems('dnsConfig: {searches: [Shop.example, "_sip._tcp.example.com.", ".", "-bad"]}')).toEqual([
      expect.stringMatching(/^d\.yaml:12:30: resources\[0\]\.spec\.dnsConfig\.searches\[0\]: expected a search domain: "\." or a lowercase RFC 1123 subdomain .*found "Shop\.example"$/),
      expect.stringMatching(/^d\.yaml:12:75: resources\[0\]\.spec\.dnsConfig\.searches\[3\]: expected a search domain/),
    ]);
    const tooMany = Array.from({ length: 33 }, (_, i) => `d${i}.example`).join(', ');
    expect(problems(`dnsConfig: {searches: [${tooMany}]}`)).toEqual(['d.yaml:12:29: resources[0].spec.dnsConfig.searches: must not have more than 32 search paths, found 33']);
    const long = Array.from({ length: 9 }, (_, i) => `${String(i).repeat(60)}.${'x'.repeat(170)}`).join(', ');
    expect(problems(`dnsConfig: {searches: [${long}]}`)).toEqual(['d.yaml:12:29: resources[0].spec.dnsConfig.searches: must not have more than 2048 characters (including spaces) in the search list, found 2087']);
    expect(problems('dnsConfig: {options: [{value: "2"}]}')).toEqual(['d.yaml:12:29: resources[0].spec.dnsConfig.options[0].name: required: must not be empty']);
  });

  it('kubelet trims what exceeds its limits, with a warning', () => {
    const r = loadScenarioText(doc('dnsConfig: {nameservers: [192.0.2.1, 192.0.2.2, 192.0.2.3]}'), 'd.yaml');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.scenario.warnings.map(formatProblem)).toContainEqual(
      'd.yaml:6:5: resources[0]: pod default/client: DNSConfigForming: Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 10.96.0.10 192.0.2.1 192.0.2.2',
    );
  });

  it('the lookup asks the nameservers in order: one that never answers costs its timeout, then the next answers', () => {
    // 192.0.2.53 is nobody: the gateway has no route for it and answers net unreachable.
    const lookup = (cluster: string) => {
      const text = doc('dnsPolicy: None\ndnsConfig: {nameservers: [192.0.2.53, 10.96.0.10], searches: [default.svc.cluster.local]}')
        .replace('cluster: {nodes: [{name: node1}]}', `cluster: {${cluster}nodes: [{name: node1}]}`)
        .replace(
          'resources:\n',
          'resources:\n  - {apiVersion: v1, kind: Pod, metadata: {name: web, labels: {app: web}}, spec: {nodeName: node1, containers: [{name: w, image: nginx, ports: [{containerPort: 80}]}]}}\n  - {apiVersion: v1, kind: Service, metadata: {name: web}, spec: {selector: {app: web}, ports: [{port: 80}]}}\n',
        );
      const r = loadScenarioText(`${text}traffic:\n  - {name: lookup, from: pod/client, to: web, port: 80}\n`, 'd.yaml');
      if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
      const res = simulate(r.scenario);
      expect(res.flows[0]!.verdict).toBe('delivered');
      return res.events.flatMap((e) => (e.kind === 'create' && e.flow === 'lookup' && / A\? /.test(e.frame.info) ? [`${e.t / 1e9} ${e.frame.dst} ${e.frame.info.replace(/^.* A\? (\S+)\..*$/, '$1')}`] : []));
    };
    // Without flannel's masquerade the query leaves with the pod's address, which the gateway cannot route its error
    // back to: server 0 waits out its 5 s, then kube-dns answers.
    expect(lookup('flannel: {ipMasq: false}, ')).toEqual(['0 192.0.2.53 web.default.svc.cluster.local', '5 10.96.0.10 web.default.svc.cluster.local']);
    // With it (kube-flannel.yml's default) the query leaves as the node: the net unreachable comes back, is un-NATed
    // to the pod's connected socket (IP_RECVERR) and glibc asks the next server at once.
    const masqueraded = lookup('');
    expect(masqueraded[0]).toBe('0 192.0.2.53 web.default.svc.cluster.local');
    expect(masqueraded[1]).toMatch(/^0\.000\d+ 10\.96\.0\.10 web\.default\.svc\.cluster\.local$/);
  });
});

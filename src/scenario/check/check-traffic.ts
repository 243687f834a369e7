import { DROP_REASONS } from '../../trace/events.js';
import { parseIpv4 } from '../../wire/addr.js';
import { CLUSTER_DOMAIN, failedLookup, isDnsName, resolvesAsPodName, resolveServiceName, searchConfOf } from './dns-name.js';
import { MAX_DURATION_NS, parseDuration } from '../load/quantities.js';
import { expectHops, expectNatted, expectPolicy, expectRtt } from './check-expect.js';
import { CONNECTION_OUTCOMES, type CandidateExpectation, type ClusterSpec, type EndpointRef, type Expectation, type PodSpec, type Problem, type Protocol, type ServiceSpec, type TrafficSpec } from '../types.js';
import { expectForwardedFor, expectHttpStatus, expectIngressRule, readHttpTraffic } from './check-http.js';
import { suggest, type At, type YamlReader } from '../load/yaml-reader.js';
import { resolveWorkloadRef } from './workload-ref.js';
import { TCP_KEEPALIVE_DEFAULTS } from '../../kernel/sockets.js';

const TRAFFIC = ['name', 'from', 'to', 'protocol', 'port', 'payload', 'count', 'at', 'interval', 'ttl', 'reuseConnection', 'timeout', 'sourcePort', 'close', 'keepAlive', 'reply', 'http', 'expect'];
const EXPECT = ['verdict', 'deliveredTo', 'seenSource', 'dropReason', 'via', 'notVia', 'natted', 'policy', 'hops', 'rtt', 'connection', 'retransmits', 'replySource', 'httpStatus', 'ingressRule', 'forwardedFor', 'candidates', 'sameBackendAs'];
/** Per-proxy-mode blocks under `expect`: their fields replace the common ones when the run uses that mode. */
const MODES = ['iptables', 'ipvs', 'nftables'] as const;

export interface World {
  cluster: ClusterSpec;
  pods: PodSpec[];
  /** Services with addresses allocated (empty when the caller has none). */
  services?: ServiceSpec[];
  /** Pods that do not run (scheduling failed, or the kubelet refused them): namespace/name → why, as a sentence's predicate): named in traffic, an error that says so. */
  pending?: ReadonlyMap<string, string>;
  /** The Namespaces that exist (CoreDNS answers pod names in any of them). */
  namespaces?: readonly string[];
  /** Printed pods that have finished (namespace/name -> status.phase): named in traffic, an error that says so. */
  finished?: ReadonlyMap<string, string>;
  /** Every NetworkPolicy as `ns/name` (resources and those steps apply): `expect.policy` must name one. */
  policies?: readonly string[];
}

/** `traffic:` items with refs resolved against the cluster and pods. */
export function checkTraffic(r: YamlReader, at: At | undefined, world: World): TrafficSpec[] {
  const out: TrafficSpec[] = [];
  const names = new Set<string>();
  const sameBackend: { at: At; name: string }[] = [];
  for (const item of at ? r.list(at) : []) {
    const m = r.map(item, TRAFFIC);
    if (!m) continue;
    const nameAt = m.get('name') ?? r.missing(item, 'name');
    const name = r.str(nameAt, true);
    if (name === '') r.problem(nameAt, 'expected a non-empty name (it names the item\'s flows in the report, --flow and sameBackendAs)');
    // A count: item's flows are named name#k: a name ending so would read as another item's flow.
    else if (name !== undefined && /#\d+$/.test(name)) r.problem(nameAt, `expected a name that does not end in #<number>, found ${JSON.stringify(name)}: the flows of an item are named <name>#<k>`);
    if (name !== undefined && names.has(name)) r.problem(nameAt, `duplicate traffic name ${name}`);
    if (name !== undefined) names.add(name);
    const from = ref(r, m.get('from') ?? r.missing(item, 'from'), world, ['pod', 'node', 'host'], true);
    const toAt = m.get('to') ?? r.missing(item, 'to');
    const to = ref(r, toAt, world, ['pod', 'node', 'host', 'ip', 'service', 'dns'], true);
    const protocol = (r.oneOf<Protocol>(m.get('protocol'), ['TCP', 'UDP', 'ICMP', 'SCTP']) ?? 'TCP') as Protocol;
    const portAt = m.get('port');
    const port = r.int(portAt, 1, 65535);
    if (protocol === 'ICMP' && portAt) r.problem(portAt, 'ICMP has no ports: remove port');
    if (protocol !== 'ICMP' && !portAt) r.problem(r.missing(item, 'port'), `required for ${protocol}: expected an integer between 1 and 65535`);
    if (to?.kind === 'service' && port !== undefined && protocol !== 'ICMP') checkServicePort(r, portAt!, to, protocol, world);
    if (to?.kind === 'dns' && from) checkDnsName(r, toAt, to.name, from, world);
    const payload = r.int(m.get('payload'), 0, protocol === 'UDP' ? 65507 : 65000) ?? 64;
    const reuseConnection = r.bool(m.get('reuseConnection')) ?? false;
    const timeoutNs = m.get('timeout') ? r.quantity(m.get('timeout'), parseDuration, 0) : undefined;
    if (timeoutNs !== undefined && protocol !== 'TCP') r.problem(m.get('timeout')!, 'timeout is the TCP client giving up on its connection; only for TCP');
    if (reuseConnection && (protocol === 'ICMP' || protocol === 'SCTP')) r.problem(m.get('reuseConnection')!, `reuseConnection is for TCP (keep-alive) and UDP (one connected socket); not modelled for ${protocol}`);
    const sourcePort = r.int(m.get('sourcePort'), 1, 65535);
    const closeAt = m.get('close');
    const closeAfterNs = closeAt && closeAt.node != null ? readClose(r, closeAt) : undefined;
    if (closeAfterNs !== undefined && protocol !== 'TCP') r.problem(closeAt!, 'close sends a TCP FIN; only for TCP');
    const keepAlive = m.get('keepAlive') ? readKeepAlive(r, m.get('keepAlive')!) : undefined;
    if (keepAlive && protocol !== 'TCP') r.problem(m.get('keepAlive')!, 'keepAlive is a TCP socket option; only for TCP');
    // A run ends when nothing is left to do; a connection nobody closes would send keep-alive probes for ever.
    if (keepAlive && protocol === 'TCP' && closeAfterNs === undefined) r.problem(m.get('keepAlive')!, 'keepAlive needs close: <duration> (when the application closes the idle connection), or the probes would never end');
    // The server's answer: bytes it sends back to each request (UDP: per datagram; TCP: once it read the data).
    const reply = r.int(m.get('reply'), 0, protocol === 'UDP' ? 65507 : 65000);
    if (reply !== undefined && protocol === 'ICMP') r.problem(m.get('reply')!, 'an ICMP echo is always answered by the kernel: remove reply');
    if (reply !== undefined && protocol === 'SCTP') r.problem(m.get('reply')!, 'an SCTP server that answers is not modelled (the association carries one DATA chunk, SACKed): remove reply');
    const httpAt = m.get('http');
    const http = httpAt && httpAt.node != null ? readHttpTraffic(r, httpAt) : undefined;
    if (http && protocol !== 'TCP') r.problem(httpAt!, `http needs protocol TCP, found ${protocol}`);
    if (http && reuseConnection) r.problem(m.get('reuseConnection')!, 'reuseConnection is not modelled for http traffic (each request opens its connection)');
    const count = r.int(m.get('count'), 1, 100_000) ?? 1;
    const ttl = r.int(m.get('ttl'), 1, 255);
    const atNs = r.quantity(m.get('at'), parseDuration, 0);
    const intervalNs = r.quantity(m.get('interval'), parseDuration, 1_000_000);
    // The last packet's time, not only each term, must stay within the clock's exact range.
    if (atNs + (count - 1) * intervalNs > MAX_DURATION_NS) r.problem(m.get('interval') ?? m.get('count') ?? item, `the last packet would be sent after 1000000s (at + (count - 1) x interval); send fewer or closer together`);
    const expect = m.get('expect') ? expectationForMode(r, m.get('expect')!, world, sameBackend) : undefined;
    if (name === undefined || !from || !to) continue;
    out.push({
      name,
      from,
      to,
      protocol,
      ...(port === undefined || protocol === 'ICMP' ? {} : { port }),
      payload,
      count,
      atNs,
      intervalNs,
      ...(ttl === undefined ? {} : { ttl }),
      ...(reuseConnection ? { reuseConnection } : {}),
      ...(timeoutNs === undefined ? {} : { timeoutNs }),
      ...(sourcePort === undefined ? {} : { sourcePort }),
      ...(closeAfterNs !== undefined && protocol === 'TCP' ? { closeAfterNs } : {}),
      ...(keepAlive && protocol === 'TCP' ? { keepAlive } : {}),
      ...(reply === undefined || protocol === 'ICMP' ? {} : { reply }),
      ...(http ? { http } : {}),
      ...(expect ? { expect } : {}),
      pos: r.pos(item),
    });
  }
  // sameBackendAs may name a flow written further down.
  const counts = new Map(out.map((t) => [t.name, t.count]));
  for (const s of sameBackend) {
    const hash = /^(.*)#([0-9]+)$/.exec(s.name);
    const base = hash ? hash[1]! : s.name;
    const n = counts.get(base);
    if (n === undefined) r.problem(s.at, `expected the name of a traffic item (or <name>#<k>), found "${s.name}"${suggestIn(s.name, [...counts.keys()])}`);
    else if (hash && (Number(hash[2]) < 1 || Number(hash[2]) > n)) r.problem(s.at, `${base} sends ${n} request${n > 1 ? 's' : ''}: expected ${base}#1${n > 1 ? ` to ${base}#${n}` : ''}, found "${s.name}"`);
  }
  return out;
}

/**
 * ` (did you mean pod/shop/client?)` for a bare name that is a pod's, a
 * node's or an external host's, in the form a traffic item must write it:
 * `pod/<name>` only for namespace default, `pod/<ns>/<name>` otherwise
 * (every pod of that name, when several namespaces have one).
 */
function refHint(bare: string, w: World): string {
  const pods = w.pods.filter((p) => p.name === bare).map((p) => (p.namespace === 'default' ? `pod/${p.name}` : `pod/${p.namespace}/${p.name}`));
  const refs = pods.length > 0 ? pods : w.cluster.nodes.some((n) => n.name === bare) ? [`node/${bare}`] : w.cluster.externalHosts.some((h) => h.name === bare) ? [`host/${bare}`] : [];
  return refs.length > 0 ? ` (did you mean ${refs.join(' or ')}?)` : '';
}

function isNullValue(at: At): boolean {
  const n = at.node as { value?: unknown } | null | undefined;
  return n == null || (typeof n === 'object' && 'value' in n && n.value === null);
}

function suggestIn(name: string, names: readonly string[]): string {
  const hint = suggest(name, names);
  return hint ? ` (did you mean ${hint}?)` : '';
}

/**
 * `expect:` with its per-mode blocks (`ipvs:`, `nftables:`, `iptables:`) resolved for the mode this run
 * uses (`cluster.proxyMode`, or `--proxy-mode`): each field given in the block replaces the common one.
 */
function expectationForMode(r: YamlReader, at: At, world: World, sameBackend: { at: At; name: string }[]): Expectation | undefined {
  const m = r.map(at, [...EXPECT, ...MODES]);
  if (!m) return undefined;
  let out = expectation(r, at, m, world, sameBackend);
  for (const mode of MODES) {
    const blockAt = m.get(mode);
    if (!blockAt || blockAt.node == null) continue;
    const bm = r.map(blockAt, EXPECT);
    if (!bm) continue;
    // `field: null` (or `~`) in the block: that mode has no such expectation.
    const removed = [...bm].filter(([, v]) => isNullValue(v)).map(([k]) => k);
    const block = expectation(r, blockAt, new Map([...bm].filter(([k]) => !removed.includes(k))), world, sameBackend);
    if (mode !== world.cluster.proxyMode) continue;
    const { pos: _pos, devicesAt, ...fields } = block;
    out = { ...out, ...fields, ...(devicesAt || out.devicesAt ? { devicesAt: [...(out.devicesAt ?? []), ...(devicesAt ?? [])] } : {}) };
    for (const k of removed) delete (out as unknown as Record<string, unknown>)[k];
  }
  return out;
}

/**
 * One `expect:` mapping on its own, checked as in a traffic item: the vitest matchers and
 * `Flow` checks read their arguments through this, so they refuse what a file refuses.
 * (`sameBackendAs` names are not checked against other flows here.)
 */
export function checkExpectBlock(r: YamlReader, at: At, world: World): Expectation | undefined {
  const m = r.map(at, EXPECT);
  return m ? expectation(r, at, m, world, []) : undefined;
}

function expectation(r: YamlReader, at: At, m: Map<string, At>, world: World, sameBackend: { at: At; name: string }[]): Expectation {
  const verdict = r.oneOf(m.get('verdict'), ['delivered', 'dropped'] as const);
  let deliveredTo: EndpointRef[] | undefined;
  const dAt = m.get('deliveredTo');
  if (dAt) {
    const items = r.scalar(dAt) !== undefined && typeof r.scalar(dAt) !== 'object' ? [dAt] : r.list(dAt);
    deliveredTo = items.flatMap((i) => {
      // A workload or selector means any of its pods.
      const text = r.str(i);
      const w = text === undefined ? undefined : resolveWorkloadRef(text, world.pods, world.cluster.nodes.map((n) => n.name));
      if (w && 'all' in w) return w.all.map((p): EndpointRef => ({ kind: 'pod', namespace: p.namespace, name: p.name }));
      const one = ref(r, i, world, ['pod', 'node', 'host'], true, true);
      return one ? [one] : [];
    });
  }
  const sAt = m.get('seenSource');
  const seenSource = r.str(sAt);
  if (seenSource !== undefined && parseIpv4(seenSource) === undefined) r.problem(sAt!, `expected an IPv4 address, found "${seenSource}"`);
  const rAt = m.get('dropReason');
  const dropReason = r.str(rAt);
  if (dropReason !== undefined && !(DROP_REASONS as readonly string[]).includes(dropReason)) {
    const hint = suggest(dropReason, DROP_REASONS);
    r.problem(rAt!, `unknown drop reason ${dropReason}${hint ? ` (did you mean ${hint}?)` : ''}; expected one of ${DROP_REASONS.join(', ')}`);
  }
  if (dropReason !== undefined && verdict === 'delivered') r.problem(rAt!, 'dropReason contradicts verdict: delivered');
  const places: Problem[] = [];
  const via = m.get('via') ? devices(r, m.get('via')!, world, places) : undefined;
  const notVia = m.get('notVia') ? devices(r, m.get('notVia')!, world, places) : undefined;
  const natted = expectNatted(r, m.get('natted'));
  // flannel alone (no policy agent): no policy ever decides a packet, so expecting one is a mistake in the file.
  const unenforced = world.cluster.networkPolicy.agent === 'none' && m.get('policy') !== undefined;
  if (unenforced) r.problem(m.get('policy')!, 'no NetworkPolicy decides anything here: cluster.networkPolicy.agent is none (flannel alone enforces no policy)');
  const policy = unenforced ? undefined : expectPolicy(r, m.get('policy'), world.policies);
  const hops = expectHops(r, m.get('hops'));
  const rtt = expectRtt(r, m.get('rtt'));
  const connection = r.oneOf(m.get('connection'), CONNECTION_OUTCOMES);
  const retransmits = expectHops(r, m.get('retransmits'));
  const rsAt = m.get('replySource');
  const replySource = r.str(rsAt);
  if (replySource !== undefined && !/^\d+\.\d+\.\d+\.\d+(:\d{1,5})?$/.test(replySource)) r.problem(rsAt!, `expected an IPv4 address, optionally with :port, found "${replySource}"`);
  const httpStatus = expectHttpStatus(r, m.get('httpStatus'));
  const ingressRule = expectIngressRule(r, m.get('ingressRule'));
  const forwardedFor = expectForwardedFor(r, m.get('forwardedFor'));
  const candidates = m.get('candidates') ? expectCandidates(r, m.get('candidates')!, world) : undefined;
  const sbAt = m.get('sameBackendAs');
  const sameBackendAs = r.str(sbAt, true);
  if (sameBackendAs !== undefined) sameBackend.push({ at: sbAt!, name: sameBackendAs });
  return {
    ...(verdict ? { verdict } : {}),
    ...(deliveredTo ? { deliveredTo } : {}),
    ...(seenSource !== undefined ? { seenSource } : {}),
    ...(dropReason !== undefined ? { dropReason } : {}),
    ...(via ? { via } : {}),
    ...(notVia ? { notVia } : {}),
    ...(connection ? { connection } : {}),
    ...(retransmits ? { retransmits } : {}),
    ...(places.length > 0 ? { devicesAt: places } : {}),
    ...(natted !== undefined ? { natted } : {}),
    ...(policy ? { policy } : {}),
    ...(hops ? { hops } : {}),
    ...(rtt ? { rtt } : {}),
    ...(replySource !== undefined ? { replySource } : {}),
    ...(httpStatus !== undefined ? { httpStatus } : {}),
    ...(ingressRule ? { ingressRule } : {}),
    ...(forwardedFor !== undefined ? { forwardedFor } : {}),
    ...(candidates ? { candidates } : {}),
    ...(sameBackendAs !== undefined ? { sameBackendAs } : {}),
    pos: r.pos(at),
  };
}

/**
 * `candidates: [pod/shop/web-1, deployment/shop/web, 10.244.2.7:8080, node/node1]`: the endpoints the
 * NAT chose among, each as an address. A workload or selector stands for all its pods; a pod or node
 * for its IP (any port); `ip` or `ip:port` as written.
 */
function expectCandidates(r: YamlReader, at: At, world: World): CandidateExpectation[] {
  const out: CandidateExpectation[] = [];
  for (const item of r.list(at)) {
    const text = r.str(item, true);
    if (text === undefined) continue;
    const ipPort = /^(\d+\.\d+\.\d+\.\d+):(\d{1,5})$/.exec(text);
    if (ipPort) {
      const port = Number(ipPort[2]);
      if (parseIpv4(ipPort[1]!) === undefined || port < 1 || port > 65535) r.problem(item, `expected <ip>:<port> like 10.244.1.5:8080, found "${text}"`);
      else out.push({ address: text, written: text });
      continue;
    }
    const w = resolveWorkloadRef(text, world.pods, world.cluster.nodes.map((n) => n.name));
    if (w && 'all' in w) {
      for (const p of w.all) out.push({ address: p.ip, written: `pod/${p.namespace}/${p.name}` });
      continue;
    }
    const one = ref(r, item, world, ['pod', 'node', 'ip'], true);
    if (!one) continue;
    if (one.kind === 'ip') out.push({ address: one.ip, written: text });
    else if (one.kind === 'node') out.push({ address: world.cluster.nodes.find((n) => n.name === one.name)!.ip, written: text });
    else if (one.kind === 'pod') {
      const pod = world.pods.find((p) => p.namespace === one.namespace && p.name === one.name);
      if (pod) out.push({ address: pod.ip, written: `pod/${pod.namespace}/${pod.name}` });
    }
  }
  return out;
}

/** A list of `<netns>:<dev>` locations (`via`, `notVia`), each checked against the cluster's namespaces. */
function devices(r: YamlReader, at: At, world: World, places: Problem[]): string[] {
  const out: string[] = [];
  for (const v of r.list(at)) {
    const s = r.str(v, true);
    if (s === undefined) continue;
    const colon = s.lastIndexOf(':');
    const ns = colon > 0 ? s.slice(0, colon) : '';
    const dev = colon > 0 ? s.slice(colon + 1) : '';
    if (!dev || !netnsExists(ns, world)) {
      r.problem(v, `expected <netns>:<device> where netns is a node, an external host, <namespace>/<pod>, underlay or gateway; found "${s}"`);
      continue;
    }
    out.push(s);
    // Whether the device exists is known once the cluster is built (see run/unknown-devices.ts).
    places.push({ ...r.pos(v), path: v.path, message: s });
  }
  return out;
}

function netnsExists(ns: string, w: World): boolean {
  return ns === 'underlay' || ns === 'gateway' || w.cluster.nodes.some((n) => n.name === ns) || w.cluster.externalHosts.some((h) => h.name === ns) || w.pods.some((p) => `${p.namespace}/${p.name}` === ns);
}

/** Parse and resolve `pod/ns/name`, `pod/name`, `node/x`, `host/y`, an IP, `service/ns/name`, `service/name`, a DNS name. */
/** The pod a `pod/ns/name` or `statefulset/ns/name-N` reference names (namespace/name), if it names one. */
function pendingName(s: string): string | undefined {
  const m = /^(?:pod|statefulset)\/(?:([^/?@]+)\/)?([^/?@]+)$/.exec(s);
  return m ? `${m[1] ?? 'default'}/${m[2]}` : undefined;
}

function ref(r: YamlReader, at: At, w: World, allowed: EndpointRef['kind'][], required: boolean, future = false): EndpointRef | undefined {
  const s = r.str(at, required);
  if (s === undefined) return undefined;
  const parts = s.split('/');
  const fail = (msg: string): undefined => {
    r.problem(at, msg);
    return undefined;
  };
  let out: EndpointRef;
  const pendingPod = pendingName(s);
  const why = pendingPod && w.pending?.get(pendingPod);
  if (why) return fail(`pod ${pendingPod} ${why}`);
  const phase = pendingPod && w.finished?.get(pendingPod);
  if (phase) return fail(`pod ${pendingPod} has finished (status.phase ${phase}): it has no network namespace any more`);
  const workload = resolveWorkloadRef(s, w.pods, w.cluster.nodes.map((n) => n.name));
  if (workload && 'error' in workload) return fail(workload.error);
  if (workload) {
    out = { kind: 'pod', namespace: workload.pod.namespace, name: workload.pod.name };
  } else if (parts[0] === 'pod' && (parts.length === 2 || parts.length === 3)) {
    const namespace = parts.length === 3 ? parts[1]! : 'default';
    const name = parts[parts.length - 1]!;
    // deliveredTo may name a pod a controller makes later (steps: deletePod, scale, rollout, label): a Deployment's
    // `<deployment>-<hash>-<5 chars>`, a ReplicaSet's or DaemonSet's `<name>-<5 chars>`.
    const made = (kind: string | undefined, owner: string): RegExp | undefined =>
      kind === 'Deployment' ? new RegExp(`^${owner}-[a-z0-9]{10}-[a-z0-9]{5}$`) : kind === 'ReplicaSet' || kind === 'DaemonSet' ? new RegExp(`^${owner}-[a-z0-9]{5}$`) : undefined;
    const later = future && w.pods.some((p) => p.namespace === namespace && p.owner && made(p.owner.kind, p.owner.name)?.test(name));
    if (!later && !w.pods.some((p) => p.namespace === namespace && p.name === name)) {
      const here = w.pods.filter((p) => p.namespace === namespace).map((p) => p.name);
      // The same name in another namespace: written with its namespace, since pod/<name> means default.
      const elsewhere = w.pods.filter((p) => p.name === name && p.namespace !== namespace).map((p) => `pod/${p.namespace}/${p.name}`);
      return fail(`no pod ${namespace}/${name} (pods in ${namespace}: ${here.join(', ') || 'none'})${elsewhere.length > 0 ? `; did you mean ${elsewhere.join(' or ')}?` : ''}`);
    }
    out = { kind: 'pod', namespace, name };
  } else if (parts[0] === 'node' && parts.length === 2) {
    if (!w.cluster.nodes.some((n) => n.name === parts[1])) return fail(`no node ${parts[1]} (nodes: ${w.cluster.nodes.map((n) => n.name).join(', ')})`);
    out = { kind: 'node', name: parts[1]! };
  } else if (parts[0] === 'host' && parts.length === 2) {
    if (!w.cluster.externalHosts.some((h) => h.name === parts[1])) return fail(`no external host ${parts[1]} (hosts: ${w.cluster.externalHosts.map((h) => h.name).join(', ') || 'none'})`);
    out = { kind: 'host', name: parts[1]! };
  } else if (parts[0] === 'service' && (parts.length === 2 || parts.length === 3)) {
    if (!allowed.includes('service')) return fail(`expected ${allowed.join(', ')} here, found a service`);
    const namespace = parts.length === 3 ? parts[1]! : 'default';
    const name = parts[parts.length - 1]!;
    const svc = (w.services ?? []).find((x) => x.namespace === namespace && x.name === name);
    if (!svc) {
      const here = (w.services ?? []).filter((x) => x.namespace === namespace).map((x) => x.name);
      return fail(`no Service ${namespace}/${name} (Services in ${namespace}: ${here.join(', ') || 'none'})`);
    }
    if (svc.type === 'ExternalName') return fail(`Service ${namespace}/${name} is type ExternalName: it is only a DNS alias (CNAME) for ${svc.externalName ?? 'another name'}, with no cluster IP to send to; use a DNS name (to: ${name}.${namespace}) or the target itself`);
    if (svc.headless) return fail(`Service ${namespace}/${name} is headless (clusterIP: None): it has no cluster IP to send to; use its DNS name (to: ${name}.${namespace}), which resolves to its pods, or a pod`);
    out = { kind: 'service', namespace, name };
  } else if (parseIpv4(s) !== undefined) {
    out = { kind: 'ip', ip: s };
  } else if (allowed.includes('dns') && !s.includes('/') && isDnsName(s)) {
    if (!w.cluster.dns) return fail(`"${s}" is a DNS name, and DNS names need cluster DNS, which cluster.dns: false turns off; use an IP or a ref`);
    out = { kind: 'dns', name: s };
  } else if (/^[0-9.]+$/.test(s)) {
    return fail(`expected an IPv4 address like 10.96.0.10, found "${s}"`);
  } else {
    const dnsHint = allowed.includes('dns') ? ', service/<ns>/<name>, service/<name>, a DNS name (<service>, <service>.<ns>, <service>.<ns>.svc[.cluster.local])' : '';
    return fail(`expected pod/<ns>/<name>, pod/<name>, pod/<ns>?<label>=<value>, deployment/<ns>/<name>, statefulset/<ns>/<name>-<n>, daemonset/<ns>/<name>@<node>, node/<name>, host/<name>${dnsHint}${allowed.includes('ip') ? ' or an IPv4 address' : ''}, found "${s}"${refHint(s, w)}`);
  }
  if (!allowed.includes(out.kind)) return fail(`expected ${allowed.join(', ')} here, found a ${out.kind}`);
  return out;
}

/** A service/ target's port must be one the Service has for that protocol (kube-proxy has no rule for any other). */
function checkServicePort(r: YamlReader, at: At, to: Extract<EndpointRef, { kind: 'service' }>, protocol: 'TCP' | 'UDP' | 'SCTP', w: World): void {
  const svc = (w.services ?? []).find((x) => x.namespace === to.namespace && x.name === to.name);
  if (!svc) return;
  const port = r.scalar(at);
  if (svc.ports.some((p) => p.port === port && p.protocol === protocol)) return;
  const same = svc.ports.filter((p) => p.protocol === protocol).map((p) => `${p.port}${p.name ? ` (${p.name})` : ''}`);
  const all = svc.ports.map((p) => `${p.port}/${p.protocol}`);
  r.problem(at, same.length > 0 ? `Service ${to.namespace}/${to.name} has no ${protocol} port ${String(port)}; its ${protocol} ports: ${same.join(', ')}` : `Service ${to.namespace}/${to.name} has no ${protocol} ports (its ports: ${all.join(', ') || 'none'})`);
}

/**
 * A name no Service answers is not an input error (the failed lookup is
 * worth seeing at run time), but it is worth a warning that says how it will
 * fail if CoreDNS answers (failedLookup: with the default search path the
 * name as it is goes last, outside the zone, and ends it with SERVFAIL),
 * with a hint when the name is a pod, node or host written without its
 * prefix. Whether CoreDNS is reached (kube-dns endpoints, policies, a
 * nameserver of the pod's own) is the run's to say: its report names what
 * ended the lookup.
 */
function checkDnsName(r: YamlReader, at: At, name: string, from: EndpointRef, w: World): void {
  const pod = from.kind === 'pod' ? w.pods.find((p) => p.namespace === from.namespace && p.name === from.name) : undefined;
  // The pod's resolv.conf (hostNetwork pods with ClusterFirst, and nodes, use the node's: no cluster search path).
  const conf = searchConfOf(pod);
  const namespace = conf.search.length > 0 && pod ? pod.namespace : undefined;
  if (resolveServiceName(name, conf, w.services ?? []) !== undefined) return;
  // <hostname>.<service>.<ns>.svc...: a pod's own name under its headless Service (StatefulSet pods).
  const [first, ...rest] = name.toLowerCase().split('.');
  const svc = rest.length > 0 ? resolveServiceName(rest.join('.'), conf, w.services ?? []) : undefined;
  if (svc?.headless && w.pods.some((p) => p.namespace === svc.namespace && p.hostname === first && p.subdomain === svc.name)) return;
  // <a-b-c-d>.<headless service>...: an endpoint without a hostname is named by its address (kubernetes.go endpointHostname).
  const selected = (p: PodSpec): boolean => svc?.selector !== undefined && Object.entries(svc.selector).every(([k, v]) => p.labels[k] === v);
  if (svc?.headless && w.pods.some((p) => p.namespace === svc.namespace && p.ip.replace(/\./g, '-') === first && selected(p))) return;
  if (resolvesAsPodName(name, conf, w.namespaces ?? [])) return;
  const hint = refHint(name.toLowerCase(), w);
  const where = `DNS name ${name} resolves to no Service${namespace ? ` from namespace ${namespace}` : ''} at load time`;
  if (conf.firstServer) return r.warn(at, `${where}: the lookup will fail at run time; it asks ${conf.firstServer} first, not cluster DNS (the run says what answered)${hint}`);
  const f = failedLookup(name, conf);
  const by = (rcode: string): string[] => f.tried.filter((t) => t.rcode === rcode).map((t) => t.name);
  const nx = by('NXDOMAIN');
  const servfail = by('SERVFAIL');
  const answers = [...(nx.length > 0 ? [`NXDOMAIN for ${nx.join(', ')}`] : []), ...(servfail.length > 0 ? [`SERVFAIL for ${servfail.join(', ')}, outside ${CLUSTER_DOMAIN}: CoreDNS has no upstream here`] : [])];
  r.warn(at, `${where}: if CoreDNS answers, the lookup will fail with ${f.rcode} at run time (${answers.join('; ')})${hint}`);
}

/** `keepAlive: {idle, interval, probes}`: TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT, defaulting to the net.ipv4.tcp_keepalive_* sysctls. */
function readKeepAlive(r: YamlReader, at: At): NonNullable<TrafficSpec['keepAlive']> | undefined {
  const m = r.map(at, ['idle', 'interval', 'probes']);
  if (!m) return undefined;
  const d = TCP_KEEPALIVE_DEFAULTS;
  // The socket options take whole seconds, 1 to 32767 (MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL).
  const seconds = (name: 'idle' | 'interval', dflt: number): number => {
    const v = r.quantity(m.get(name), parseDuration, dflt);
    if (m.get(name) && (v < 1e9 || v > 32767e9 || v % 1e9 !== 0)) r.problem(m.get(name)!, 'expected whole seconds from 1s to 32767s (the socket option is in seconds)');
    return v;
  };
  return { idleNs: seconds('idle', d.idleNs), intervalNs: seconds('interval', d.intervalNs), probes: r.int(m.get('probes'), 1, 127) ?? d.probes };
}

/** `close: true` (at once, once the request is acknowledged), `false` (never), or a duration (that long after). */
function readClose(r: YamlReader, at: At): number | undefined {
  const v = r.scalar(at);
  if (typeof v === 'boolean') return v ? 0 : undefined;
  return r.quantity(at, parseDuration, 0);
}

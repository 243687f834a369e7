import { DROP_REASONS } from '../trace/events.js';
import { parseIpv4 } from '../wire/addr.js';
import { parseDuration } from './quantities.js';
import type { ClusterSpec, EndpointRef, Expectation, PodSpec, Protocol, TrafficSpec } from './types.js';
import { suggest, type At, type YamlReader } from './yaml-reader.js';

const TRAFFIC = ['name', 'from', 'to', 'protocol', 'port', 'payload', 'count', 'at', 'interval', 'ttl', 'expect'];
const EXPECT = ['verdict', 'deliveredTo', 'seenSource', 'dropReason', 'via'];

interface World {
  cluster: ClusterSpec;
  pods: PodSpec[];
}

/** `traffic:` items with refs resolved against the cluster and pods. */
export function checkTraffic(r: YamlReader, at: At | undefined, world: World): TrafficSpec[] {
  const out: TrafficSpec[] = [];
  const names = new Set<string>();
  for (const item of at ? r.list(at) : []) {
    const m = r.map(item, TRAFFIC);
    if (!m) continue;
    const nameAt = m.get('name') ?? { ...item, path: `${item.path}.name` };
    const name = r.str(nameAt, true);
    if (name !== undefined && names.has(name)) r.problem(nameAt, `duplicate traffic name ${name}`);
    if (name !== undefined) names.add(name);
    const from = ref(r, m.get('from') ?? { ...item, path: `${item.path}.from` }, world, ['pod', 'node', 'host'], true);
    const to = ref(r, m.get('to') ?? { ...item, path: `${item.path}.to` }, world, ['pod', 'node', 'host', 'ip'], true);
    const protocol = (r.oneOf<Protocol>(m.get('protocol'), ['TCP', 'UDP', 'ICMP']) ?? 'TCP') as Protocol;
    const portAt = m.get('port');
    const port = r.int(portAt, 1, 65535);
    if (protocol === 'ICMP' && portAt) r.problem(portAt, 'ICMP has no ports: remove port');
    if (protocol !== 'ICMP' && !portAt) r.problem({ ...item, path: `${item.path}.port` }, `required for ${protocol}: expected an integer between 1 and 65535`);
    const payload = r.int(m.get('payload'), 0, protocol === 'UDP' ? 65507 : 65000) ?? 64;
    const count = r.int(m.get('count'), 1, 100_000) ?? 1;
    const ttl = r.int(m.get('ttl'), 1, 255);
    const atNs = r.quantity(m.get('at'), parseDuration, 0);
    const intervalNs = r.quantity(m.get('interval'), parseDuration, 1_000_000);
    const expect = m.get('expect') ? expectation(r, m.get('expect')!, world) : undefined;
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
      ...(expect ? { expect } : {}),
      pos: r.pos(item),
    });
  }
  return out;
}

function expectation(r: YamlReader, at: At, world: World): Expectation | undefined {
  const m = r.map(at, EXPECT);
  if (!m) return undefined;
  const verdict = r.oneOf(m.get('verdict'), ['delivered', 'dropped'] as const);
  let deliveredTo: EndpointRef[] | undefined;
  const dAt = m.get('deliveredTo');
  if (dAt) {
    const items = r.scalar(dAt) !== undefined && typeof r.scalar(dAt) !== 'object' ? [dAt] : r.list(dAt);
    deliveredTo = items.map((i) => ref(r, i, world, ['pod', 'node', 'host'], true)).filter((x): x is EndpointRef => x !== undefined);
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
  let via: string[] | undefined;
  if (m.get('via')) {
    via = [];
    for (const v of r.list(m.get('via')!)) {
      const s = r.str(v, true);
      if (s === undefined) continue;
      const colon = s.lastIndexOf(':');
      const ns = colon > 0 ? s.slice(0, colon) : '';
      const dev = colon > 0 ? s.slice(colon + 1) : '';
      if (!dev || !netnsExists(ns, world)) {
        r.problem(v, `expected <netns>:<device> where netns is a node, an external host, <namespace>/<pod>, underlay or gateway; found "${s}"`);
        continue;
      }
      via.push(s);
    }
  }
  return {
    ...(verdict ? { verdict } : {}),
    ...(deliveredTo ? { deliveredTo } : {}),
    ...(seenSource !== undefined ? { seenSource } : {}),
    ...(dropReason !== undefined ? { dropReason } : {}),
    ...(via ? { via } : {}),
    pos: r.pos(at),
  };
}

function netnsExists(ns: string, w: World): boolean {
  return ns === 'underlay' || ns === 'gateway' || w.cluster.nodes.some((n) => n.name === ns) || w.cluster.externalHosts.some((h) => h.name === ns) || w.pods.some((p) => `${p.namespace}/${p.name}` === ns);
}

/** Parse and resolve `pod/ns/name`, `pod/name`, `node/x`, `host/y`, an IP, `service/...`. */
function ref(r: YamlReader, at: At, w: World, allowed: EndpointRef['kind'][], required: boolean): EndpointRef | undefined {
  const s = r.str(at, required);
  if (s === undefined) return undefined;
  const parts = s.split('/');
  const fail = (msg: string): undefined => {
    r.problem(at, msg);
    return undefined;
  };
  let out: EndpointRef;
  if (parts[0] === 'pod' && (parts.length === 2 || parts.length === 3)) {
    const namespace = parts.length === 3 ? parts[1]! : 'default';
    const name = parts[parts.length - 1]!;
    if (!w.pods.some((p) => p.namespace === namespace && p.name === name)) {
      const here = w.pods.filter((p) => p.namespace === namespace).map((p) => p.name);
      return fail(`no pod ${namespace}/${name} (pods in ${namespace}: ${here.join(', ') || 'none'})`);
    }
    out = { kind: 'pod', namespace, name };
  } else if (parts[0] === 'node' && parts.length === 2) {
    if (!w.cluster.nodes.some((n) => n.name === parts[1])) return fail(`no node ${parts[1]} (nodes: ${w.cluster.nodes.map((n) => n.name).join(', ')})`);
    out = { kind: 'node', name: parts[1]! };
  } else if (parts[0] === 'host' && parts.length === 2) {
    if (!w.cluster.externalHosts.some((h) => h.name === parts[1])) return fail(`no external host ${parts[1]} (hosts: ${w.cluster.externalHosts.map((h) => h.name).join(', ') || 'none'})`);
    out = { kind: 'host', name: parts[1]! };
  } else if (parts[0] === 'service') {
    return fail('services are not modelled yet in this version');
  } else if (parseIpv4(s) !== undefined) {
    out = { kind: 'ip', ip: s };
  } else if (/^[a-z0-9.-]+$/.test(s) && s.includes('.')) {
    return fail('DNS names are not modelled yet in this version (Services and cluster DNS come later)');
  } else {
    return fail(`expected pod/<ns>/<name>, pod/<name>, node/<name>, host/<name>${allowed.includes('ip') ? ' or an IPv4 address' : ''}, found "${s}"`);
  }
  if (!allowed.includes(out.kind)) return fail(`expected ${allowed.join(', ')} here, found a ${out.kind}`);
  return out;
}

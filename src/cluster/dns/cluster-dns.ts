import { parseIpv4 } from '../../wire/addr.js';
import {
  DNS_A,
  DNS_AAAA,
  DNS_CD,
  DNS_CLASS_IN,
  DNS_CNAME,
  DNS_OPT,
  DNS_QR,
  DNS_RD,
  DNS_SOA,
  DNS_TC,
  DNS_AA,
  encodeDns,
  encodeEdnsOptions,
  ednsOpt,
  ednsOptions,
  RCODE_FORMERR,
  RCODE_NOERROR,
  RCODE_NOTIMP,
  RCODE_NXDOMAIN,
  RCODE_REFUSED,
  RCODE_SERVFAIL,
  type DnsMessage,
  type DnsRecord,
} from '../../wire/dns.js';
import type { ControlPlaneInput } from '../spec.js';

/**
 * CoreDNS as kubeadm deploys it (`kubernetes cluster.local ... { pods
 * insecure }`, then `forward . /etc/resolv.conf`), as a pure function from
 * the cluster's records and a query to the reply. Modelled on
 * plugin/kubernetes (handler.go, kubernetes.go, parse.go) and
 * plugin/backend_lookup.go; see `answer` for what is and is not covered.
 */

export const DEFAULT_CLUSTER_ZONE = 'cluster.local';
/** The kubernetes plugin's default `ttl` (kubeadm's Corefile says `ttl 30`: coredns.ts). */
export const DEFAULT_DNS_TTL = 5;
/** Namespaces every API server has, so names in them are never "no such namespace". */
const BUILTIN_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
/** backend_lookup.go's maxCnameChainLength: longer ExternalName chains are cut. */
const MAX_CNAME_CHAIN = 10;

/** One address behind a headless Service (an EndpointSlice endpoint). */
export interface DnsEndpoint {
  ip: string;
  /** Only ready endpoints are published (CoreDNS reads Addresses, not NotReadyAddresses). */
  ready: boolean;
  /** `endpoints[].hostname`; without it the endpoint's name is its IP with dashes. */
  hostname?: string;
}

export interface DnsService {
  namespace: string;
  name: string;
  type: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
  /** Absent (or 'None') for headless and ExternalName Services. */
  clusterIP?: string;
  externalName?: string;
  endpoints?: DnsEndpoint[];
}

/** What CoreDNS's kubernetes plugin knows: its zone, options and the API objects it watches. */
export interface ClusterDnsRecords {
  /** kubelet's --cluster-domain; default cluster.local. */
  zone?: string;
  /** The plugin's `ttl` option; also the SOA's TTL (capped at 300) and MINIMUM. Default 5. */
  ttl?: number;
  /** SOA serial. CoreDNS uses the Unix time of the last API change; podwalk has no wall clock, so the caller picks it (default 1). */
  serial?: number;
  /** Namespaces that exist besides the built-in four and those holding a Service. */
  namespaces?: string[];
  services: DnsService[];
  /** The kube-dns Service IP: what `ns.dns.<zone>` resolves to. */
  nameserverIP?: string;
}

/** The records of a control plane as the plugin sees them (endpoints from the Service's EndpointSlices). */
export function recordsFromControlPlane(cp: ControlPlaneInput, opts: Omit<ClusterDnsRecords, 'services'> = {}): ClusterDnsRecords {
  const byService = new Map<string, ControlPlaneInput['endpointSlices']>();
  for (const e of cp.endpointSlices) {
    const k = `${e.namespace}/${e.serviceName}`;
    const list = byService.get(k);
    if (list) list.push(e);
    else byService.set(k, [e]);
  }
  const services = cp.services.map((s): DnsService => {
    const endpoints = (byService.get(`${s.namespace}/${s.name}`) ?? [])
      .flatMap((e) => e.endpoints.map((p) => ({ ip: p.ip, ready: p.ready, ...(p.hostname ? { hostname: p.hostname } : {}) })));
    return {
      namespace: s.namespace,
      name: s.name,
      type: s.type,
      ...(s.clusterIP !== undefined ? { clusterIP: s.clusterIP } : {}),
      ...(s.externalName !== undefined ? { externalName: s.externalName } : {}),
      endpoints,
    };
  });
  return { ...opts, services };
}

/** What a name in the zone holds, before the query type is looked at. */
type Found = { kind: 'nxdomain' } | { kind: 'nodata' } | { kind: 'addresses'; ips: number[] } | { kind: 'cname'; target: string };

/** The header's Z bit, cleared in rejections (`Zero = false`). */
const DNS_Z = 0x0040;

const NX: Found = { kind: 'nxdomain' };
const NODATA: Found = { kind: 'nodata' };

function inZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

function namespaceExists(ns: string, r: ClusterDnsRecords): boolean {
  return BUILTIN_NAMESPACES.includes(ns) || (r.namespaces ?? []).includes(ns) || r.services.some((s) => s.namespace === ns);
}

/** The endpoint's DNS label (kubernetes.go endpointHostname). */
function endpointLabel(e: DnsEndpoint): string {
  return (e.hostname ?? e.ip.replace(/\./g, '-')).toLowerCase();
}

/** parse.go + findServices/findPods for a lower-case name inside the zone. */
function lookup(name: string, r: ClusterDnsRecords, zone: string): Found {
  if (r.nameserverIP !== undefined && name === `ns.dns.${zone}`) return { kind: 'addresses', ips: [parseIpv4(r.nameserverIP)!] };
  const base = name === zone ? '' : name.slice(0, -zone.length - 1);
  if (base === '' || base === 'svc' || base === 'pod') return NODATA; // the apex and the two subtrees exist, empty
  const segs = base.split('.').reverse(); // svc|pod, namespace, service, endpoint
  const [podOrSvc, ns, svcName, endpoint, ...rest] = segs;
  if ((podOrSvc !== 'svc' && podOrSvc !== 'pod') || rest.length > 0) return NX; // SRV's _port._proto names are not modelled
  if (!namespaceExists(ns!, r)) return NX;
  if (svcName === undefined) return NODATA; // <ns>.svc.<zone>: an existing namespace is an empty non-terminal
  if (podOrSvc === 'pod') {
    // `pods insecure`: the name is the address, whether or not such a pod exists (findPods ignores a further label).
    const ip = /^\d+-\d+-\d+-\d+$/.test(svcName) ? parseIpv4(svcName.replace(/-/g, '.')) : undefined;
    return ip === undefined ? NX : { kind: 'addresses', ips: [ip] };
  }
  const svc = r.services.find((s) => s.namespace === ns && s.name.toLowerCase() === svcName);
  if (!svc) return NX;
  if (svc.type === 'ExternalName') {
    // An IP in externalName is no CNAME target, and ExternalName names have no endpoint children.
    if (endpoint !== undefined || !svc.externalName || parseIpv4(svc.externalName) !== undefined) return NX;
    return { kind: 'cname', target: svc.externalName.replace(/\.$/, '') };
  }
  const headless = svc.clusterIP === undefined || svc.clusterIP === 'None';
  if (headless || endpoint !== undefined) {
    const ready = (svc.endpoints ?? []).filter((e) => e.ready && (endpoint === undefined || endpointLabel(e) === endpoint));
    const ips = [...new Set(ready.map((e) => parseIpv4(e.ip)).filter((ip): ip is number => ip !== undefined))];
    return ips.length ? { kind: 'addresses', ips } : NX; // a headless Service with no ready endpoint is NXDOMAIN
  }
  const ip = parseIpv4(svc.clusterIP!);
  return ip === undefined ? NODATA : { kind: 'addresses', ips: [ip] };
}

interface Ctx {
  r: ClusterDnsRecords;
  zone: string;
  ttl: number;
}

/**
 * A/AAAA/CNAME records for `asked` (owner names keep the asker's case), as
 * backend_lookup.go's A(): a CNAME into the zone is followed and kept only
 * if the target has addresses; a CNAME out of the zone would be looked up
 * through `forward`, which has no upstream here, so it stands alone.
 */
function addressRecords(asked: string, qtype: number, c: Ctx, chain: string[]): DnsRecord[] | 'nxdomain' {
  const f = lookup(asked.toLowerCase(), c.r, c.zone);
  if (f.kind === 'nxdomain') return 'nxdomain';
  if (f.kind === 'nodata') return [];
  if (f.kind === 'addresses') {
    // Every address podwalk knows is IPv4: AAAA finds nothing (NODATA).
    return qtype === DNS_A ? f.ips.map((ip) => ({ name: asked, type: DNS_A, cls: DNS_CLASS_IN, ttl: c.ttl, data: { kind: 'a', ip } })) : [];
  }
  const cname: DnsRecord = { name: asked, type: DNS_CNAME, cls: DNS_CLASS_IN, ttl: c.ttl, data: { kind: 'cname', target: f.target } };
  const target = f.target.toLowerCase();
  if (target === asked.toLowerCase() || chain.includes(target) || chain.length > MAX_CNAME_CHAIN) return []; // loops and long chains are dropped
  if (!inZone(target, c.zone)) return [cname];
  const next = addressRecords(f.target, qtype, c, [...chain, asked.toLowerCase()]);
  return next === 'nxdomain' || next.length === 0 ? [] : [cname, ...next];
}

/** The zone's SOA as plugin.SOA writes it; `zoneAsAsked` keeps the query's spelling of the zone. */
export function soaRecord(r: ClusterDnsRecords, zoneAsAsked?: string): DnsRecord {
  const zone = zoneAsAsked ?? r.zone ?? DEFAULT_CLUSTER_ZONE;
  const ttl = r.ttl ?? DEFAULT_DNS_TTL;
  return {
    name: zone,
    type: DNS_SOA,
    cls: DNS_CLASS_IN,
    ttl: Math.min(ttl, 300),
    data: { kind: 'soa', mname: `ns.dns.${zone}`, rname: `hostmaster.${zone}`, serial: r.serial ?? 1, refresh: 7200, retry: 1800, expire: 86400, minimum: ttl },
  };
}

/** EDNS options CoreDNS copies from the query's OPT into the reply (request/edns0.go supportedOptions). */
const ECHOED_OPTIONS = new Set([3, 9, 10, 11, 12]); // NSID, EXPIRE, COOKIE, TCP-KEEPALIVE, PADDING

/** The reply's OPT, as request.SizeAndDo derives it from the query's. */
function replyOpt(query: DnsMessage): DnsRecord[] {
  const o = ednsOpt(query);
  if (!o) return [];
  const raw = o.data.kind === 'raw' ? o.data.bytes : new Uint8Array(0);
  const options = (ednsOptions(raw) ?? []).filter((x) => ECHOED_OPTIONS.has(x.code));
  // Version and extended rcode cleared, as is the low byte (`Ttl &= 0xff00`): the DO bit stays.
  return [{ name: '', type: DNS_OPT, cls: o.cls, ttl: o.ttl & 0xff00, data: { kind: 'raw', bytes: encodeEdnsOptions(options) } }];
}

/**
 * CoreDNS's reply to `query` (miekg/dns SetReply: id, opcode, RD and CD
 * copied, the first question echoed).
 *
 * Modelled: `<svc>.<ns>.svc.<zone>` A -> the ClusterIP; headless -> one A
 * per ready endpoint IP (deduplicated, data order), NXDOMAIN when none is
 * ready; `<endpoint>.<svc>.<ns>.svc.<zone>` (hostname or dashed IP);
 * ExternalName -> CNAME (for A, AAAA and CNAME queries), followed when the
 * target is in the zone (kept only if the target has addresses), alone when
 * it is outside; `a-b-c-d.<ns>.pod.<zone>` -> A (pods insecure: any address
 * in an existing namespace); the apex, `svc.<zone>`, `pod.<zone>` and
 * `<ns>.svc.<zone>` of an existing namespace -> NODATA; unknown names ->
 * NXDOMAIN. NXDOMAIN and NODATA carry the SOA in authority and are
 * authoritative (AA); RA is never set (the kubernetes plugin does not, so
 * dig warns "recursion requested but not available"). AAAA finds nothing
 * (podwalk is IPv4 only): NODATA. Other types take the handler's "fake A
 * lookup": NXDOMAIN or NODATA by whether the name exists; SOA at the apex
 * answers the SOA; AXFR/IXFR are REFUSED. Names outside the zone go to
 * `forward . /etc/resolv.conf`, which has no upstream in podwalk: SERVFAIL
 * (CoreDNS's server writes it after forward gives up; the timeout is not
 * modelled), not authoritative, no SOA. An OPT in the query is echoed the
 * way request.SizeAndDo does. Messages miekg/dns's accept function rejects
 * (opcode not QUERY -> NOTIMP; not exactly one question -> FORMERR) get
 * those rcodes; a message with QR set would be ignored by the server, and
 * callers should drop it (here it gets FORMERR).
 *
 * Not modelled: SRV (`_port._proto` names), PTR (reverse zones), TXT
 * `dns-version`, NS records, multicluster/zonal names, `pods verified`,
 * `endpoint_pod_names`, dual-stack, the `cache` plugin's TTL aging, BADVERS
 * for EDNS versions above 0 (`loadbalance`'s shuffling is the server's: coredns.ts).
 */
export function answer(query: DnsMessage, zone: ClusterDnsRecords): DnsMessage {
  const q = query.questions[0];
  const opcode = (query.flags >> 11) & 0xf;
  const reply = (rcode: number, aa: boolean, answers: DnsRecord[] = [], authority: DnsRecord[] = []): DnsMessage => ({
    id: query.id,
    flags: DNS_QR | (opcode << 11) | (aa ? DNS_AA : 0) | (opcode === 0 ? query.flags & (DNS_RD | DNS_CD) : 0) | rcode,
    questions: q ? [q] : [],
    answers,
    authority,
    additional: replyOpt(query),
  });
  // miekg/dns's accept function: not QUERY/NOTIFY -> NOTIMP, not exactly one question (or a response) -> FORMERR.
  if (opcode !== 0 && opcode !== 4) return rejected(query, RCODE_NOTIMP);
  if (!q || query.questions.length !== 1 || query.flags & DNS_QR) return rejected(query, RCODE_FORMERR);
  const c: Ctx = { r: zone, zone: (zone.zone ?? DEFAULT_CLUSTER_ZONE).toLowerCase().replace(/\.$/, ''), ttl: zone.ttl ?? DEFAULT_DNS_TTL };
  const asked = q.name.replace(/\.$/, '');
  const lower = asked.toLowerCase();
  if (!inZone(lower, c.zone)) return reply(RCODE_SERVFAIL, false);
  const soa = [soaRecord(zone, asked.slice(asked.length - c.zone.length))];
  const negative = (rcode: number): DnsMessage => reply(rcode, true, [], soa);
  if (q.type === 252 || q.type === 251) return reply(RCODE_REFUSED, false); // AXFR, IXFR: transfers are not allowed
  let records: DnsRecord[] | 'nxdomain';
  if (q.type === DNS_A || q.type === DNS_AAAA) records = addressRecords(asked, q.type, c, []);
  else if (q.type === DNS_CNAME) {
    const f = lookup(lower, zone, c.zone);
    records = f.kind === 'nxdomain' ? 'nxdomain' : f.kind === 'cname' ? [{ name: asked, type: DNS_CNAME, cls: DNS_CLASS_IN, ttl: c.ttl, data: { kind: 'cname', target: f.target } }] : [];
  } else if (q.type === DNS_SOA) records = lower === c.zone ? soa : []; // the handler answers SOA only at the apex, NODATA elsewhere without looking
  else records = lookup(lower, zone, c.zone).kind === 'nxdomain' ? 'nxdomain' : [];
  if (records === 'nxdomain') return negative(RCODE_NXDOMAIN);
  if (records.length === 0) return negative(RCODE_NOERROR);
  return reply(RCODE_NOERROR, true, records);
}

/** The server's reply to a message it rejects: the request itself turned round (SetRcodeFormatError), sections emptied. */
function rejected(query: DnsMessage, rcode: number): DnsMessage {
  const opcode = rcode === RCODE_NOTIMP ? query.flags & 0x7800 : 0;
  const flags = (query.flags & ~(0x7800 | DNS_AA | DNS_Z | 0xf)) | DNS_QR | opcode | rcode;
  return { id: query.id, flags, questions: query.questions, answers: [], authority: [], additional: [] };
}

/**
 * The bytes CoreDNS sends for `reply` over `transport`, after
 * request.Scrub / miekg/dns Msg.Truncate: uncompressed if it fits the
 * client's buffer (the query's EDNS UDP size, at least 512; 65535 over
 * TCP), else compressed, else cut to the records that fit with TC set (the
 * OPT record is kept).
 */
export function encodeReply(reply: DnsMessage, query: DnsMessage, transport: 'udp' | 'tcp' = 'udp'): Uint8Array {
  const size = transport === 'tcp' ? 65535 : Math.max(512, ednsOpt(query)?.cls ?? 0);
  const plain = encodeDns(reply);
  if (plain.length <= size) return plain;
  const packed = encodeDns(reply, { compress: true });
  if (packed.length <= size) return packed;
  const opt = reply.additional.filter((r) => r.type === DNS_OPT);
  const others = reply.additional.filter((r) => r.type !== DNS_OPT);
  const sections = [reply.answers, reply.authority, others];
  const keep = [0, 0, 0];
  const build = (): DnsMessage => ({
    ...reply,
    flags: reply.flags | DNS_TC,
    answers: reply.answers.slice(0, keep[0]),
    authority: reply.authority.slice(0, keep[1]),
    additional: [...others.slice(0, keep[2]), ...opt],
  });
  // Like truncateLoop: fill the sections in order, stop at the first record that does not fit.
  for (let s = 0; s < 3; s++) {
    while (keep[s]! < sections[s]!.length) {
      keep[s]!++;
      if (encodeDns(build(), { compress: true }).length > size) {
        keep[s]!--;
        return encodeDns(build(), { compress: true });
      }
    }
  }
  return encodeDns(build(), { compress: true });
}

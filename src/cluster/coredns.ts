import type { NetNs } from '../kernel/netns.js';
import { parseIpv4 } from '../wire/addr.js';
import {
  decodeDns,
  DNS_A,
  DNS_AA,
  DNS_CLASS_IN,
  DNS_CNAME,
  DNS_QR,
  DNS_RA,
  DNS_RD,
  DNS_SOA,
  encodeDns,
  RCODE_NOERROR,
  RCODE_NXDOMAIN,
  RCODE_SERVFAIL,
  type DnsMessage,
  type DnsRecord,
} from '../wire/dns.js';
import type { ClusterInput, ControlPlaneInput } from './spec.js';

export const CLUSTER_ZONE = 'cluster.local';
/** CoreDNS's kubernetes plugin answers with TTL 5 by default. */
const TTL = 5;
const SOA: DnsRecord = {
  name: CLUSTER_ZONE,
  type: DNS_SOA,
  cls: DNS_CLASS_IN,
  ttl: 30,
  data: { kind: 'soa', mname: `ns.dns.${CLUSTER_ZONE}`, rname: `hostmaster.${CLUSTER_ZONE}`, serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum: 30 },
};

/**
 * CoreDNS as kubeadm deploys it, running in the pods behind
 * kube-system/kube-dns: it answers UDP queries on port 53 from the Services
 * and EndpointSlices (the kubernetes plugin) — A for a ClusterIP Service, one
 * A per ready endpoint for a headless one, a CNAME for ExternalName, NXDOMAIN
 * with the zone's SOA for unknown names in cluster.local. The `forward .`
 * plugin has no upstream here, so names outside the cluster get SERVFAIL.
 */
export function installCoreDns(pods: Map<string, NetNs>, spec: ClusterInput, cp: ControlPlaneInput): void {
  void spec;
  const slice = cp.endpointSlices.filter((s) => s.namespace === 'kube-system' && s.serviceName === 'kube-dns');
  const servers = new Set(slice.flatMap((s) => s.endpoints.map((e) => e.targetRef)).filter((r): r is string => r !== undefined));
  for (const ref of servers) {
    const ns = pods.get(ref);
    if (!ns) continue;
    ns.sockets.listenUdp(53, (d, skb) => {
      const q = decodeDns(d.payload);
      if (!q.ok || q.value.flags & DNS_QR) return; // not a query: CoreDNS ignores it
      const reply = encodeDns(answer(q.value, cp));
      // The answer leaves from the address the query came to (the pod IP; conntrack turns it back into the Service IP).
      ns.sockets.sendDatagram(53, d.src, d.sport, reply, skb, d.dst);
    });
  }
}

/** The kubernetes plugin's answer to one query. */
export function answer(query: DnsMessage, cp: ControlPlaneInput): DnsMessage {
  const q = query.questions[0];
  const base = { id: query.id, questions: query.questions, answers: [] as DnsRecord[], authority: [] as DnsRecord[], additional: [] as DnsRecord[] };
  const flags = (rcode: number, aa: boolean): number => DNS_QR | (aa ? DNS_AA : 0) | (query.flags & DNS_RD) | DNS_RA | rcode;
  if (!q) return { ...base, flags: flags(RCODE_SERVFAIL, false) };
  const name = q.name.toLowerCase().replace(/\.$/, '');
  if (name !== CLUSTER_ZONE && !name.endsWith(`.${CLUSTER_ZONE}`)) return { ...base, flags: flags(RCODE_SERVFAIL, false) };
  const m = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local$/.exec(name);
  const svc = m ? cp.services.find((s) => s.name === m[1] && s.namespace === m[2]) : undefined;
  if (!svc) return { ...base, authority: [SOA], flags: flags(RCODE_NXDOMAIN, true) };
  const records: DnsRecord[] = [];
  if (svc.type === 'ExternalName' && svc.externalName) {
    records.push({ name: q.name, type: DNS_CNAME, cls: DNS_CLASS_IN, ttl: TTL, data: { kind: 'cname', target: svc.externalName } });
  } else if (q.type === DNS_A) {
    const ips = svc.clusterIP
      ? [svc.clusterIP]
      : cp.endpointSlices.filter((s) => s.namespace === svc.namespace && s.serviceName === svc.name).flatMap((s) => s.endpoints.filter((e) => e.ready).map((e) => e.ip));
    for (const ip of [...new Set(ips)]) records.push({ name: q.name, type: DNS_A, cls: DNS_CLASS_IN, ttl: TTL, data: { kind: 'a', ip: parseIpv4(ip)! } });
  }
  // A name that exists but has no record of the asked type: NOERROR with the SOA (NODATA).
  return { ...base, answers: records, authority: records.length ? [] : [SOA], flags: flags(RCODE_NOERROR, true) };
}

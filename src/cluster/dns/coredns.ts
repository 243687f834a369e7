import type { NetNs } from '../../kernel/netns.js';
import type { Rng } from '../../engine/rng.js';
import { decodeDns, DNS_QR, rcode, RCODE_NOERROR, type DnsMessage } from '../../wire/dns.js';
import { DnsTcpReader, frameDnsTcp } from '../../wire/dns-tcp.js';
import { answer, encodeReply, recordsFromControlPlane, type ClusterDnsRecords } from './cluster-dns.js';
import { roundRobin } from './coredns-loadbalance.js';
import type { ClusterInput, ControlPlaneInput } from '../spec.js';

/**
 * kubeadm's Corefile (and coredns.yaml.base) sets `ttl 30` in its kubernetes
 * block: every record and the SOA carry 30 s (the plugin's own default is 5).
 */
export const KUBEADM_DNS_TTL = 30;

/**
 * CoreDNS as kubeadm deploys it, running in the pods behind
 * kube-system/kube-dns: it binds UDP and TCP 53 and answers each query with the
 * kubernetes plugin's logic (cluster-dns.ts) over the Services and
 * EndpointSlices it watches (`update` when they change), with the Corefile's
 * `ttl 30`.
 */
export class CoreDns {
  private records: ClusterDnsRecords;

  constructor(cp: ControlPlaneInput) {
    this.records = CoreDns.records(cp);
  }

  /** The watch saw new Services or EndpointSlices. */
  update(cp: ControlPlaneInput): void {
    this.records = CoreDns.records(cp);
  }

  /** What the plugin watches: Services, EndpointSlices and Namespaces (namespaceExposed: a name in an existing namespace is answered). */
  private static records(cp: ControlPlaneInput): ClusterDnsRecords {
    return recordsFromControlPlane(cp, { ttl: KUBEADM_DNS_TTL, ...(cp.namespaces ? { namespaces: cp.namespaces } : {}) });
  }

  /**
   * The reply to a query, as the server writes it (what `serve` sends over UDP
   * and TCP): the kubernetes plugin's answer, its records in a new order from
   * `loadbalance` (kubeadm's Corefile) when it is NOERROR.
   */
  reply(q: DnsMessage, rng: Rng): DnsMessage {
    const m = answer(q, this.records);
    if (rcode(m) !== RCODE_NOERROR || m.answers.length < 2) return m;
    return { ...m, answers: roundRobin(m.answers, rng) };
  }

  /** Start the server in a pod: bind UDP 53 and listen on TCP 53. */
  serve(ns: NetNs): void {
    // loadbalance's dns.Id() draws: a stream of this server's own, so they move no other number.
    const shuffle = ns.rng.fork('coredns loadbalance');
    ns.sockets.listenUdp(53, (d, skb) => {
      const q = decodeDns(d.payload);
      if (!q.ok || q.value.flags & DNS_QR) return; // not a query: CoreDNS ignores it
      const reply = encodeReply(this.reply(q.value, shuffle), q.value);
      // The answer leaves from the address the query came to (the pod IP; conntrack turns it back into the Service IP).
      ns.sockets.sendDatagram(53, d.src, d.sport, reply, skb, d.dst);
    });
    // Over TCP the same answer is never truncated (a 65,535-byte buffer): each
    // length-prefixed query read from the stream gets its own framed reply,
    // written as soon as it is read (miekg/dns serves a connection's queries in order).
    ns.sockets.listenTcp(53, () => {
      const reader = new DnsTcpReader();
      return {
        data: (s, bytes, skb) => {
          for (const raw of reader.push(bytes)) {
            const q = decodeDns(raw);
            if (!q.ok || q.value.flags & DNS_QR) continue;
            s.write(frameDnsTcp([encodeReply(this.reply(q.value, shuffle), q.value, 'tcp')]), skb);
          }
        },
      };
    });
  }
}

/** The kube-dns pods: the targets of kube-system/kube-dns's slices. */
export function isDnsServerPod(ref: string, cp: ControlPlaneInput): boolean {
  return cp.endpointSlices.some((s) => s.namespace === 'kube-system' && s.serviceName === 'kube-dns' && s.endpoints.some((e) => e.targetRef === ref));
}

export function installCoreDns(pods: Map<string, NetNs>, spec: ClusterInput, cp: ControlPlaneInput): CoreDns {
  void spec;
  const dns = new CoreDns(cp);
  const slices = cp.endpointSlices.filter((s) => s.namespace === 'kube-system' && s.serviceName === 'kube-dns');
  const servers = new Set(slices.flatMap((s) => s.endpoints.map((e) => e.targetRef)).filter((r): r is string => r !== undefined));
  for (const ref of servers) {
    const ns = pods.get(ref);
    if (ns) dns.serve(ns);
  }
  return dns;
}

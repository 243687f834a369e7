import type { NetNs } from '../kernel/netns.js';
import { decodeDns, DNS_QR } from '../wire/dns.js';
import { answer, encodeReply, recordsFromControlPlane } from './cluster-dns.js';
import type { ClusterInput, ControlPlaneInput } from './spec.js';

/**
 * CoreDNS as kubeadm deploys it, running in the pods behind
 * kube-system/kube-dns: it binds UDP 53 and answers each query with the
 * kubernetes plugin's logic (cluster-dns.ts) over the Services and
 * EndpointSlices of the control plane.
 */
export function installCoreDns(pods: Map<string, NetNs>, spec: ClusterInput, cp: ControlPlaneInput): void {
  void spec;
  const slices = cp.endpointSlices.filter((s) => s.namespace === 'kube-system' && s.serviceName === 'kube-dns');
  const servers = new Set(slices.flatMap((s) => s.endpoints.map((e) => e.targetRef)).filter((r): r is string => r !== undefined));
  const records = recordsFromControlPlane(cp);
  for (const ref of servers) {
    const ns = pods.get(ref);
    if (!ns) continue;
    ns.sockets.listenUdp(53, (d, skb) => {
      const q = decodeDns(d.payload);
      if (!q.ok || q.value.flags & DNS_QR) return; // not a query: CoreDNS ignores it
      const reply = encodeReply(answer(q.value, records), q.value);
      // The answer leaves from the address the query came to (the pod IP; conntrack turns it back into the Service IP).
      ns.sockets.sendDatagram(53, d.src, d.sport, reply, skb, d.dst);
    });
  }
}

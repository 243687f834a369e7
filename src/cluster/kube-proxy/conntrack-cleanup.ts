import type { ServicePortPlan } from './iptables/iptables-proxier.js';

/**
 * kube-proxy's stale UDP conntrack clean-up (pkg/proxy/conntrack,
 * CleanStaleEntries), the same in every mode. After a sync in which some UDP
 * Service's endpoints changed, it lists the node's UDP conntrack entries and
 * deletes each one that goes to a UDP Service address and port (cluster,
 * load-balancer or external IP) or to a UDP NodePort (any address) whose
 * reply source is not one of that port's *serving* endpoints. Serving is all
 * it asks: traffic policies, topology and terminating status do not count,
 * so a terminating pod that still serves keeps its flows, as TCP connections
 * keep theirs. A port with no serving endpoint at all is left alone; once it
 * has one again, entries made meanwhile (not DNATed: their reply comes from
 * the Service address itself) are not from a serving endpoint and go.
 */
export interface UdpServing {
  /** `ip:port` of every UDP Service address whose port has serving endpoints -> their IPs. */
  byServiceIP: Map<string, ServingSet>;
  /** Every UDP NodePort whose port has serving endpoints -> their IPs. */
  byNodePort: Map<number, ServingSet>;
}

export interface ServingSet {
  ips: ReadonlySet<string>;
  /** `ns/svc:port`, for the trace. */
  servicePort: string;
}

/** What the clean-up after one sync needs: whether it runs (ConntrackCleanupRequired) and the serving endpoints. */
export interface UdpCleanup {
  required: boolean;
  serving: UdpServing;
}

/** One conntrack entry as the clean-up reads it. */
export interface UdpEntry {
  origDst: string;
  origDport: number;
  replySrc: string;
}

/** A `conntrack -D` the clean-up asks for: `--orig-dst` (Service address) or not (NodePort), `--orig-port-dst`, `--reply-src`. */
export interface StaleUdpFilter {
  origDst?: string;
  origDport: number;
  replySrc: string;
  servicePort: string;
}

export function udpServing(ports: readonly ServicePortPlan[]): UdpServing {
  const out: UdpServing = { byServiceIP: new Map(), byNodePort: new Map() };
  for (const p of ports) {
    if (p.info.protocol !== 'UDP') continue;
    const ips = new Set(p.endpoints.filter((e) => e.serving).map((e) => e.ip));
    if (ips.size === 0) continue;
    const set: ServingSet = { ips, servicePort: p.info.nameString };
    for (const vip of [p.info.clusterIP, ...p.info.loadBalancerVIPs, ...p.info.externalIPs]) out.byServiceIP.set(`${vip}:${p.info.port}`, set);
    if (p.info.nodePort > 0) out.byNodePort.set(p.info.nodePort, set);
  }
  return out;
}

/** ConntrackCleanupRequired: some UDP service port's endpoints (or their conditions) differ between the two syncs. */
export function udpEndpointsChanged(before: readonly ServicePortPlan[], after: readonly ServicePortPlan[]): boolean {
  const text = (p: ServicePortPlan): string => p.endpoints.map((e) => `${e.key}/${+e.ready}${+e.serving}${+e.terminating}`).join(',');
  const was = new Map(before.filter((p) => p.info.protocol === 'UDP').map((p) => [p.info.nameString, text(p)]));
  const now = new Map(after.filter((p) => p.info.protocol === 'UDP').map((p) => [p.info.nameString, text(p)]));
  for (const [name, eps] of now) if (was.get(name) !== eps) return true;
  for (const name of was.keys()) if (!now.has(name)) return true;
  return false;
}

export function udpCleanup(before: readonly ServicePortPlan[], after: readonly ServicePortPlan[]): UdpCleanup {
  return { required: udpEndpointsChanged(before, after), serving: udpServing(after) };
}

/** The filters CleanStaleEntries builds from the listed entries, each once, in the order entries first ask for them. */
export function staleUdpFilters(entries: readonly UdpEntry[], serving: UdpServing): StaleUdpFilter[] {
  const out = new Map<string, StaleUdpFilter>();
  for (const e of entries) {
    const svc = serving.byServiceIP.get(`${e.origDst}:${e.origDport}`);
    if (svc && !svc.ips.has(e.replySrc)) {
      const k = `${e.origDst}:${e.origDport}>${e.replySrc}`;
      if (!out.has(k)) out.set(k, { origDst: e.origDst, origDport: e.origDport, replySrc: e.replySrc, servicePort: svc.servicePort });
    }
    const np = serving.byNodePort.get(e.origDport);
    if (np && !np.ips.has(e.replySrc)) {
      const k = `*:${e.origDport}>${e.replySrc}`;
      if (!out.has(k)) out.set(k, { origDport: e.origDport, replySrc: e.replySrc, servicePort: np.servicePort });
    }
  }
  return [...out.values()];
}

import type { ServicePortPlan } from './iptables/iptables-proxier.js';

/**
 * kube-proxy's stale UDP conntrack clean-up (pkg/proxy/conntrack,
 * CleanStaleEntries), the same in every mode, as current kube-proxy has it.
 * After a sync in which some UDP Service's endpoints changed, it lists the
 * node's UDP conntrack entries and deletes each one that goes to a UDP
 * Service address and port (cluster, load-balancer or external IP) or to a
 * UDP NodePort (any address) whose reply source address *and port* are not
 * one of that port's *serving* endpoints (a targetPort change on the same
 * pods counts: kubernetes #130542, v1.33). Serving is all it asks: traffic
 * policies, topology and terminating status do not count, so a terminating
 * pod that still serves keeps its flows, as TCP connections keep theirs.
 * A port with no serving endpoint is processed with an empty set, so all
 * its entries go (#139629; 1.32 skipped such ports, which black-holed
 * one-way senders whose entries never expire); so is a port of a Service
 * that was deleted, or that the Service no longer has (#141371:
 * UpdateServiceMapResult.DeletedServices).
 */
export interface UdpServing {
  /** `ip:port` of every UDP Service address -> its serving endpoints (`ip:port`). */
  byServiceIP: Map<string, ServingSet>;
  /** Every UDP NodePort -> its serving endpoints. */
  byNodePort: Map<number, ServingSet>;
}

export interface ServingSet {
  /** `ip:port` of each serving endpoint (its IP and target port: the reply source of a connection DNATed to it). */
  endpoints: ReadonlySet<string>;
  /** `ns/svc:port`, for the trace. */
  servicePort: string;
  /** The Service port is gone (deleted Service, or the port removed from it). */
  deleted: boolean;
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
  replySport: number;
}

/** A `conntrack -D` the clean-up asks for: `--orig-dst` (Service address) or not (NodePort), `--orig-port-dst`, `--reply-src`, `--reply-port-src`. */
export interface StaleUdpFilter {
  origDst?: string;
  origDport: number;
  replySrc: string;
  replySport: number;
  servicePort: string;
  /** Why: the port has no serving endpoint at all, or is gone. */
  none: 'deleted' | 'no-serving' | undefined;
}

/**
 * The serving endpoints of every UDP Service port in `ports`; `gone`: ports
 * of the previous sync that are no longer there, with an empty set (those
 * still there win: a deleted port's addresses may be another's now).
 */
export function udpServing(ports: readonly ServicePortPlan[], gone: readonly ServicePortPlan[] = []): UdpServing {
  const out: UdpServing = { byServiceIP: new Map(), byNodePort: new Map() };
  const add = (p: ServicePortPlan, set: ServingSet): void => {
    for (const vip of [p.info.clusterIP, ...p.info.loadBalancerVIPs, ...p.info.externalIPs]) out.byServiceIP.set(`${vip}:${p.info.port}`, set);
    if (p.info.nodePort > 0) out.byNodePort.set(p.info.nodePort, set);
  };
  for (const p of gone) if (p.info.protocol === 'UDP') add(p, { endpoints: new Set(), servicePort: p.info.nameString, deleted: true });
  for (const p of ports) {
    if (p.info.protocol !== 'UDP') continue;
    add(p, { endpoints: new Set(p.endpoints.filter((e) => e.serving).map((e) => e.key)), servicePort: p.info.nameString, deleted: false });
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
  const now = new Set(after.map((p) => p.info.nameString));
  return { required: udpEndpointsChanged(before, after), serving: udpServing(after, before.filter((p) => !now.has(p.info.nameString))) };
}

/** The filters CleanStaleEntries builds from the listed entries, each once, in the order entries first ask for them. */
export function staleUdpFilters(entries: readonly UdpEntry[], serving: UdpServing): StaleUdpFilter[] {
  const out = new Map<string, StaleUdpFilter>();
  const none = (set: ServingSet): StaleUdpFilter['none'] => (set.deleted ? 'deleted' : set.endpoints.size === 0 ? 'no-serving' : undefined);
  for (const e of entries) {
    const reply = `${e.replySrc}:${e.replySport}`;
    const svc = serving.byServiceIP.get(`${e.origDst}:${e.origDport}`);
    if (svc && !svc.endpoints.has(reply)) {
      const k = `${e.origDst}:${e.origDport}>${reply}`;
      if (!out.has(k)) out.set(k, { origDst: e.origDst, origDport: e.origDport, replySrc: e.replySrc, replySport: e.replySport, servicePort: svc.servicePort, none: none(svc) });
    }
    const np = serving.byNodePort.get(e.origDport);
    if (np && !np.endpoints.has(reply)) {
      const k = `*:${e.origDport}>${reply}`;
      if (!out.has(k)) out.set(k, { origDport: e.origDport, replySrc: e.replySrc, replySport: e.replySport, servicePort: np.servicePort, none: none(np) });
    }
  }
  return [...out.values()];
}

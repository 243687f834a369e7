import type { NetNs } from '../../kernel/netns.js';
import { parseCidr } from '../../wire/addr.js';
import { serviceKey, type ClusterInput, type EndpointSliceInput, type ServiceInput } from '../spec.js';

/** The well-known label that keeps a node out of cloud load balancers (k8s.io/api core/v1 LabelNodeExcludeBalancers). */
export const EXCLUDE_FROM_LB_LABEL = 'node.kubernetes.io/exclude-from-external-load-balancers';

/**
 * The cloud's side of LoadBalancer Services and the operator's side of
 * externalIPs: something outside the cluster must bring packets for those
 * addresses to a node, with the destination unchanged, as the pass-through
 * network load balancers of GCE and Azure (floating IP, which the Azure cloud
 * provider turns on) deliver (no proxying, no source NAT); kube-proxy on that
 * node does the rest (KUBE-EXT-*, and KUBE-FW-* for loadBalancerSourceRanges).
 * AWS's NLB is not this: with instance targets (the default) it sends to the
 * node's own address and the Service's NodePort (KUBE-NODEPORTS; the
 * source ranges are the security group's), with IP targets to the pod.
 *
 * podwalk models the load balancer as the underlay gateway with one multipath
 * route per load-balancer address, a nexthop per eligible node, hashing each
 * connection's 5-tuple (fib_multipath_hash_policy 1, seeded per cluster), so
 * connections spread over the nodes as a cloud load balancer spreads them:
 * - externalTrafficPolicy Cluster: every node is a backend (any node can
 *   forward to any endpoint);
 * - externalTrafficPolicy Local: the nodes whose health check passes, i.e.
 *   that have a ready endpoint of the Service (kube-proxy's healthCheckNodePort
 *   answers 200 only there). With none healthy the cloud load balancers fail
 *   open and use every node.
 * Nodes labelled `node.kubernetes.io/exclude-from-external-load-balancers`
 * (any value; kubeadm labels its control-plane nodes so) are never backends:
 * the cloud provider's service controller leaves them out of every load
 * balancer it programs; with no other node an address has no backends.
 * externalIPs are the operator's: routed to the first node, as a static route
 * would.
 *
 * When the cluster is built the load balancer has converged (the backends
 * above). While it runs, it keeps probing (CloudLoadBalancer): a node leaves
 * or rejoins an address's backends only after its health checks say so.
 */
export function routeExternalAddresses(gateway: NetNs, spec: ClusterInput, services: readonly ServiceInput[], slices: readonly EndpointSliceInput[] = [], probe?: HealthProbe): CloudLoadBalancer | undefined {
  const first = spec.nodes[0];
  const eth0 = gateway.device('eth0');
  if (!first || !eth0) return undefined;
  // A cloud load balancer spreads by connection (5-tuple), not by client address.
  gateway.sysctl.fibMultipathHashPolicy = 1;
  const lb = new CloudLoadBalancer(gateway, spec, services, slices, probe);
  lb.routeAll();
  return lb;
}

/**
 * How a cloud load balancer probes nodes: GCE's L4 health check as the
 * Kubernetes GCE provider creates it (cloud-provider-gcp / ingress-gce L4:
 * gceHcCheckIntervalSeconds 8, gceHcTimeoutSeconds 1, gceHcHealthyThreshold 1,
 * gceHcUnhealthyThreshold 3, so 24 s of failures before traffic is steered
 * away). AWS's classic and NLB target defaults are slower (10 s interval).
 */
export const LB_HEALTH_CHECK = { intervalNs: 8e9, timeoutNs: 1e9, healthyThreshold: 1, unhealthyThreshold: 3 } as const;

/** What one probe of a node gets: an HTTP 200, an HTTP 503, a refused connection (nothing listens on the port yet), or nothing before the timeout (node down). */
export type ProbeResult = 200 | 503 | 'refused' | 'timeout';

/** The probe's answer for one Service on one node now (kube-proxy's health server, or the node's silence). */
export type HealthProbe = (svc: ServiceInput, node: string) => ProbeResult;

/** A load-balancer Service's view of one node: in its backends or not, and the probe outcomes it is acting on. */
interface NodeHealth {
  healthy: boolean;
  /** It has been in the backends before (a node of a load balancer created while the cluster runs has not). */
  joined: boolean;
  /** What a probe of the node gets now. */
  result: ProbeResult;
  /**
   * The current run of passing (or failing) answers: when it started, then
   * each change of how probes fail within it (an HTTP 503, then no answer
   * once the node is down): failures of either kind count in one row.
   */
  streak: { result: ProbeResult; since: number }[];
  /** The balancer's next decision about the node: the probe that completes the threshold, and a token (bumped to void it). */
  pending: { decidingProbe: number; token: number } | undefined;
  token: number;
}

/**
 * The cloud load balancer while the cluster runs. Probes go to every node at
 * fixed times (every `intervalNs` from t = 0, all nodes in step): for
 * externalTrafficPolicy Local to the Service's healthCheckNodePort
 * (kube-proxy answers 200 with a ready local endpoint, 503 without), for
 * Cluster to kube-proxy's own /healthz on 10256 (it answers while the node is
 * up). A node down answers nothing: the probe fails after `timeoutNs`. A node
 * leaves an address's backends after `unhealthyThreshold` failed probes in a
 * row and comes back after `healthyThreshold` passing ones; with no healthy
 * node the balancer fails open (every node). The probe answers only change
 * when kube-proxy re-syncs a node or a node goes down or up, so podwalk
 * computes, at each such change, when the balancer will act, rather than
 * tracing every probe; the change list shows each decision.
 */
export class CloudLoadBalancer {
  private readonly health = new Map<string, Map<string, NodeHealth>>();
  /** Every Service the cloud's service controller knows, by `ns/name`: load balancers and externalIPs. */
  private readonly services = new Map<string, ServiceInput>();

  constructor(
    private readonly gateway: NetNs,
    private readonly spec: ClusterInput,
    services: readonly ServiceInput[],
    slices: readonly EndpointSliceInput[],
    private readonly probe: HealthProbe | undefined,
  ) {
    for (const svc of services) this.services.set(serviceKey(svc), svc);
    for (const svc of this.lbServices()) {
      const m = new Map<string, NodeHealth>();
      for (const n of spec.nodes) {
        // Converged: in the backends exactly when the probes pass (fail open aside).
        const result = svc.externalTrafficPolicy !== 'Local' || hasReadyLocal(svc, slices, n.name) ? 200 : 503;
        m.set(n.name, { healthy: result === 200, joined: true, result, streak: [{ result, since: 0 }], pending: undefined, token: 0 });
      }
      this.health.set(serviceKey(svc), m);
    }
  }

  /** The Services with a load-balancer address, in the order they were created. */
  private lbServices(): ServiceInput[] {
    return [...this.services.values()].filter((s) => s.loadBalancerIPs.length > 0);
  }

  addresses(): string[] {
    return [...new Set(this.lbServices().flatMap((s) => s.loadBalancerIPs))];
  }

  /** Every load-balancer address routed to its backends (the union over the Services sharing it), then the external IPs. */
  routeAll(): void {
    const done = new Set(this.addresses());
    for (const ip of done) this.route(ip);
    for (const svc of this.services.values()) {
      for (const ip of svc.externalIPs) {
        if (done.has(ip)) continue;
        done.add(ip);
        this.route(ip);
      }
    }
  }

  /**
   * A Service was created, changed or deleted while the cluster runs: the
   * cloud's service controller creates, updates or deletes its load balancer
   * (EnsureLoadBalancer / EnsureLoadBalancerDeleted), taken as immediate.
   * A new load balancer starts with no node known healthy, so it fails open
   * (every node) until each node's first passing probe; a changed one keeps
   * what it knew of each node and probes the new target (healthCheckNodePort
   * or /healthz) from now on. Its addresses (and external IPs, the
   * operator's routes) are routed or withdrawn.
   */
  serviceChanged(prev: ServiceInput | undefined, next: ServiceInput | undefined): void {
    const k = serviceKey((prev ?? next)!);
    const touched = new Set([...(prev ? [...prev.loadBalancerIPs, ...prev.externalIPs] : []), ...(next ? [...next.loadBalancerIPs, ...next.externalIPs] : [])]);
    if (next) this.services.set(k, next);
    else this.services.delete(k);
    const m = this.health.get(k);
    if (!next || next.loadBalancerIPs.length === 0) {
      for (const h of m?.values() ?? []) h.pending = undefined; // its decisions are void
      this.health.delete(k);
    } else if (m) {
      for (const n of this.spec.nodes) this.observe(next, n.name, m.get(n.name)!);
    } else {
      const fresh = new Map<string, NodeHealth>();
      this.health.set(k, fresh);
      const now = this.gateway.world.sched.now;
      for (const n of this.spec.nodes) {
        const result = this.probe?.(next, n.name) ?? 200;
        const h: NodeHealth = { healthy: false, joined: false, result, streak: [{ result, since: now }], pending: undefined, token: 0 };
        fresh.set(n.name, h);
        if (this.probe) this.plan(k, n.name, h);
        else h.healthy = result === 200;
      }
    }
    for (const ip of touched) this.route(ip);
  }

  /**
   * Something on the node changed (kube-proxy synced, the node went down or
   * up): the probes' answers may change. Probes go out at every multiple of
   * the interval; an HTTP answer counts at once, a silent node's probe when it
   * times out. The balancer acts on the probe that completes the threshold: if
   * the node's answer changes before that probe goes out (503 → no answer, or
   * back to passing), the decision moves or is void; once it is out, it
   * stands (a probe sent to a node that was down still times out).
   */
  nodeChanged(node: string): void {
    for (const svc of this.lbServices()) this.observe(svc, node, this.health.get(serviceKey(svc))!.get(node)!);
  }

  /** Probe the node for one Service now: a change of answer moves (or voids) the balancer's next decision. */
  private observe(svc: ServiceInput, node: string, h: NodeHealth): void {
    if (!this.probe) return;
    const now = this.gateway.world.sched.now;
    const result = this.probe(svc, node);
    if (result === h.result) return;
    if ((result === 200) !== (h.result === 200)) h.streak = [];
    h.result = result;
    // Two changes in one instant (a Service step, then kube-proxy's sync): no probe saw the first.
    const last = h.streak[h.streak.length - 1];
    if (last?.since === now) last.result = result;
    else h.streak.push({ result, since: now });
    if (h.pending && h.pending.decidingProbe < now) return; // in flight: it decides, then the balancer looks again
    h.pending = undefined;
    this.plan(serviceKey(svc), node, h);
  }

  /** Schedule the balancer's decision about a node whose answers disagree with its place in the backends. */
  private plan(k: string, node: string, h: NodeHealth): void {
    const passing = h.result === 200;
    if (passing === h.healthy) return;
    const sched = this.gateway.world.sched;
    const c = LB_HEALTH_CHECK;
    const n = passing ? c.healthyThreshold : c.unhealthyThreshold;
    const firstProbe = Math.ceil(h.streak[0]!.since / c.intervalNs) * c.intervalNs;
    const decidingProbe = firstProbe + (n - 1) * c.intervalNs;
    const token = ++h.token;
    const streak = h.streak;
    h.pending = { decidingProbe, token };
    sched.at(decidingProbe + (h.result === 'timeout' ? c.timeoutNs : 0), () => {
      const svc = this.services.get(k);
      if (h.pending?.token !== token || !svc) return;
      h.pending = undefined;
      h.healthy = passing;
      const seen = streak.filter((s) => s.since <= decidingProbe);
      const why = seen.map((s) => `${failure(s.result)} since ${seconds(s.since)}`).join(', then ');
      const what = passing ? `passed ${n} health check${n === 1 ? '' : 's'}` : `failed ${n} health checks in a row (${why})`;
      const port = svc.externalTrafficPolicy === 'Local' ? `healthCheckNodePort ${svc.healthCheckNodePort}` : "kube-proxy's :10256/healthz";
      const verb = !passing ? 'out of' : h.joined ? 'back in' : 'into';
      h.joined ||= passing;
      this.gateway.world.change('gateway', 'lb-health', `cloud load balancer: ${node} ${what} on ${port} (probed every ${c.intervalNs / 1e9} s): ${verb} ${svc.namespace}/${svc.name}'s backends (${svc.loadBalancerIPs.join(', ')})`);
      for (const ip of svc.loadBalancerIPs) this.route(ip);
      this.plan(k, node, h); // answers that changed after the deciding probe went out
    });
  }

  /**
   * The route for one address: for a load-balancer address a nexthop per
   * healthy node (node order), every node when none is healthy; for an
   * external IP the operator's static route to the first node; none once no
   * Service has it.
   */
  private route(ip: string): void {
    const eth0 = this.gateway.device('eth0')!;
    const all = this.spec.nodes;
    const eligible = all.filter((n) => n.labels?.[EXCLUDE_FROM_LB_LABEL] === undefined);
    const chosen = new Set<string>();
    let external = false;
    for (const svc of this.services.values()) {
      external ||= svc.externalIPs.includes(ip);
      if (!svc.loadBalancerIPs.includes(ip)) continue;
      const m = this.health.get(serviceKey(svc))!;
      const healthy = eligible.filter((n) => m.get(n.name)!.healthy);
      for (const n of healthy.length > 0 ? healthy : eligible) chosen.add(n.name);
    }
    const vias = chosen.size > 0 ? all.filter((n) => chosen.has(n.name)).map((n) => n.ip) : external ? [all[0]!.ip] : [];
    const dst = parseCidr(`${ip}/32`)!;
    this.gateway.fib.delete((r) => r.table === 'main' && r.dst.network === dst.network && r.dst.prefix === 32);
    if (vias.length === 1) this.gateway.addRoute(`${ip}/32`, { via: vias[0]!, dev: eth0 });
    else if (vias.length > 1) this.gateway.addMultipathRoute(`${ip}/32`, vias.map((via) => ({ via, dev: eth0 })));
  }
}

/** What the node's health check would answer 200 for (kube-proxy/health-server.ts: only slices with a port file endpoints). */
function hasReadyLocal(svc: ServiceInput, slices: readonly EndpointSliceInput[], node: string): boolean {
  return slices.some((s) => s.namespace === svc.namespace && s.serviceName === svc.name && s.ports.some((p) => p.port !== 0) && s.endpoints.some((e) => e.ready && e.nodeName === node));
}

/** How a probe failed, as the balancer's message says it. */
function failure(r: ProbeResult): string {
  return r === 'timeout' ? `no answer within ${LB_HEALTH_CHECK.timeoutNs / 1e9} s` : r === 'refused' ? 'connection refused' : 'HTTP 503';
}

function seconds(ns: number): string {
  return `${Number((ns / 1e9).toFixed(6))} s`;
}

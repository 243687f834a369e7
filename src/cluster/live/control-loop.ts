import type { NetNs } from '../../kernel/netns.js';
import { formatIpv4, parseCidr, cidrHost, cidrBroadcast, parseIpv4 } from '../../wire/addr.js';
import type { Cluster } from '../build.js';
import { localServiceIps, policyPod } from '../netpol/world.js';
import { formatSelector, selects } from '../netpol/selector.js';
import type { LabelSelector } from '../netpol/types.js';
import { deriveEndpointSlices, nodeZones, type ControllerPod } from '../control-plane/endpointslice-controller.js';
import { generatedSuffix, podTemplateHash } from '../control-plane/generated-names.js';
import { staleUdpFilters, type UdpCleanup } from '../kube-proxy/conntrack-cleanup.js';
import { evictAfterSeconds, UNREACHABLE_TAINT } from '../scheduler/taints.js';
import type { Toleration } from '../scheduler/types.js';
import { kubeProxyMinSyncNs, type EndpointSliceInput, type PodInput, type ServiceInput } from '../spec.js';
import { deleteConntrack } from './conntrack-ops.js';
import { listen, startPodNetwork, stopPodNetwork } from './pod-network.js';
import { podsToDelete } from './pods-to-delete.js';
import { formatCountOrPercent, resolveFenceposts, type CountOrPercent } from './rollout-fenceposts.js';
import { describeZone, zoneQps, zoneState, type ZoneState } from './zone-disruption.js';

/** A pod as the controllers see it: the API object's fields that matter to networking. */
export interface LivePod extends PodInput, ControllerPod {
  labels: Record<string, string>;
  /** The labels its controller's template gave it, once a label step has changed `labels` (new replicas get these). */
  templateLabels?: Record<string, string>;
  owner?: PodController;
  /** The controller that released the pod (its labels stopped matching): it may adopt it again. */
  releasedBy?: PodController;
  /** `spec.terminationGracePeriodSeconds` (absent: the API's default, 30). */
  terminationGracePeriodSeconds?: number;
  /** `spec.tolerations`: the taint eviction controller reads their NoExecute ones. */
  tolerations?: Toleration[];
  /** When the pod was created and last became Ready (ns; 0 for the scenario's pods): the ReplicaSet's scale-down ranking reads them. */
  createdAt?: number;
  readyAt?: number;
  /** Container restarts so far (`restart` steps): the scale-down ranking reads them. */
  restarts?: number;
}

/** A pod a controller would make, before the scheduler and IPAM give it a node and an address. */
export type LivePodTemplate = Omit<LivePod, 'nodeName' | 'ip'>;

/** The controller a pod's ownerReference names, and the selector it claims pods with. */
export interface PodController {
  kind: 'Deployment' | 'ReplicaSet' | 'StatefulSet' | 'DaemonSet';
  name: string;
  selector?: LabelSelector;
}

/** kube-proxy's behaviour on one node, as `steps:` can change it. */
export interface ProxyBehaviour {
  /** Time from an EndpointSlice change to this node's kube-proxy asking for a sync (watch latency, a busy node); minSyncPeriod may hold it longer. */
  syncDelayNs: number;
  /** Delete stale UDP conntrack entries after a sync, as kube-proxy does (false = a kube-proxy that misses it). */
  conntrackCleanup: boolean;
}

/**
 * The controllers' work queue retries a failed sync after 5 ms, doubling up to
 * 1000 s (client-go's DefaultControllerRateLimiter, per item).
 */
const RETRY_FIRST_NS = 5e6;
const RETRY_MAX_NS = 1000e9;

/** How long after creation a new pod's Ready condition turns true (container start + readiness probe), by default. */
export const DEFAULT_POD_READY_NS = 1e9;
/** The API's default `terminationGracePeriodSeconds`. */
export const DEFAULT_TERMINATION_GRACE_S = 30;
/** kubelet's minimumGracePeriodInSeconds: the least time between SIGTERM and SIGKILL, whatever the preStop hook took. */
const MIN_KILL_GRACE_S = 2;
/** kubelet's PLEG relist period: the time from the containers' exit to the pod's sandbox (and network) being torn down. */
export const SANDBOX_TEARDOWN_NS = 1e9;

/**
 * The controllers that react while traffic flows, each as its upstream
 * counterpart: the ReplicaSet controller (replacements, scale), the
 * Deployment controller (rolling updates), the EndpointSlice controller
 * (ready / serving / terminating conditions, deleted pods removed), kubelet
 * (CNI ADD/DEL, readiness, container exit), and kube-proxy on every node
 * (re-sync after its delay, then the stale UDP conntrack cleanup).
 */
export class ControlLoop {
  readonly pods: LivePod[];
  /** The Services the API holds now (steps may create, replace or delete them). */
  private readonly services: ServiceInput[];
  /** Whether a step changed the Services (then kube-proxy syncs read this list, not the build's). */
  private servicesEdited = false;
  private slices: EndpointSliceInput[];
  private readonly behaviour = new Map<string, ProxyBehaviour>();
  /** Per node: its kube-proxy's sync runner (what it programmed last, when, a queued sync). */
  private readonly runner = new Map<string, SyncRunner>();
  /** minSyncPeriod (cluster.kubeProxy, else the mode's default). */
  private readonly minSyncNs: number;
  private gen = 0;
  /** host-local IPAM's last reserved address, per node (allocation continues after it). */
  private readonly lastIp = new Map<string, number>();
  /** Revision per Deployment (`<ns>/<name>`), for new pod-template-hashes. */
  private readonly revisions = new Map<string, number>();
  /**
   * StatefulSet pods it cannot create because an orphan holds the name (`<ns>/<pod>`): the pod it would
   * make, and when its first create failed (its sync is retried with backoff from then on).
   */
  private readonly nameTaken = new Map<string, { template: LivePod; failedAt: number }>();

  constructor(
    private readonly cluster: Cluster,
    pods: readonly LivePod[],
    services: readonly ServiceInput[],
    /** Slices written by hand (not derived from a selector): they stay as they are. */
    private readonly handSlices: readonly EndpointSliceInput[],
    /** The nodes kube-apiserver runs on (its static pods): every node agent watches the API through one of them. */
    private readonly apiServerNodes: readonly string[] = [],
    /** The templates of Deployments (and ReplicaSets) at 0 replicas from the start: scaled up, they make pods from these. */
    templates: readonly LivePodTemplate[] = [],
  ) {
    this.pods = pods.map((p) => ({ ...p }));
    for (const t of templates) if (t.owner) this.scaledToZero.set(`${t.namespace}/${t.owner.name}`, t);
    this.services = [...services];
    this.slices = [...cluster.controlPlane.endpointSlices];
    this.minSyncNs = kubeProxyMinSyncNs(cluster.spec.proxyMode, cluster.spec.kubeProxy);
    for (const n of cluster.spec.nodes) {
      this.behaviour.set(n.name, { syncDelayNs: 0, conntrackCleanup: true });
      // kube-proxy has been running long before the run starts: its last sync is long past.
      this.runner.set(n.name, { syncedGen: 0, lastSyncNs: -Infinity, pendingAt: undefined });
      const ips = this.pods.filter((p) => p.nodeName === n.name && !p.hostNetwork).map((p) => parseIpv4(p.ip)!);
      this.lastIp.set(n.name, ips.length > 0 ? Math.max(...ips) : cidrHost(parseCidr(n.podCIDR)!, 1));
    }
  }

  private get now(): number {
    return this.cluster.sched.now;
  }

  private change(at: string, kind: Parameters<Cluster['world']['change']>[1], detail: string): void {
    this.cluster.world.change(at, kind, detail);
  }

  find(namespace: string, name: string): LivePod | undefined {
    return this.pods.find((p) => p.namespace === namespace && p.name === name);
  }

  proxyBehaviour(node: string): ProxyBehaviour {
    return this.behaviour.get(node)!;
  }

  setProxyBehaviour(node: string, b: Partial<ProxyBehaviour>): void {
    const cur = this.behaviour.get(node)!;
    Object.assign(cur, b);
    const parts = [`syncDelay ${cur.syncDelayNs / 1e6}ms`, `conntrack cleanup ${cur.conntrackCleanup ? 'on' : 'off'}`];
    this.change(node, 'proxy-config', `kube-proxy on ${node}: ${parts.join(', ')}`);
  }

  // --- kubelet / ReplicaSet / Deployment ---------------------------------------------------------

  /** A new pod is scheduled (or bound to `onNode`, as a DaemonSet binds its pods) and started; Ready after `readyAfterNs`. */
  createPod(template: LivePodTemplate, name: string, labels: Record<string, string>, readyAfterNs = DEFAULT_POD_READY_NS, onNode?: string): LivePod | undefined {
    const nodeName = onNode ?? this.schedule(template);
    const ip = template.hostNetwork ? this.cluster.spec.nodes.find((n) => n.name === nodeName)!.ip : nodeName === undefined ? undefined : this.allocateIp(nodeName);
    if (nodeName === undefined || ip === undefined) {
      // Every pod address of the node(s) is taken: the pod is not started (Pending, or its sandbox fails, host-local
      // IPAM: "no IP addresses available in range set"). Not retried here when addresses free up later.
      const where = onNode ? `node ${onNode} has` : `no node has`;
      this.change('cluster', 'pod-pending', `pod ${template.namespace}/${name} not started: ${where} a free pod address left in its podCIDR`);
      return undefined;
    }
    // A new pod: the template's labels are its own (a relabelled template pod's `templateLabels` does not carry over).
    const { templateLabels: _relabelled, releasedBy: _released, readyAt: _readyAt, ...spec } = template;
    const pod: LivePod = { ...spec, name, labels, nodeName, ip, ready: false, terminating: false, createdAt: this.now, ports: template.ports.map((p) => ({ ...p })) };
    this.pods.push(pod);
    const ns = startPodNetwork(this.cluster, pod);
    this.change(ns.name, 'pod-created', `pod ${pod.namespace}/${pod.name} on ${nodeName}, IP ${ip} (CNI ADD)`);
    // The policy agent sees the pod with its IP and isolates it before it serves anything (as the upstream e2e suite expects).
    this.cluster.policyAgent?.podAdded(policyPod(pod, this.cluster.nodes.get(nodeName)));
    if (this.isDnsPod(pod)) this.cluster.dns.serve(ns);
    this.endpointsChanged();
    this.cluster.sched.after(readyAfterNs, () => {
      if (pod.terminating || !this.pods.includes(pod)) return;
      pod.ready = true;
      pod.readyAt = this.now;
      this.change(ns.name, 'pod-ready', `pod ${pod.namespace}/${pod.name} is Ready`);
      this.endpointsChanged();
    });
    return pod;
  }

  /**
   * `kubectl delete pod`: the pod is terminating at once (its endpoint turns
   * not ready, still serving); its application keeps serving for `preStopNs`
   * (a preStop sleep), then exits on SIGTERM; the sandbox goes a moment later
   * (CNI DEL) and the pod object with it. kubelet's killContainer gives the
   * preStop hook at most the grace period (`terminationGracePeriodSeconds`,
   * default 30 s): a longer sleep is cut off and SIGTERM comes at the grace
   * period; SIGKILL would follow what is left of it, at least 2 s. A Deployment's ReplicaSet starts a
   * replacement right away (terminating pods do not count as replicas); a
   * StatefulSet and a DaemonSet wait until the pod is gone (the StatefulSet
   * makes one of the same name, the DaemonSet one on the same node). An
   * orphan a StatefulSet was waiting on frees its name.
   */
  deletePod(pod: LivePod, preStopNs: number, replace: boolean, readyAfterNs = DEFAULT_POD_READY_NS, by = ''): void {
    if (pod.terminating) return;
    pod.terminating = true;
    const where = `${pod.namespace}/${pod.name}`;
    const term = terminationTimes(pod.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_S, preStopNs);
    // kubelet learns of the deletion through the API: cut off from it, the pod's containers run on (Terminating) until it is back.
    const kubeletAway = !this.reachesApi(pod.nodeName);
    const away = kubeletAway ? `; kubelet on ${pod.nodeName} cannot see it until the node reaches the API server again` : '';
    this.change(where, 'pod-terminating', `pod ${where} terminating (${by}deletionTimestamp set, ${term.describe}${away})`);
    this.endpointsChanged();
    const owner = pod.owner;
    if (replace && owner && isReplicaSetPod(owner)) this.createPod(pod, this.replacementName(pod), templateLabels(pod), readyAfterNs);
    const kill = (): void => this.killPod(pod, term.sigtermNs, replace, readyAfterNs);
    if (kubeletAway) this.kubeletBacklog.set(pod, kill);
    else kill();
  }

  /** Deleted pods whose kubelet has not seen the deletion yet (cut off from the API): what it does once it does. */
  private readonly kubeletBacklog = new Map<LivePod, () => void>();

  /** kubelet kills a deleted pod's containers (SIGTERM after `sigtermNs`), then the sandbox, then the pod object goes. */
  private killPod(pod: LivePod, sigtermNs: number, replace: boolean, readyAfterNs: number): void {
    const where = `${pod.namespace}/${pod.name}`;
    const owner = pod.owner;
    this.cluster.sched.after(sigtermNs, () => {
      const ns = this.cluster.pods.get(where);
      ns?.sockets.closeApplications();
      // An ingress controller in the pod exited with it: its informers and timers stop.
      for (const w of this.cluster.ingress) if (w.pod === where) w.stop();
      pod.ready = false;
      this.change(where, 'pod-terminating', `pod ${where}: containers exited (listening sockets closed)`);
      this.endpointsChanged();
      this.cluster.sched.after(SANDBOX_TEARDOWN_NS, () => {
        stopPodNetwork(this.cluster, pod);
        this.pods.splice(this.pods.indexOf(pod), 1);
        this.change(where, 'pod-deleted', `pod ${where} deleted, IP ${pod.ip} released (CNI DEL)`);
        this.cluster.policyAgent?.podDeleted(pod.namespace, pod.name);
        this.endpointsChanged();
        // The pod's deletion wakes its own controller at once (its informer sees its controllerRef).
        if (replace && owner?.kind === 'StatefulSet') this.createPod(pod, pod.name, templateLabels(pod), readyAfterNs);
        else if (replace && owner?.kind === 'DaemonSet') this.createPod(pod, this.replacementName(pod), templateLabels(pod), readyAfterNs, pod.nodeName);
        this.nameFreed(where);
      });
    });
  }

  /**
   * An orphan holding a StatefulSet pod's name is gone. Its deletion does not
   * wake the StatefulSet (no controller cares about an orphan's deletion), so
   * the pod is made at the sync's next retry: the failed creates were retried
   * after 5 ms, 10 ms, 20 ms, ... from the first failure.
   */
  private nameFreed(where: string): void {
    const gap = this.nameTaken.get(where);
    if (!gap) return;
    this.nameTaken.delete(where);
    let at = gap.failedAt;
    for (let delay = RETRY_FIRST_NS; at <= this.now; delay = Math.min(2 * delay, RETRY_MAX_NS)) at += delay;
    const o = gap.template.owner!;
    this.cluster.sched.at(at, () => {
      if (this.find(gap.template.namespace, gap.template.name)) return;
      this.change('cluster', 'scale', `statefulset ${gap.template.namespace}/${o.name}: sync retried, creating pod ${where} (its name is free)`);
      this.createPod(gap.template, gap.template.name, templateLabels(gap.template));
    });
  }

  /**
   * `kubectl label pod`: the EndpointSlice controller selects again (the pod may join or leave a Service's
   * endpoints; kube-proxy follows after its delay), and so does the pod's ReplicaSet (ClaimPods): a pod its
   * selector no longer matches is released (its ownerReference removed: it runs on, owned by nobody) and
   * a replacement is created from the template; a released pod that matches again is adopted back, and the
   * ReplicaSet, one replica over, deletes the pod ranked first for deletion (getPodsToDelete).
   */
  relabelPod(namespace: string, name: string, relabel: (labels: Record<string, string>) => Record<string, string>): void {
    const pod = this.find(namespace, name);
    if (!pod) return;
    pod.templateLabels ??= pod.labels;
    pod.labels = relabel(pod.labels);
    this.endpointsChanged();
    if (!pod.terminating) this.claim(pod);
  }

  /**
   * The owning controller's ClaimPods for one relabelled pod (ReplicaSet, StatefulSet and DaemonSet alike):
   * a pod the selector no longer matches is released, and one released that matches again is adopted back.
   * What follows is each controller's own: the ReplicaSet creates a replacement at once; the StatefulSet tries
   * to create the pod of that ordinal, under the same name, which the API server refuses while the orphan
   * holds it (AlreadyExists: the sync fails and is retried with backoff); the DaemonSet finds no daemon pod on
   * that node and creates one there.
   */
  private claim(pod: LivePod): void {
    const o = pod.owner;
    const where = `${pod.namespace}/${pod.name}`;
    if (o?.selector && !selects(o.selector, pod.labels)) {
      const before = this.activePods(pod.namespace, o.name).length;
      delete pod.owner;
      pod.releasedBy = o;
      const released = `released pod ${where} (its labels no longer match the selector ${formatSelector(o.selector)}): ${before - 1} of ${before}`;
      if (isReplicaSetPod(o)) {
        this.change('cluster', 'scale', `${replicaSetName(o, pod)} ${released} replicas, creating 1`);
        this.createPod({ ...pod, owner: o }, this.replacementName(pod), templateLabels(pod));
      } else if (o.kind === 'StatefulSet') {
        this.change('cluster', 'scale', `statefulset ${pod.namespace}/${o.name} ${released} replicas; creating pod ${where} fails: pods "${pod.name}" already exists (the sync is retried with backoff until the name is free)`);
        this.nameTaken.set(where, { template: { ...pod, owner: o }, failedAt: this.now });
      } else {
        this.change('cluster', 'scale', `daemonset ${pod.namespace}/${o.name} ${released} daemon pods; node ${pod.nodeName} has none, creating 1 there`);
        this.createPod({ ...pod, owner: o }, this.replacementName(pod), templateLabels(pod), DEFAULT_POD_READY_NS, pod.nodeName);
      }
      return;
    }
    const back = pod.releasedBy;
    if (!o && back?.selector && selects(back.selector, pod.labels) && !isReplicaSetPod(back)) {
      pod.owner = back;
      delete pod.releasedBy;
      const adopted = `adopted pod ${where} (its labels match the selector again)`;
      if (back.kind === 'StatefulSet') {
        this.nameTaken.delete(where);
        this.change('cluster', 'scale', `statefulset ${pod.namespace}/${back.name} ${adopted}: ${this.activePods(pod.namespace, back.name).length} replicas`);
        return;
      }
      // Two daemon pods on the node: all but the oldest go (podsShouldBeOnNode, without surge).
      const onNode = this.activePods(pod.namespace, back.name).filter((p) => p.nodeName === pod.nodeName);
      const extra = [...onNode].sort((a, b) => (a.createdAt ?? 0) - (b.createdAt ?? 0)).slice(1);
      this.change('cluster', 'scale', `daemonset ${pod.namespace}/${back.name} ${adopted}: ${onNode.length} daemon pods on node ${pod.nodeName}, deleting ${extra.map((p) => `${p.namespace}/${p.name}`).join(', ') || 'none'}`);
      for (const p of extra) this.deletePod(p, 0, false);
      return;
    }
    if (!o && back?.selector && selects(back.selector, pod.labels)) {
      const desired = this.activePods(pod.namespace, back.name).length;
      pod.owner = back;
      delete pod.releasedBy;
      const active = this.activePods(pod.namespace, back.name);
      const victim = this.toDelete(active);
      this.change('cluster', 'scale', `${replicaSetName(back, pod)} adopted pod ${where} (its labels match the selector again): ${active.length} of ${desired} replicas, deleting ${victim.namespace}/${victim.name}`);
      this.deletePod(victim, 0, false);
    }
  }

  /** getPodsToDelete's first pod of `pods` (pods-to-delete.ts), co-location counted over the same pods. */
  private toDelete(pods: readonly LivePod[]): LivePod {
    return podsToDelete(pods, pods, 1, this.now)[0]!;
  }

  /** Every pod of a Deployment's ReplicaSets (terminating ones too: the ranking leaves them out). */
  private relatedPods(namespace: string, owner: string): LivePod[] {
    return this.pods.filter((p) => p.namespace === namespace && p.owner?.name === owner);
  }

  /**
   * A container restart (the process exits and kubelet starts it again): same pod, same IP. The exit
   * closes the process's sockets at once (a SYN meets a RST, open connections get its FIN), while the
   * API still says Ready; kubelet notices at its next PLEG relist (1 s: SANDBOX_TEARDOWN_NS) and syncs
   * the pod: its status Ready=False (the container terminated: the EndpointSlice controller marks the
   * endpoint not ready, kube-proxy drops it) and the container started again in the same sync (a first
   * crash: no CrashLoopBackOff delay), listening; Ready again `readyAfterNs` later (container start and
   * readiness, as a new pod's). A pod deleted meanwhile is not started again.
   */
  restartPod(pod: LivePod, readyAfterNs = DEFAULT_POD_READY_NS): void {
    const where = `${pod.namespace}/${pod.name}`;
    const ns = this.cluster.pods.get(where);
    if (!ns) return;
    ns.sockets.closeApplications();
    this.change(where, 'app', `pod ${where}: container exited (its listening sockets closed, its connections get its FIN; the pod is Ready until kubelet's next relist)`);
    const gone = (): boolean => pod.terminating || !this.pods.includes(pod);
    this.cluster.sched.after(SANDBOX_TEARDOWN_NS, () => {
      if (gone()) return;
      pod.restarts = (pod.restarts ?? 0) + 1;
      listen(ns, pod);
      if (this.isDnsPod(pod)) this.cluster.dns.serve(ns);
      // A kubelet cut off from the API restarts the container all the same, but the API hears nothing of it.
      const reported = this.reachesApi(pod.nodeName);
      this.change(where, 'pod-created', `pod ${where}: container restarted (restart ${pod.restarts}; same IP ${pod.ip}${reported ? '; not Ready until it is up' : ''})`);
      if (!reported) return;
      const wasReady = pod.ready;
      pod.ready = false;
      if (wasReady) this.endpointsChanged();
      this.cluster.sched.after(readyAfterNs, () => {
        if (gone() || pod.ready || !this.reachesApi(pod.nodeName)) return;
        pod.ready = true;
        pod.readyAt = this.now;
        this.change(where, 'pod-ready', `pod ${where} is Ready`);
        this.endpointsChanged();
      });
    });
  }

  /** The template of a Deployment at 0 replicas (a pod it had, or its manifest's template), by namespace/name. */
  private readonly scaledToZero = new Map<string, LivePodTemplate>();

  /** The Deployment's (or ReplicaSet's) pods that are not terminating, oldest first. */
  activePods(namespace: string, owner: string): LivePod[] {
    return this.pods.filter((p) => p.namespace === namespace && p.owner?.name === owner && !p.terminating);
  }

  /**
   * `kubectl scale --replicas=N`: new pods named from the next replica indexes; scaling down, the
   * ReplicaSet deletes the pods getPodsToDelete ranks first (pods-to-delete.ts: not Ready ones, then
   * those sharing their node with more of the Deployment's pods, then the ones Ready for less time ...).
   */
  scale(namespace: string, owner: string, replicas: number, readyAfterNs = DEFAULT_POD_READY_NS): void {
    const active = this.activePods(namespace, owner);
    this.change('cluster', 'scale', `kubectl scale deployment ${namespace}/${owner} --replicas=${replicas} (from ${active.length})`);
    // The ReplicaSet keeps its pod template at 0 replicas: scaled up again, it makes pods from it.
    const key = `${namespace}/${owner}`;
    const t = active[0] ?? this.scaledToZero.get(key);
    if (t === undefined) return;
    if (replicas === 0) this.scaledToZero.set(key, t);
    for (let i = active.length; i < replicas; i++) {
      if (this.createPod(t, this.nextName(t), templateLabels(t), readyAfterNs) !== undefined) continue;
      // The rest would meet the same full podCIDRs: said once.
      if (replicas - i > 1) this.change('cluster', 'pod-pending', `${replicas - i - 1} more pod(s) of deployment ${key} not started either`);
      break;
    }
    for (const p of podsToDelete(active, this.relatedPods(namespace, owner), active.length - replicas, this.now)) this.deletePod(p, 0, false);
  }

  /**
   * A rolling update (`kubectl rollout restart`): a new ReplicaSet (new
   * pod-template-hash) grows by maxSurge while the old one shrinks, never
   * leaving fewer than replicas − maxUnavailable ready pods; each old pod is
   * deleted with `preStopNs` of draining. Steps are driven by readiness, as
   * the Deployment controller's are.
   */
  rollout(namespace: string, owner: string, o: { maxSurge: CountOrPercent; maxUnavailable: CountOrPercent; preStopNs: number; readyAfterNs: number }): void {
    const key = `${namespace}/${owner}`;
    const rev = (this.revisions.get(key) ?? 1) + 1;
    this.revisions.set(key, rev);
    const hash = podTemplateHash(`${key}/revision-${rev}`);
    const old = this.activePods(namespace, owner);
    const replicas = old.length;
    if (replicas === 0) return;
    // Resolved now, against the replicas the Deployment has (a scale step may have changed them).
    const { maxSurge, maxUnavailable } = resolveFenceposts(o.maxSurge, o.maxUnavailable, replicas);
    const given = `${formatCountOrPercent(o.maxSurge)} / ${formatCountOrPercent(o.maxUnavailable)} of ${replicas} replicas`;
    // The new ReplicaSet's pods: its pod-template-hash in their labels and in the selector it claims them by.
    const sel = old[0]!.owner?.selector;
    const template: LivePod = sel ? { ...old[0]!, owner: { ...old[0]!.owner!, selector: { ...sel, matchLabels: { ...sel.matchLabels, 'pod-template-hash': hash } } } } : old[0]!;
    const labels = { ...templateLabels(template), 'pod-template-hash': hash };
    this.change('cluster', 'rollout', `deployment ${key}: rolling update to ReplicaSet ${owner}-${hash} (maxSurge ${maxSurge}, maxUnavailable ${maxUnavailable}: ${given})`);
    const fresh: LivePod[] = [];
    const remaining = [...old];
    const minAvailable = replicas - maxUnavailable;
    const step = (): void => {
      for (let progress = true; progress; ) {
        progress = false;
        // Surge: new pods while old + new stay within replicas + maxSurge.
        while (fresh.length < replicas && remaining.length + fresh.length < replicas + maxSurge) {
          const p = this.createPod(template, `${owner}-${hash}-${generatedSuffix(`${key}/${rev}/${fresh.length}`)}`, labels, o.readyAfterNs);
          // No address left for it: the rollout waits where it is (the Deployment would report no progress).
          if (p === undefined) break;
          fresh.push(p);
          this.cluster.sched.after(o.readyAfterNs, step); // the controller looks again once it is ready
          progress = true;
        }
        // Old pods go while ready pods stay at replicas − maxUnavailable or more; the old ReplicaSet picks
        // them as any scale-down does (getPodsToDelete, ranked once over both ReplicaSets' pods).
        let ready = fresh.filter((p) => p.ready).length + remaining.filter((p) => p.ready).length;
        const order = podsToDelete(remaining, [...remaining, ...fresh], remaining.length, this.now);
        for (const victim of order) {
          const after = ready - (victim.ready ? 1 : 0);
          if (after < minAvailable) break;
          remaining.splice(remaining.indexOf(victim), 1);
          ready = after;
          this.deletePod(victim, o.preStopNs, false);
          progress = true;
        }
      }
    };
    step();
  }

  // --- nodes ---------------------------------------------------------------------------------------

  /** Nodes that are down (the scheduler avoids them). */
  readonly down = new Set<string>();
  /** Nodes whose agents cannot reach an API server now, and since when. */
  private readonly cutOff = new Map<string, number>();
  /** NotReady nodes (after the grace period), with the unreachable:NoSchedule taint: the scheduler avoids them. */
  private readonly tainted = new Set<string>();
  /** NotReady nodes waiting for the unreachable:NoExecute taint, per zone, in order (the zone's rate limiter lets them through). */
  private readonly taintQueue = new Map<string, string[]>();
  /** Nodes with the unreachable:NoExecute taint, and when it was added (their pods' tolerations run from then). */
  private readonly noExecute = new Map<string, number>();
  /** Per zone: its state, when its rate limiter has its next token (burst 1), and the pass scheduled for then. */
  private readonly zones = new Map<string, { state: ZoneState; nextTokenNs: number; passAt: number | undefined }>();
  /** Every zone fully disrupted: no tainting, every NoExecute taint taken off (the controller's master disruption mode). */
  private allDisrupted = false;

  /**
   * Whether the node's agents (kubelet, kube-proxy, the policy agent) reach an API server: one on the
   * node itself (through its own address, whatever its link), or one on another node while both are up.
   * Without a known API server node, any node that is up does.
   */
  reachesApi(node: string): boolean {
    if (this.apiServerNodes.length === 0) return !this.down.has(node);
    return this.apiServerNodes.some((a) => a === node || (!this.down.has(a) && !this.down.has(node)));
  }

  /**
   * A node went down or came back: the nodes that lost the API server are marked NotReady by the node
   * lifecycle controller once they have been silent for `graceNs` (node-monitor-grace-period; it runs
   * with the API server, so a control-plane node that goes down keeps its own pods Ready and marks the
   * others NotReady); a node that reaches it again has its pods Ready again, and its agents relist and
   * sync: kube-proxy programs what the API holds now, the policy agent likewise.
   */
  apiReachabilityChanged(graceNs: number): void {
    for (const n of this.cluster.spec.nodes) {
      const name = n.name;
      const reaches = this.reachesApi(name);
      const since = this.cutOff.get(name);
      if (!reaches && since === undefined) {
        const at = this.now;
        this.cutOff.set(name, at);
        this.cluster.policyAgent?.setReachable(name, false);
        this.cluster.sched.after(graceNs, () => {
          if (this.cutOff.get(name) === at) this.markNodePodsNotReady(name);
        });
      } else if (reaches && since !== undefined) {
        this.cutOff.delete(name);
        this.tainted.delete(name);
        // markNodeAsReachable: the taints go, and the node leaves its zone's queue; the zones are looked at again.
        this.noExecute.delete(name);
        const zone = this.zoneOf(name);
        const q = this.taintQueue.get(zone);
        if (q?.includes(name)) q.splice(q.indexOf(name), 1);
        this.evaluateZones();
        for (const z of this.taintQueue.keys()) this.taintPass(z);
        this.cluster.policyAgent?.setReachable(name, true);
        this.markNodePodsReady(name);
        // kubelet sees the deletions it missed and kills those pods.
        for (const [pod, kill] of [...this.kubeletBacklog]) {
          if (pod.nodeName !== name) continue;
          this.kubeletBacklog.delete(pod);
          kill();
        }
        this.cluster.sched.after(this.behaviour.get(name)!.syncDelayNs, () => this.requestSync(name));
      }
    }
  }

  /**
   * The node lifecycle controller, once the node has been silent for node-monitor-grace-period: its
   * pods become NotReady and the node gets the taint node.kubernetes.io/unreachable:NoExecute. The
   * taint eviction controller then deletes each pod when its toleration of the taint runs out (300 s
   * by default, DefaultTolerationSeconds; never for a DaemonSet's pods), unless the node is back first;
   * the pod stays Terminating (its kubelet cannot see the deletion) while its owner replaces it.
   */
  /**
   * The node lifecycle controller finds the node NotReady: its pods are marked not ready (MarkPodsNotReady),
   * it gets the unreachable:NoSchedule taint (the scheduler avoids it), and it is queued in its zone for the
   * unreachable:NoExecute taint, which the zone's rate limiter lets through (`taintPass`): at once in a
   * healthy zone with a token left, never in a partially disrupted zone of a small cluster.
   */
  private markNodePodsNotReady(node: string): void {
    const pods = this.pods.filter((p) => p.nodeName === node && p.ready);
    for (const p of pods) p.ready = false;
    this.tainted.add(node);
    const zone = this.zoneOf(node);
    let queue = this.taintQueue.get(zone);
    if (!queue) this.taintQueue.set(zone, (queue = []));
    queue.push(node);
    this.change('cluster', 'endpoints', `node ${node} NotReady: ${pods.length} pod(s) marked not ready; node tainted ${UNREACHABLE_TAINT.key}:NoSchedule`);
    this.evaluateZones();
    this.endpointsChanged();
    // The tainting pass runs on its own (every 100 ms upstream): after every node found NotReady at this moment is counted.
    this.cluster.sched.after(0, () => this.taintPass(zone));
  }

  private zoneOf(node: string): string {
    return nodeZones(this.cluster.spec.nodes).get(node) ?? '';
  }

  private zoneCounts(zone: string): { size: number; notReady: number } {
    let size = 0;
    let notReady = 0;
    for (const n of this.cluster.spec.nodes) {
      if (this.zoneOf(n.name) !== zone) continue;
      size++;
      if (this.tainted.has(n.name)) notReady++;
    }
    return { size, notReady };
  }

  /**
   * handleDisruption: each zone's state from its NotReady nodes; a zone whose state changed gets its rate
   * (setLimiterInZone: a new limiter, its token there). Every zone fully disrupted: master disruption mode,
   * the NoExecute taints taken off every node; leaving it, the NotReady nodes are queued again.
   */
  private evaluateZones(): void {
    const names = new Set(this.cluster.spec.nodes.map((n) => this.zoneOf(n.name)));
    const states = new Map<string, ZoneState>();
    for (const zone of names) {
      const { size, notReady } = this.zoneCounts(zone);
      states.set(zone, zoneState(size - notReady, notReady));
    }
    const all = [...states.values()].every((st) => st === 'full-disruption');
    if (all && !this.allDisrupted) {
      this.allDisrupted = true;
      const untainted = [...this.noExecute.keys()];
      for (const n of untainted) this.noExecute.delete(n);
      this.change('cluster', 'endpoints', `node lifecycle controller: every zone fully disrupted: evictions stopped${untainted.length > 0 ? `, ${untainted.join(', ')} untainted` : ''}`);
    } else if (!all && this.allDisrupted) {
      this.allDisrupted = false;
      for (const n of this.cluster.spec.nodes.map((x) => x.name)) {
        const q = this.taintQueue.get(this.zoneOf(n)) ?? [];
        if (this.tainted.has(n) && !this.noExecute.has(n) && !q.includes(n)) this.taintQueue.set(this.zoneOf(n), [...q, n]);
      }
    }
    for (const [zone, st] of states) {
      const z = this.zones.get(zone);
      if (z === undefined) {
        this.zones.set(zone, { state: st, nextTokenNs: -Infinity, passAt: undefined });
        continue;
      }
      if (z.state === st) continue;
      const { size, notReady } = this.zoneCounts(zone);
      const before = zoneQps(z.state, size);
      z.state = st;
      if (zoneQps(st, size) !== before) z.nextTokenNs = -Infinity;
      const qps = zoneQps(st, size);
      const stopped = qps === 0 ? ` (a partially disrupted zone of at most 50 nodes: evictions stopped)` : '';
      if (!this.allDisrupted) this.change('cluster', 'endpoints', `node lifecycle controller: ${describeZone(zone, st, notReady, size)}: NoExecute tainting at ${qps} node/s${stopped}`);
    }
  }

  /**
   * The NoExecute tainting pass for a zone (doNoExecuteTaintingPass): queued nodes tainted while the
   * limiter has a token; a pass is scheduled for the next token if some are left.
   */
  private taintPass(zone: string): void {
    const z = this.zones.get(zone);
    const q = this.taintQueue.get(zone);
    if (!z || !q || this.allDisrupted) return;
    const qps = zoneQps(z.state, this.zoneCounts(zone).size);
    while (q.length > 0 && qps > 0 && this.now >= z.nextTokenNs) {
      const node = q.shift()!;
      z.nextTokenNs = this.now + 1e9 / qps;
      this.noExecute.set(node, this.now);
      this.change('cluster', 'endpoints', `node ${node} tainted ${UNREACHABLE_TAINT.key}:${UNREACHABLE_TAINT.effect} (node lifecycle controller, ${qps} node/s in its zone)`);
      this.scheduleEvictions(node);
    }
    if (q.length > 0 && qps > 0 && z.passAt !== z.nextTokenNs) {
      const at = (z.passAt = z.nextTokenNs);
      this.cluster.sched.at(at, () => {
        if (z.passAt === at) z.passAt = undefined;
        this.taintPass(zone);
      });
    }
  }

  /** The taint eviction controller: each pod of the node deleted once its toleration of the NoExecute taint runs out. */
  private scheduleEvictions(node: string): void {
    const since = this.noExecute.get(node)!;
    const taint = `${UNREACHABLE_TAINT.key}:${UNREACHABLE_TAINT.effect}`;
    for (const p of this.pods.filter((q) => q.nodeName === node && !q.terminating)) {
      const s = evictAfterSeconds(p.tolerations ?? [], UNREACHABLE_TAINT, p.owner?.kind === 'DaemonSet');
      if (s === undefined) continue;
      this.cluster.sched.after(s * 1e9, () => {
        if (this.noExecute.get(node) !== since || p.terminating || !this.pods.includes(p)) return;
        this.deletePod(p, 0, true, DEFAULT_POD_READY_NS, `evicted by the taint eviction controller: ${taint} not tolerated ${s === 0 ? 'at all' : `past ${s} s`}; `);
      });
    }
  }

  markNodePodsReady(node: string): void {
    const pods = this.pods.filter((p) => p.nodeName === node && !p.ready && !p.terminating);
    for (const p of pods) p.ready = true;
    this.change('cluster', 'endpoints', `node ${node} Ready: ${pods.length} pod(s) ready again`);
    this.endpointsChanged();
  }

  // --- Services ------------------------------------------------------------------------------------

  /**
   * `kubectl apply` of a Service: created, or replaced. The API change
   * reaches every controller as a build-time Service's did: the
   * EndpointSlice controller, kube-proxy on each node (rules and health-check
   * listener, after its sync delay), CoreDNS, and the cloud's service
   * controller (the load balancer and its health checks).
   */
  applyService(svc: ServiceInput): void {
    const i = this.services.findIndex((s) => s.namespace === svc.namespace && s.name === svc.name);
    const prev = i >= 0 ? this.services[i] : undefined;
    if (prev) this.services[i] = svc;
    else this.services.push(svc);
    const addresses = [svc.clusterIP, ...svc.loadBalancerIPs, ...svc.externalIPs].filter((a) => a !== undefined).join(', ');
    this.change('cluster', 'service', `kubectl apply service ${svc.namespace}/${svc.name}: ${prev ? 'configured' : 'created'} (${svc.type}${addresses ? ` ${addresses}` : ''})`);
    this.servicesChanged(prev, svc);
  }

  /** `kubectl delete service`: its endpoints, rules, health-check listener and load balancer go. */
  deleteService(namespace: string, name: string): void {
    const i = this.services.findIndex((s) => s.namespace === namespace && s.name === name);
    if (i < 0) return;
    const [prev] = this.services.splice(i, 1);
    this.change('cluster', 'service', `kubectl delete service ${namespace}/${name}`);
    this.servicesChanged(prev, undefined);
  }

  private servicesChanged(prev: ServiceInput | undefined, next: ServiceInput | undefined): void {
    this.servicesEdited = true;
    this.cluster.loadBalancer?.serviceChanged(prev, next);
    // In ipvs mode a Service's IPs are local addresses on every node: the policy agent lets them through INPUT.
    this.cluster.policyAgent?.serviceIpsChanged(localServiceIps(this.cluster.spec.proxyMode, this.services));
    this.endpointsChanged(true);
  }

  // --- EndpointSlice controller and kube-proxy ----------------------------------------------------

  /**
   * The EndpointSlice controller recomputes every selector Service's slices;
   * kube-proxies follow after their delay (also when a Service itself changed).
   */
  endpointsChanged(servicesChanged = false): void {
    const derived = deriveEndpointSlices(this.services, this.pods, nodeZones(this.cluster.spec.nodes));
    const next = [...this.handSlices, ...derived];
    const changed = changedServices(this.slices, next);
    this.slices = next;
    if (changed.length === 0 && !servicesChanged) return;
    this.gen++;
    if (changed.length > 0) this.change('cluster', 'endpoints', `EndpointSlices of ${changed.join(', ')} updated`);
    this.cp = { ...this.cluster.controlPlane, ...(this.servicesEdited ? { services: [...this.services] } : {}), endpointSlices: next };
    this.cluster.controlPlane = this.cp; // what `kubectl get` would list now (the matrix reads it)
    this.cluster.dns.update(this.cp);
    for (const w of this.cluster.ingress) w.apiChanged(this.cp);
    // Each kube-proxy asks its sync runner for a sync once the change reaches it (its delay); the sync reads its
    // informer cache then, so it programs whatever the API holds at that moment.
    for (const n of this.cluster.spec.nodes) this.cluster.sched.after(this.behaviour.get(n.name)!.syncDelayNs, () => this.requestSync(n.name));
  }

  private cp: Cluster['controlPlane'] | undefined;

  /**
   * BoundedFrequencyRunner.Run (pkg/proxy/runner): a sync as soon as
   * possible, but at least minSyncPeriod after the previous one; while one is
   * queued, further requests join it.
   */
  private requestSync(node: string): void {
    const r = this.runner.get(node)!;
    if (r.pendingAt !== undefined) return;
    const at = r.lastSyncNs + this.minSyncNs;
    if (at <= this.now) return this.syncNode(node, undefined);
    r.pendingAt = at;
    const held = r.lastSyncNs;
    this.cluster.sched.at(at, () => {
      r.pendingAt = undefined;
      this.syncNode(node, held);
    });
  }

  /**
   * kube-proxy's sync: whatever it has seen by now, once (several changes in a row make one sync).
   * A kube-proxy cut off from the API server sees no change: its informers keep the last state they
   * listed, so it keeps the rules it programmed (its periodic re-sync would program the same); it
   * syncs when it reaches the API again (the reflectors relist, see apiReachabilityChanged).
   */
  private syncNode(node: string, heldSince: number | undefined): void {
    const r = this.runner.get(node)!;
    if (r.syncedGen >= this.gen || !this.cp || !this.reachesApi(node)) return;
    r.syncedGen = this.gen;
    r.lastSyncNs = this.now;
    const cp = this.cp;
    const proxy = this.cluster.proxies.get(node)!;
    if (!proxy.resync) return;
    const how = proxy.mode === 'nftables' ? 'nft -f' : proxy.mode === 'ipvs' ? 'ipvs sync (ipvsadm, ipset restore, iptables-restore --noflush)' : 'iptables-restore --noflush';
    const held = heldSince === undefined ? '' : `; held until minSyncPeriod ${this.minSyncNs / 1e9} s after the sync at ${fmtSeconds(heldSince)}`;
    this.change(node, 'proxy-sync', `kube-proxy on ${node}: ${how} (${this.servicesEdited ? 'Service or EndpointSlice' : 'EndpointSlice'} change${held})`);
    const stale = proxy.resync(cp);
    proxy.health.sync();
    if (this.behaviour.get(node)!.conntrackCleanup) this.cleanUdp(node, stale);
    // The node's health-check answers follow this sync; the cloud load balancer's probes will see them.
    this.cluster.loadBalancer?.nodeChanged(node);
  }

  /**
   * kube-proxy's conntrack clean-up after a sync in which a UDP Service's endpoints changed
   * (pkg/proxy/conntrack CleanStaleEntries): the node's UDP entries listed, one `conntrack -D` for each
   * Service address (or NodePort) and reply source that is not one of the port's serving endpoints.
   */
  private cleanUdp(node: string, cleanup: UdpCleanup): void {
    if (!cleanup.required) return;
    const ns = this.cluster.nodes.get(node)!;
    const entries = (ns.nf?.conntrack.list(this.now) ?? []).filter((e) => e.orig.protocol === 17).map((e) => ({ origDst: formatIpv4(e.orig.dst), origDport: e.orig.dport, replySrc: formatIpv4(e.reply.src), replySport: e.reply.sport }));
    for (const f of staleUdpFilters(entries, cleanup.serving)) {
      const reply = `${f.replySrc}:${f.replySport}`;
      const why = `(${f.servicePort}: ${f.none === 'deleted' ? 'the Service port is gone' : f.none === 'no-serving' ? 'no serving endpoint' : `${reply} is not a serving endpoint`})`;
      const match = `--reply-src ${f.replySrc} --reply-port-src ${f.replySport}`;
      if (f.origDst === undefined) deleteConntrack(ns, { protocol: 17, origDport: f.origDport, replySrc: f.replySrc, replySport: f.replySport }, `conntrack -D -p udp --orig-port-dst ${f.origDport} ${match} ${why}`);
      else deleteConntrack(ns, { protocol: 17, origDst: f.origDst, origDport: f.origDport, replySrc: f.replySrc, replySport: f.replySport }, `conntrack -D -p udp --orig-dst ${f.origDst} --orig-port-dst ${f.origDport} ${match} ${why}`);
    }
  }

  // --- helpers --------------------------------------------------------------------------------------

  private isDnsPod(pod: LivePod): boolean {
    return pod.namespace === 'kube-system' && pod.labels['k8s-app'] === 'kube-dns';
  }

  /** kube-scheduler, reduced: the node with the fewest pods of the same owner, then the fewest pods, then node order. */
  private schedule(t: LivePodTemplate): string | undefined {
    const all = this.cluster.spec.nodes.map((n) => n.name);
    const healthy = all.filter((n) => !this.down.has(n) && !this.tainted.has(n));
    return this.pick(t, healthy) ?? (healthy.length < all.length ? this.pick(t, all) : undefined);
  }

  /** The best of `candidates` for `t` that has a pod address left (a used-up podCIDR cannot run another pod; kubelet's max-pods, 110, stops a /24 before that). */
  private pick(t: LivePodTemplate, candidates: string[]): string | undefined {
    let best: string | undefined;
    let bestKey = [Infinity, Infinity];
    for (const n of candidates) {
      const mine = this.pods.filter((p) => p.nodeName === n && !p.terminating && p.namespace === t.namespace && p.owner?.name === t.owner?.name && t.owner).length;
      const all = this.pods.filter((p) => p.nodeName === n && !p.terminating).length;
      if ((mine < bestKey[0]! || (mine === bestKey[0] && all < bestKey[1]!)) && (t.hostNetwork || this.freeIp(n) !== undefined)) {
        best = n;
        bestKey = [mine, all];
      }
    }
    return best;
  }

  /** host-local IPAM: the next free address after the last one it handed out, wrapping around the range (undefined: none left). */
  private allocateIp(node: string): string | undefined {
    const a = this.freeIp(node);
    if (a === undefined) return undefined;
    this.lastIp.set(node, a);
    return formatIpv4(a);
  }

  /** The address host-local IPAM would hand out next on `node`, or undefined when its range is used up. */
  private freeIp(node: string): number | undefined {
    const c = parseCidr(this.cluster.spec.nodes.find((n) => n.name === node)!.podCIDR)!;
    const first = cidrHost(c, 2);
    const last = cidrBroadcast(c) - 1;
    const used = new Set(this.pods.filter((p) => p.nodeName === node && !p.hostNetwork).map((p) => parseIpv4(p.ip)!));
    let a = this.lastIp.get(node)!;
    for (let i = 0; i <= last - first; i++) {
      a = a >= last || a < first ? first : a + 1;
      if (!used.has(a)) return a;
    }
    return undefined;
  }

  /** A ReplicaSet's replacement pod: `<rs>-<new 5 chars>`. */
  private replacementName(pod: LivePod): string {
    return this.nextName(pod);
  }

  private nextName(pod: LivePodTemplate): string {
    const base = pod.name.slice(0, pod.name.lastIndexOf('-'));
    for (let i = 0; ; i++) {
      const name = `${base}-${generatedSuffix(`${pod.namespace}/${base}/${this.now}/${i}`)}`;
      if (!this.pods.some((p) => p.namespace === pod.namespace && p.name === name) && !this.cluster.netns.has(`${pod.namespace}/${name}`)) return name;
    }
  }
}

/** A pod a ReplicaSet owns (a Deployment's pods belong to its current ReplicaSet). */
function isReplicaSetPod(o: PodController): boolean {
  return o.kind === 'Deployment' || o.kind === 'ReplicaSet';
}

/** The ReplicaSet's name: its own, or a Deployment's `<deployment>-<pod-template-hash>`. */
function replicaSetName(o: PodController, pod: LivePod): string {
  const hash = o.selector?.matchLabels['pod-template-hash'];
  return `replicaset ${pod.namespace}/${o.kind === 'Deployment' && hash ? `${o.name}-${hash}` : o.name}`;
}

/** The labels a controller gives a new pod made from `pod`'s template (not a label step's). */
function templateLabels(pod: LivePodTemplate): Record<string, string> {
  return pod.templateLabels ?? pod.labels;
}

/** One node's kube-proxy sync runner: what it last programmed, when, and a queued sync. */
interface SyncRunner {
  /** The EndpointSlice generation it programmed last. */
  syncedGen: number;
  /** When the last sync ran (-Infinity: before the run). */
  lastSyncNs: number;
  /** A queued sync's time. */
  pendingAt: number | undefined;
}

/**
 * kubelet's killContainer: the preStop hook runs for at most the grace
 * period (it is not run at all with a grace period of 0), then SIGTERM, and
 * SIGKILL after the grace period less the whole seconds the hook took, at
 * least minimumGracePeriodInSeconds. The application exits at SIGTERM.
 */
export function terminationTimes(graceS: number, preStopNs: number): { sigtermNs: number; describe: string } {
  const hookNs = graceS > 0 ? Math.min(preStopNs, graceS * 1e9) : 0;
  const killS = Math.max(MIN_KILL_GRACE_S, graceS - Math.floor(hookNs / 1e9));
  const hook = preStopNs <= 0 ? '' : hookNs < preStopNs ? ` after the ${preStopNs / 1e9} s preStop, cut off at the ${graceS} s grace period` : ` after a ${preStopNs / 1e9} s preStop`;
  return { sigtermNs: hookNs, describe: `SIGTERM${hook}; SIGKILL ${killS} s later if still running` };
}

function fmtSeconds(ns: number): string {
  return `${Number((ns / 1e9).toFixed(6))} s`;
}

/** Services (`ns/name`) whose slices differ between two lists. */
function changedServices(a: readonly EndpointSliceInput[], b: readonly EndpointSliceInput[]): string[] {
  const group = (l: readonly EndpointSliceInput[]): Map<string, string> => {
    const m = new Map<string, string>();
    for (const s of l) {
      const k = `${s.namespace}/${s.serviceName}`;
      m.set(k, (m.get(k) ?? '') + JSON.stringify([s.name, s.ports, s.endpoints]));
    }
    return m;
  };
  const ga = group(a);
  const gb = group(b);
  return [...new Set([...ga.keys(), ...gb.keys()])].filter((k) => ga.get(k) !== gb.get(k)).sort();
}

export type { NetNs };

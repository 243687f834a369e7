import type { Cluster } from '../../cluster/build.js';
import { ControlLoop } from '../../cluster/live/control-loop.js';
import { deleteConntrack, flushConntrack } from '../../cluster/live/conntrack-ops.js';
import { nodeDown, nodeUp } from '../../cluster/live/nodes.js';
import { hostVethName } from '../../cluster/cni/veth-names.js';
import type { PolicyWorld } from '../../cluster/netpol/types.js';
import { Netem, formatNetem } from '../../kernel/devices/netem.js';
import type { Bridge } from '../../kernel/devices/bridge.js';
import type { KernelLimitName } from '../../kernel/limits.js';
import { nftDynsetTimeoutListedFor, synLinearTimeoutsFor } from '../../kernel/machine-kernel.js';
import { natEvictsClosing, natPortSearchFor } from '../../kernel/conntrack/nat-port.js';
import type { Uplink } from '../../kernel/devices/uplink.js';
import type { Scenario, StepAction, StepSpec } from '../types.js';

type PolicyAction = Extract<StepAction, { kind: 'apply' | 'delete' | 'label' }>;
type ChangeAction = Exclude<StepAction, PolicyAction>;

const isPolicyAction = (a: StepAction): a is PolicyAction => a.kind === 'apply' || a.kind === 'delete' || a.kind === 'label';

/**
 * Carries out the scenario's steps at their simulated times. Policy steps
 * change the API objects and the policy agent re-syncs every node, as it
 * would on a watch event (connections already in conntrack keep flowing, as
 * with kube-router and Calico; only new connections see the new policy); a
 * relabelled pod also reaches the EndpointSlice controller, which may add it
 * to a Service's endpoints or take it out.
 * The other steps go through the controllers (cluster/live/): pods, nodes,
 * kube-proxy, and the kernel changes an operator would make by hand.
 */
export function scheduleSteps(cluster: Cluster, scenario: Pick<Scenario, 'steps' | 'pods' | 'podTemplates' | 'services' | 'endpointSlices'>): ControlLoop | undefined {
  const steps = scenario.steps;
  const agent = cluster.policyAgent;
  const needsLoop = steps.some((s) => !isPolicyAction(s.action) || (s.action.kind === 'label' && s.action.target === 'pod'));
  const loop = needsLoop
    ? new ControlLoop(
        cluster,
        // Static pods (the built-in kube-apiserver) are kubelet's, from a manifest: no controller here acts on them,
        // and the reduced scheduler's "fewest pods" stands for the load of the pods it placed.
        scenario.pods.filter((p) => !(p.builtin && p.hostNetwork)).map((p) => ({ ...p, labels: { ...p.labels } })),
        scenario.services,
        scenario.endpointSlices.filter((s) => !s.derived),
        scenario.pods.filter((p) => p.builtin && p.labels['component'] === 'kube-apiserver').map((p) => p.nodeName),
        (scenario.podTemplates ?? []).map((t) => ({ ...t, labels: { ...t.labels } })),
      )
    : undefined;
  for (const s of steps) {
    const a = s.action;
    if (isPolicyAction(a)) {
      cluster.sched.at(s.atNs, () => {
        if (agent) {
          cluster.world.change('cluster', a.kind === 'label' ? 'label' : 'policy', describePolicyStep(a));
          agent.sync(applyStep(agent.world, a));
        } else {
          // cluster.networkPolicy.agent: none: the API server stores the change, and no policy agent acts on it.
          cluster.world.change('cluster', a.kind === 'label' ? 'label' : 'policy', `${describePolicyStep(a)}${a.kind === 'label' ? '' : ' (stored; no policy agent enforces it)'}`);
        }
        if (a.kind === 'label' && a.target === 'pod') loop!.relabelPod(a.namespace, a.name, (labels) => relabel(labels, a.labels));
      });
    } else {
      cluster.sched.at(s.atNs, () => runChange(cluster, loop!, a, s));
    }
  }
  return loop;
}

function describePolicyStep(a: PolicyAction): string {
  if (a.kind === 'apply') return `kubectl apply networkpolicy ${a.policy.namespace}/${a.policy.name}`;
  if (a.kind === 'delete') return `kubectl delete networkpolicy ${a.namespace}/${a.name}`;
  const labels = Object.entries(a.labels).map(([k, v]) => (v === null ? `${k}-` : `${k}=${v}`)).join(' ');
  return a.target === 'pod' ? `kubectl label pod ${a.namespace}/${a.name} ${labels}` : `kubectl label namespace ${a.name} ${labels}`;
}

function runChange(cluster: Cluster, loop: ControlLoop, a: ChangeAction, s: StepSpec): void {
  const w = cluster.world;
  switch (a.kind) {
    case 'apply-service':
      return loop.applyService(a.service);
    case 'delete-service':
      return loop.deleteService(a.namespace, a.name);
    case 'delete-pod': {
      const pod = loop.find(a.namespace, a.name);
      if (pod) loop.deletePod(pod, a.preStopNs, true, a.readyAfterNs);
      return;
    }
    case 'restart-pod': {
      const pod = loop.find(a.namespace, a.name);
      if (pod) loop.restartPod(pod);
      return;
    }
    case 'scale':
      return loop.scale(a.namespace, a.deployment, a.replicas, a.readyAfterNs);
    case 'rollout':
      return loop.rollout(a.namespace, a.deployment, a);
    case 'node':
      if (a.state === 'down') return nodeDown(cluster, loop, a.node, { graceNs: a.notReadyAfterNs, ...(a.withdrawRoutesAfterNs === undefined ? {} : { withdrawAfterNs: a.withdrawRoutesAfterNs }) });
      return nodeUp(cluster, loop, a.node);
    case 'link': {
      const ns = cluster.nodes.get(a.machine) ?? cluster.hosts.get(a.machine)!;
      const eth0 = ns.device('eth0') as Uplink;
      const spec = { lossPct: a.lossPct, delayNs: a.delayNs, jitterNs: a.jitterNs, corruptPct: a.corruptPct, reorderPct: a.reorderPct };
      const off = Object.values(spec).every((v) => v === 0);
      eth0.netem = off ? undefined : new Netem(spec, ns.rng.fork(`netem:${s.atNs}`));
      w.change(ns.name, 'link-fault', off ? `tc qdisc del dev eth0 root (on ${a.machine})` : `tc qdisc replace dev eth0 root ${formatNetem(spec)} (on ${a.machine})`);
      return;
    }
    case 'mtu': {
      const ns = cluster.netns.get(a.netns);
      const dev = ns?.device(a.device);
      if (!ns || !dev) return w.change(a.netns, 'mtu', `ip link set dev ${a.device} mtu ${a.mtu}: Cannot find device "${a.device}"`);
      dev.mtu = a.mtu;
      return w.change(ns.name, 'mtu', `ip link set dev ${a.device} mtu ${a.mtu}`);
    }
    case 'conntrack': {
      const ns = cluster.nodes.get(a.node)!;
      if (a.flush) {
        flushConntrack(ns);
        return;
      }
      const proto = a.protocol === undefined ? undefined : { TCP: 6, UDP: 17, ICMP: 1 }[a.protocol];
      const cmd = ['conntrack -D', a.protocol ? `-p ${a.protocol.toLowerCase()}` : '', a.origSrc ? `--orig-src ${a.origSrc}` : '', a.origDst ? `--orig-dst ${a.origDst}` : '', a.origDport ? `--orig-port-dst ${a.origDport}` : '', a.replySrc ? `--reply-src ${a.replySrc}` : ''].filter((x) => x).join(' ');
      deleteConntrack(ns, { ...(proto === undefined ? {} : { protocol: proto }), ...(a.origSrc ? { origSrc: a.origSrc } : {}), ...(a.origDst ? { origDst: a.origDst } : {}), ...(a.origDport ? { origDport: a.origDport } : {}), ...(a.replySrc ? { replySrc: a.replySrc } : {}) }, cmd);
      return;
    }
    case 'kube-proxy': {
      for (const n of cluster.spec.nodes) {
        if (a.node !== undefined && a.node !== n.name) continue;
        loop.setProxyBehaviour(n.name, { ...(a.syncDelayNs === undefined ? {} : { syncDelayNs: a.syncDelayNs }), ...(a.conntrackCleanup === undefined ? {} : { conntrackCleanup: a.conntrackCleanup }) });
      }
      return;
    }
    case 'kernel': {
      const ns = cluster.nodes.get(a.node)!;
      const harder = a.major > 5 || (a.major === 5 && a.minor >= 8);
      const search = natPortSearchFor(a.major);
      if (ns.nf) ns.nf.conntrack.resolveClashHarder = harder;
      // nf_nat's search is the kernel's, for the node and its pods alike.
      ns.kernel.natPorts.search = search;
      ns.kernel.natPorts.evictClosing = natEvictsClosing(a.major, a.minor);
      ns.kernel.synLinearTimeouts = synLinearTimeoutsFor(a.major, a.minor);
      ns.kernel.nftDynsetTimeoutListed = nftDynsetTimeoutListedFor(a.major, a.minor);
      const ports = search === 'rover' ? 'searches a taken SNAT source port from the shared rover' : `searches a taken SNAT source port from a random offset${natEvictsClosing(a.major, a.minor) ? ', evicting a closing connection in its last tries' : ''}`;
      return w.change(ns.name, 'kernel', `${a.node} runs Linux ${a.release}: conntrack ${harder ? 'keeps' : 'drops (insert_failed)'} a UDP packet that loses the confirm race with a different NAT; nf_nat ${ports}; an unanswered SYN is resent ${ns.kernel.synLinearTimeouts ? `after 1 s ${ns.kernel.synLinearTimeouts} times before the timeout doubles (tcp_syn_linear_timeouts)` : 'with the timeout doubling from the first resend'}`);
    }
    case 'sysctl': {
      const entries = Object.entries(a.values) as [KernelLimitName, number][];
      const switches = Object.entries(a.switches ?? {});
      for (const n of cluster.spec.nodes) {
        if (a.node !== undefined && a.node !== n.name) continue;
        const ns = cluster.nodes.get(n.name)!;
        for (const [name, value] of switches) ns.sysctl.write(name, value);
        for (const [name, value] of entries) ns.setLimit(name, value);
        w.change(ns.name, 'sysctl', `sysctl -w ${[...switches, ...entries].map(([k, v]) => `${k}=${v}`).join(' ')}`);
      }
      return;
    }
    case 'hairpin': {
      const pod = loop.find(a.namespace, a.name);
      if (!pod) return;
      const node = cluster.nodes.get(pod.nodeName)!;
      const port = node.device(hostVethName(a.namespace, a.name));
      const br = cluster.bridges.get(pod.nodeName) as Bridge;
      if (port) br.setHairpin(port, a.on);
      return w.change(node.name, 'hairpin', `bridge link set dev ${port?.name ?? '?'} hairpin ${a.on ? 'on' : 'off'} (pod ${a.namespace}/${a.name})`);
    }
  }
}

export function applyStep(world: PolicyWorld, a: PolicyAction): PolicyWorld {
  switch (a.kind) {
    case 'apply': {
      const rest = world.policies.filter((p) => !(p.namespace === a.policy.namespace && p.name === a.policy.name));
      return { ...world, policies: [...rest, a.policy] };
    }
    case 'delete':
      return { ...world, policies: world.policies.filter((p) => !(p.namespace === a.namespace && p.name === a.name)) };
    case 'label': {
      if (a.target === 'namespace') return { ...world, namespaces: world.namespaces.map((n) => (n.name === a.name ? { ...n, labels: relabel(n.labels, a.labels) } : n)) };
      return { ...world, pods: world.pods.map((p) => (p.namespace === a.namespace && p.name === a.name ? { ...p, labels: relabel(p.labels, a.labels) } : p)) };
    }
  }
}

/** `kubectl label`: set each label, remove those given as null. */
function relabel(labels: Record<string, string>, change: Record<string, string | null>): Record<string, string> {
  const out = { ...labels };
  for (const [k, v] of Object.entries(change)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

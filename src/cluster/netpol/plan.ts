import { createHash } from 'node:crypto';
import type { PolicyEvent } from '../../trace/events.js';
import { formatPrefix, parsePrefix, subtract } from './cidr.js';
import { formatSelector, selects } from './selector.js';
import { DEFAULT_NODE_PORT_RANGE, type Direction, type NetworkPolicyInput, type PolicyPeer, type PolicyPod, type PolicyPort, type PolicyWorld } from './types.js';

/**
 * What a rule of the agent means, for the trace: the body of the `policy`
 * event a packet taking that rule gets. The rule's comment is the key.
 */
export type RuleNote = Omit<PolicyEvent, 'kind' | 't' | 'pkt' | 'at'>;

/** One ipset the rules reference (`ipset restore` lines are derived from it). */
export interface PlannedSet {
  name: string;
  type: 'hash:ip' | 'hash:net' | 'hash:ip,port';
  members: string[];
}

/** Everything the agent programs on one node. */
export interface NodePolicyPlan {
  sets: PlannedSet[];
  /** The agent's filter-table chains in order (declared, then filled). */
  chains: string[];
  /** `-A ...` lines of those chains, as fed to iptables-restore. */
  rules: string[];
  /** Rule comment → meaning. */
  notes: Map<string, RuleNote>;
}

/** The agent's top-level chains, one per built-in chain it hooks. */
export const TOP_CHAINS = { FORWARD: 'NETPOL-FORWARD', INPUT: 'NETPOL-INPUT', OUTPUT: 'NETPOL-OUTPUT' } as const;

const PROTO = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' } as const;

function hash16(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 16).toUpperCase();
}

const podKey = (p: { namespace: string; name: string }): string => `${p.namespace}/${p.name}`;
const polKey = (p: NetworkPolicyInput): string => `${p.namespace}/${p.name}`;

/** Policies that select `pod` and isolate it in `dir` (sorted by ns/name, as their union is order-free). */
export function isolatingPolicies(world: PolicyWorld, pod: PolicyPod, dir: Direction): NetworkPolicyInput[] {
  if (pod.hostNetwork) return []; // NetworkPolicy does not apply to hostNetwork pods (the API leaves it undefined; agents skip them)
  const type = dir === 'ingress' ? 'Ingress' : 'Egress';
  return world.policies
    .filter((p) => p.namespace === pod.namespace && p.policyTypes.includes(type) && selects(p.podSelector, pod.labels))
    .sort((a, b) => (polKey(a) < polKey(b) ? -1 : 1));
}

/** Pods a pod/namespace peer selects (podSelector within the policy's namespace unless namespaceSelector says otherwise). */
export function peerPods(world: PolicyWorld, policy: NetworkPolicyInput, peer: PolicyPeer): PolicyPod[] {
  const nsLabels = new Map(world.namespaces.map((n) => [n.name, n.labels]));
  return world.pods.filter((p) => {
    if (p.hostNetwork && world.options.hostNetworkPeers === 'as-node') return false;
    const inNs = peer.namespaceSelector ? selects(peer.namespaceSelector, nsLabels.get(p.namespace) ?? {}) : p.namespace === policy.namespace;
    return inNs && (peer.podSelector ? selects(peer.podSelector, p.labels) : true);
  });
}

function describePeer(peer: PolicyPeer | undefined, dir: Direction, j: number): string {
  const word = dir === 'ingress' ? 'from' : 'to';
  if (!peer) return `${word} any`;
  if (peer.ipBlock) return `${word}[${j}] ipBlock ${peer.ipBlock.cidr}${peer.ipBlock.except.length ? ` except ${peer.ipBlock.except.join(',')}` : ''}`;
  const parts: string[] = [];
  if (peer.namespaceSelector) parts.push(`namespaceSelector ${formatSelector(peer.namespaceSelector)}`);
  if (peer.podSelector) parts.push(`podSelector ${formatSelector(peer.podSelector)}`);
  return `${word}[${j}] ${parts.join(' ')}`;
}

function describePort(port: PolicyPort | undefined, k: number): string {
  if (!port) return 'any port';
  const p = port.port === undefined ? 'all' : port.endPort !== undefined ? `${port.port}-${port.endPort}` : String(port.port);
  return `ports[${k}] ${port.protocol}/${p}`;
}

/**
 * Plans the agent's rules for one node: a chain per local pod and direction
 * that a policy isolates, holding one RETURN rule per (policy, rule, peer,
 * port) that allows, and a final DROP/REJECT naming the isolating policies.
 * Jumps to these chains sit in NETPOL-FORWARD (forwarded and bridged
 * traffic), NETPOL-OUTPUT (from the node itself, and what IPVS forwards) and
 * NETPOL-INPUT (pod to a node-local address). Allows RETURN instead of
 * ACCEPT so that, for two pods on one node, the source's egress chain and the
 * destination's ingress chain both run in one FORWARD traversal.
 */
export function planNode(world: PolicyWorld, nodeName: string, serviceIps: readonly string[]): NodePolicyPlan {
  const sets = new Map<string, PlannedSet>();
  const notes = new Map<string, RuleNote>();
  const chains: string[] = [TOP_CHAINS.FORWARD, TOP_CHAINS.INPUT, TOP_CHAINS.OUTPUT];
  const top: Record<keyof typeof TOP_CHAINS, string[]> = { FORWARD: [], INPUT: [], OUTPUT: [] };
  const body: string[] = [];
  const established = 'netpol: replies and established connections skip policy';
  for (const c of Object.values(TOP_CHAINS)) top[c === TOP_CHAINS.FORWARD ? 'FORWARD' : c === TOP_CHAINS.INPUT ? 'INPUT' : 'OUTPUT'].push(`-A ${c} -m comment --comment "${established}" -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN`);
  if (serviceIps.length > 0) {
    // ipvs mode: a Service IP is local, so pod -> Service enters INPUT before
    // IPVS picks a backend; egress is judged in OUTPUT once the backend is known.
    const set = addSet(sets, 'hash:ip', [...serviceIps].sort(ipOrder), 'service-ips');
    top.INPUT.push(`-A ${TOP_CHAINS.INPUT} -m comment --comment "netpol: service IPs are judged after IPVS (OUTPUT)" -m set --match-set ${set} dst -j RETURN`);
  }
  // As kube-router does: a node port on a local address is judged after the proxy picked a backend (ipvs: in
  // OUTPUT, as for Service IPs above; iptables/nftables: DNAT in PREROUTING already made it a pod destination).
  // One rule per protocol, sctp included as kube-router writes it from v2.8.0 (commit 39efb9230c06, "add
  // support for SCTP"; its nftables-only mode too); earlier releases wrote tcp and udp only.
  const [lo, hi] = world.nodePortRange ?? DEFAULT_NODE_PORT_RANGE;
  for (const proto of ['tcp', 'udp', 'sctp'] as const) {
    top.INPUT.push(`-A ${TOP_CHAINS.INPUT} -p ${proto} -m comment --comment "netpol: ${proto} node ports are judged after the proxy" -m addrtype --dst-type LOCAL -m multiport --dports ${lo}:${hi} -j RETURN`);
  }
  const allPods = world.options.ipBlockMatchesPods ? undefined : addSet(sets, 'hash:ip', world.pods.filter((p) => !p.hostNetwork).map((p) => p.ip).sort(ipOrder), 'all-pods');

  const local = world.pods.filter((p) => p.nodeName === nodeName && !p.hostNetwork).sort((a, b) => (podKey(a) < podKey(b) ? -1 : 1));
  for (const dir of ['egress', 'ingress'] as const) {
    for (const pod of local) {
      const isolating = isolatingPolicies(world, pod, dir);
      if (isolating.length === 0) continue;
      const chain = `NETPOL-${dir === 'ingress' ? 'ING' : 'EGR'}-${hash16(`${dir} ${podKey(pod)}`)}`;
      chains.push(chain);
      const isolatedBy = isolating.map(polKey);
      const addr = `${pod.ip}/32`;
      const jump = (c: string, m: string): string => `-A ${c} ${m} ${addr} -m comment --comment "netpol: ${dir} ${dir === 'ingress' ? 'to' : 'from'} ${podKey(pod)}" -j ${chain}`;
      if (dir === 'egress') {
        top.FORWARD.push(jump(TOP_CHAINS.FORWARD, '-s'));
        top.INPUT.push(jump(TOP_CHAINS.INPUT, '-s'));
        top.OUTPUT.push(jump(TOP_CHAINS.OUTPUT, '-s'));
      } else {
        top.FORWARD.push(jump(TOP_CHAINS.FORWARD, '-d'));
        top.OUTPUT.push(jump(TOP_CHAINS.OUTPUT, '-d'));
      }
      const note = (text: string, n: Omit<RuleNote, 'direction' | 'pod' | 'isolatedBy'>): string => {
        const comment = fitComment(text);
        notes.set(comment, { direction: dir, pod: podKey(pod), isolatedBy, ...n });
        return `-m comment --comment "${comment}"`;
      };
      const who = `netpol ${dir} ${podKey(pod)}`;
      if (dir === 'ingress') {
        body.push(`-A ${chain} ${note(`${who}: from its own node`, { verdict: 'allow', because: 'node-local' })} -m addrtype --src-type LOCAL -j RETURN`);
        if (world.options.selfViaService === 'allow') body.push(`-A ${chain} -s ${addr} ${note(`${who}: the pod itself`, { verdict: 'allow', because: 'self' })} -j RETURN`);
      } else if (world.options.selfViaService === 'allow') {
        // The hairpin leaves through the pod's egress chain too (DNAT'd back to the pod itself).
        body.push(`-A ${chain} -d ${addr} ${note(`${who}: the pod itself`, { verdict: 'allow', because: 'self' })} -j RETURN`);
      }
      for (const pol of isolating) {
        const rules = dir === 'ingress' ? pol.ingress : pol.egress;
        rules.forEach((rule, i) => {
          const peers: (PolicyPeer | undefined)[] = rule.peers.length > 0 ? rule.peers : [undefined];
          const ports: (PolicyPort | undefined)[] = rule.ports.length > 0 ? rule.ports : [undefined];
          peers.forEach((peer, j) => {
            ports.forEach((port, k) => {
              // No alternative: a named port the pod does not have, or excepts covering the block; this combination matches nothing.
              const peerText = `${describePeer(peer, dir, j)}, ${describePort(port, k)}`;
              const comment = `${who}: allow ${polKey(pol)} ${dir}[${i}] ${dir === 'ingress' ? 'from' : 'to'}[${peer ? j : '*'}] ports[${port ? k : '*'}]`;
              for (const m of matchFor(world, sets, pol, pod, dir, peer, port, allPods)) {
                body.push(`-A ${chain}${m ? ` ${m}` : ''} ${note(comment, { verdict: 'allow', because: 'rule', policy: polKey(pol), rule: i, peer: peerText })} -j RETURN`);
              }
            });
          });
        });
      }
      const deny = world.options.denyAction === 'reject' ? 'REJECT --reject-with icmp-port-unreachable' : 'DROP';
      body.push(`-A ${chain} ${note(`${who}: no rule matched; isolated by ${isolatedBy.join(', ')}`, { verdict: 'deny', because: 'no-rule' })} -j ${deny}`);
    }
  }
  return { sets: [...sets.values()], chains, rules: [...top.FORWARD, ...top.INPUT, ...top.OUTPUT, ...body], notes };
}

/**
 * The iptables matches for one peer × port of a rule, seen from `pod`'s
 * chain: the peer's addresses on the far side (`src` for ingress, `dst` for
 * egress) and the destination port. One rule per alternative (a named port
 * several containers of the pod declare resolves to each of their numbers);
 * none = can never match.
 */
function matchFor(world: PolicyWorld, sets: Map<string, PlannedSet>, pol: NetworkPolicyInput, pod: PolicyPod, dir: Direction, peer: PolicyPeer | undefined, port: PolicyPort | undefined, allPods: string | undefined): string[] {
  const side = dir === 'ingress' ? 'src' : 'dst';
  const parts: string[] = [];
  // Egress to a named port: the name is resolved on each destination pod, so peer and port go into one ip,port set.
  if (dir === 'egress' && typeof port?.port === 'string') {
    const name = port.port;
    // An ipBlock peer with ipBlockMatchesPods: false excludes pod IPs before any port is resolved,
    // so only the block's non-pod holders of the name (hostNetwork pods, on their node IP) remain.
    const inBlock = (): PolicyPod[] => podsInBlock(world, peer!).filter((p) => world.options.ipBlockMatchesPods || p.hostNetwork);
    const candidates = peer === undefined ? world.pods : peer.ipBlock ? inBlock() : peerPods(world, pol, peer);
    const members = candidates.flatMap((p) => p.ports.filter((c) => c.name === name && c.protocol === port.protocol).map((c) => `${p.ip},${PROTO[port.protocol]}:${c.containerPort}`));
    const set = addSet(sets, 'hash:ip,port', members.sort(), `named ${name} ${port.protocol} ${JSON.stringify(peer ?? null)} ${pol.namespace}`);
    return [`-p ${PROTO[port.protocol]} -m set --match-set ${set} dst,dst`];
  }
  if (peer?.ipBlock) {
    const block = parsePrefix(peer.ipBlock.cidr)!;
    const rest = subtract(block, peer.ipBlock.except.map((e) => parsePrefix(e)!)).map(formatPrefix);
    if (rest.length === 1 && !rest[0]!.endsWith('/0')) parts.push(`${side === 'src' ? '-s' : '-d'} ${rest[0]}`);
    else if (rest.length > 1) parts.push(`-m set --match-set ${addSet(sets, 'hash:net', rest, 'block')} ${side}`);
    else if (rest.length === 0) return []; // the excepts cover the whole block
    if (allPods) parts.push(`-m set ! --match-set ${allPods} ${side}`);
  } else if (peer) {
    // As the source of ingress, a hostNetwork peer may carry any of its node's addresses; as an egress destination
    // it is reached on its node IP (traffic to the node's other addresses is not for the pod's sockets only).
    const members = peerPods(world, pol, peer).flatMap((p) => (side === 'src' ? [p.ip, ...(p.hostAddresses ?? [])] : [p.ip])).sort(ipOrder);
    parts.push(`-m set --match-set ${addSet(sets, 'hash:ip', members, `pods ${pol.namespace} ${JSON.stringify(peer)}`)} ${side}`);
  }
  if (!port) return [parts.join(' ')];
  const proto = PROTO[port.protocol];
  const name = port.port;
  if (typeof name === 'string') {
    // Ingress to a named port: resolved on this (the destination) pod, to every container port of that name and
    // protocol. The API lets two containers repeat a name (it only warns), and kube-router allows each number
    // found (grabNamedPortFromPod collects all), as egress does here through its ip,port set.
    const nums = [...new Set(pod.ports.filter((c) => c.name === name && c.protocol === port.protocol).map((c) => c.containerPort))].sort((a, b) => a - b);
    return nums.map((n) => [...parts, `-p ${proto} -m ${proto} --dport ${n}`].join(' '));
  }
  if (name === undefined) parts.push(`-p ${proto}`);
  else parts.push(`-p ${proto} -m ${proto} --dport ${port.endPort !== undefined ? `${name}:${port.endPort}` : name}`);
  return [parts.join(' ')];
}

function podsInBlock(world: PolicyWorld, peer: PolicyPeer): PolicyPod[] {
  const block = parsePrefix(peer.ipBlock!.cidr)!;
  const rest = subtract(block, peer.ipBlock!.except.map((e) => parsePrefix(e)!));
  return world.pods.filter((p) => rest.some((r) => containsAddr(r, p.ip)));
}

function containsAddr(r: { net: number; len: number }, ip: string): boolean {
  const p = parsePrefix(`${ip}/32`)!;
  return r.len === 0 || p.net >>> (32 - r.len) === r.net >>> (32 - r.len);
}

/** iptables keeps at most 255 bytes of a comment; longer ones keep a hash so they stay unique. */
function fitComment(text: string): string {
  return text.length <= 255 ? text : `${text.slice(0, 230)}... #${hash16(text)}`;
}

/** Sets are named by a hash of their meaning, so identical peers share one set and names are stable across syncs. */
function addSet(sets: Map<string, PlannedSet>, type: PlannedSet['type'], members: string[], meaning: string): string {
  const name = `NETPOL-${hash16(`${type} ${meaning} ${members.join(' ')}`)}`;
  if (!sets.has(name)) sets.set(name, { name, type, members: [...new Set(members)] });
  return name;
}

function ipOrder(a: string, b: string): number {
  const n = (s: string): number => s.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  return n(a) - n(b);
}

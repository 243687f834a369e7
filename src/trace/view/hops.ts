import type { NetfilterEvent, NftablesEvent, TraceEvent } from '../events.js';
import { deviceOf, endpoint, lastOf, isFinalDelivery, netnsOf, shortInfo, shortRoute, shortWhere } from './flow-packets.js';
import type { Category, Visibility } from './options.js';
import type { Tone } from './terminal.js';
import { count } from '../plural.js';

/** One numbered line of the walk: where, what happened there, and optional indented detail. */
export interface Step {
  /** Where, shortened for people (`pod1:eth0`). */
  where: string;
  /** Where, as the trace says it (`default/pod1:eth0`, or a namespace). */
  at: string;
  text: string;
  tone?: Tone;
  details: string[];
  /** Trace events this step stands for (the HTML walk shows them). */
  events: TraceEvent[];
}

/**
 * Turns the events of the packets that carried a request into hops and
 * decision points, read off what the kernel objects did: a route that
 * matched, a bridge's FDB, a NAT binding and the rule that made it, a
 * tunnel, a policy, the socket or the drop. Nothing here knows which
 * scenario runs: a step exists because an event says so.
 */
export function requestSteps(events: readonly TraceEvent[], show: Record<Category, Visibility>): Step[] {
  const steps: Step[] = [];
  const lastNf = new Map<string, NetfilterEvent>();
  const lastNft = new Map<string, NftablesEvent>();
  let lastIn: string | undefined; // the device the packet last came in on
  let pending: TraceEvent[] = []; // events that belong to the next step (a local route decision before the delivery)
  const add = (at: string, text: string, e: TraceEvent, tone?: Tone): Step => {
    const s: Step = { where: shortWhere(at), at, text, details: [], events: [...pending, e], ...(tone ? { tone } : {}) };
    pending = [];
    steps.push(s);
    return s;
  };
  const last = (): Step | undefined => steps[steps.length - 1];
  const shown = (c: Category): boolean => show[c] === 'shown';

  for (const e of events) {
    switch (e.kind) {
      case 'create':
        if (e.by === 'bridge') break; // the flood step says it
        add(e.at, e.cause === undefined ? `sent ${shortInfo(e.frame.info)} ${endpoint(e.frame.src, e.frame.sport)} → ${endpoint(e.frame.dst, e.frame.dport)}` : `sent on as a new packet: ${shortInfo(e.frame.info)} ${endpoint(e.frame.src, e.frame.sport)} → ${endpoint(e.frame.dst, e.frame.dport)}`, e);
        break;
      case 'rx':
        lastIn = deviceOf(e.at);
        break;
      case 'tx':
        lastIn = deviceOf(e.at); // a bridge sending its host's packet down to a port
        break;
      case 'route': {
        // A multipath route: the path this flow hashed to.
        const how = e.nexthop ? `${e.dst} ${e.nexthop}, multipath: 1 of ${e.nexthops ?? 0} nexthops by flow hash` : shortRoute(e.route);
        const prev = last();
        if (e.decision === 'local' && e.ipvsLocal) add(e.at, `IPVS: real server ${e.dst} is this host's: handed up to its socket without LOCAL_OUT, so no OUTPUT rule sees it (nor a NetworkPolicy egress check there)`, e, 'note');
        else if (e.decision === 'local') pending.push(e);
        else if (e.decision === 'output' && prev && netnsOf(prev.where) === shortWhere(e.at) && !prev.text.includes('; route: ')) {
          prev.text += `; route: ${how}`;
          prev.events.push(e);
        } else add(e.at, `${e.decision === 'forward' ? 'routed' : 'output routed'} ${e.dst}: ${how}${lastIn ? ` (in on ${lastIn})` : ''}`, e);
        break;
      }
      case 'forward': {
        const prev = last();
        if (prev) {
          prev.text += `, ttl ${e.ttl}`;
          prev.events.push(e);
        }
        break;
      }
      case 'fdb':
        if (e.action === 'forward') add(e.at, lastIn === deviceOf(e.at) ? `bridged from the host → ${e.port ?? '?'}` : `bridged ${lastIn ?? '?'} → ${e.port ?? '?'}`, e);
        else if (e.action === 'flood') add(e.at, `flooded to ${count(e.port?.split(',').length ?? 0, 'port')} (${e.mac} not learned yet)`, e, 'note');
        else if (e.action === 'hairpin') add(e.at, `hairpin: back out ${e.port ?? '?'}, the port it came in on`, e, 'note');
        else if (shown('fdb')) add(e.at, e.action === 'local' ? `to the bridge's own MAC ${e.mac}: up to ${netnsOf(e.at)}'s routing` : `learned ${e.mac} on ${e.port ?? '?'}`, e);
        else if (e.action === 'local') lastIn = deviceOf(e.at);
        break;
      case 'encap':
        add(e.at, `encapsulated${e.vni === undefined ? '' : ` VXLAN VNI ${e.vni}`} +${e.bytes} B: ${arrows(e.outer)}`, e);
        break;
      case 'decap':
        add(e.at, `decapsulated${e.vni === undefined ? '' : ` VNI ${e.vni}`} -${e.bytes} B: ${arrows(e.outer)}`, e);
        break;
      case 'netfilter':
        lastNf.set(e.at, e);
        if (shown('netfilter')) {
          const s = add(e.at, `${e.bridged ? 'br_netfilter ' : ''}iptables -t ${e.table} ${e.chain}: ${e.verdict}${e.policy ? ' (policy)' : ''}, ${count(e.evaluated, 'rule')} evaluated`, e, e.verdict === 'ACCEPT' ? undefined : 'bad');
          s.details.push(...e.rules);
        }
        break;
      case 'nftables':
        lastNft.set(e.at, e);
        if (shown('netfilter')) {
          const s = add(e.at, `${e.bridged ? 'br_netfilter ' : ''}nft ${e.table} ${e.chain} (${e.hook} ${e.priority}): ${e.verdict}${e.policy ? ' (policy)' : ''}, ${count(e.evaluated, 'rule')} evaluated, ${count(e.lookups, 'lookup')}`, e, e.verdict === 'accept' ? undefined : 'bad');
          s.details.push(...e.rules, ...e.elements.map((x) => `= ${x}`));
        }
        break;
      case 'conntrack':
        if (shown('conntrack')) add(e.at, `conntrack ${e.state} ${e.dir}`, e, 'dim').details.push(e.entry);
        break;
      case 'nat':
        if (e.by === 'ipvs' || e.type === 'reverse' || show.netfilter === 'hidden') break;
        add(e.at, e.by === 'nftables' ? nftNatText(e, lastNft.get(e.at)) : natText(e, lastNf.get(e.at)), e, 'note');
        break;
      case 'ipvs':
        if (show.netfilter === 'hidden') break;
        add(e.at, ipvsText(e), e, e.action === 'no-destination' ? 'bad' : 'note');
        break;
      case 'policy':
        if (show.netfilter === 'hidden' && e.verdict === 'allow') break;
        add(e.at, `policy ${e.direction} ${e.pod}: ${e.verdict === 'allow' ? 'allowed' : 'denied'} ${policyWhy(e)}`, e, e.verdict === 'allow' ? 'good' : 'bad');
        break;
      case 'arp':
        if (e.action === 'failed') add(e.at, `ARP for ${e.ip} failed: no answer`, e, 'bad');
        else if (shown('arp') && e.action !== 'learned') add(e.at, `ARP ${e.action} ${e.ip}${e.mac ? ` ${e.mac}` : ''}${e.state ? ` [${e.state}]` : ''}`, e, 'dim');
        break;
      case 'rpfilter':
        // A drop says why itself; only the asymmetric packet loose mode lets through needs a line.
        if (e.result === 'loose-pass') add(e.at, `rp_filter 2 (loose): ${e.src} came in here but its route back is ${e.reverse}; allowed (strict mode would drop it)`, e, 'note');
        break;
      case 'icmp':
        add(e.at, e.suppressed ? `no ICMP ${e.message}: rate-limited (${RATE_LIMIT_TEXT[e.suppressed]})` : `answers with ICMP ${e.message}`, e, e.suppressed ? 'dim' : 'note');
        break;
      case 'http':
        add(e.at, e.message === 'request' ? `HTTP request read: ${e.method} ${e.host ?? ''}${e.path ?? ''}${e.forwardedFor ? ` (X-Forwarded-For ${e.forwardedFor})` : ''}` : `HTTP response read: ${e.status} (${e.bytes} B body)`, e, 'note');
        break;
      case 'ingress':
        add(e.at, ingressText(e), e, e.action === 'proxy' ? 'note' : e.action === 'retry' ? 'bad' : e.status !== undefined && e.status >= 500 ? 'bad' : 'note');
        break;
      case 'deliver':
        if (isFinalDelivery(e)) add(e.at, `delivered to ${e.socket?.startsWith(e.to) ? '' : `${e.to} `}${e.socket ?? ''}${e.src ? `, source seen ${endpoint(e.src, e.sport)}` : ''}`, e, 'good');
        else if (e.to === 'tunnel') add(e.at, `taken by the tunnel daemon (${deviceOf(e.at) ?? '?'})`, e);
        else if (e.to === 'reassembly') add(e.at, 'fragment held for reassembly', e, 'dim');
        break;
      case 'drop': {
        // A rule as the detail goes on its own line: it is long and it is the answer to "why".
        const isRule = e.detail.startsWith('-A ');
        const s = add(e.at, `dropped: ${e.reason}${isRule ? '' : `: ${e.detail}`}`, e, 'bad');
        const nf = lastNf.get(netnsOf(e.at));
        if (isRule) s.details.push(e.detail);
        else if (nf && nf.verdict !== 'ACCEPT' && (e.reason === 'netfilter-drop' || e.reason === 'netfilter-reject' || e.reason === 'policy-denied')) {
          const rule = nf.rules[nf.rules.length - 1];
          s.details.push(rule ?? `iptables -t ${nf.table} ${nf.chain} policy ${nf.verdict}`);
        }
        // An nftables drop or reject: the map element that sent it there says which Service it was.
        const nft = lastNft.get(netnsOf(e.at));
        if (nft && nft.verdict !== 'accept' && (e.reason === 'netfilter-drop' || e.reason === 'netfilter-reject')) s.details.push(...nft.elements.map((x) => `= ${x}`));
        break;
      }
      case 'tcp':
        add(e.at, `TCP ${e.action}: ${e.detail}`, e, e.action === 'established' || e.action === 'complete' || e.action === 'closed' ? 'good' : e.action === 'retransmit' || e.action === 'close' || e.action === 'keepalive' ? 'note' : 'bad');
        break;
      case 'change':
        add(e.at, `cluster change (${e.change}): ${e.detail}`, e, 'note');
        break;
      default:
        e satisfies never;
    }
  }
  return steps;
}

/** The controller's decision: which rule, which backend, which upstream (or why nginx answers itself). */
function ingressText(e: Extract<TraceEvent, { kind: 'ingress' }>): string {
  // A 400 comes while nginx parses the request line: no location was looked for.
  const rule =
    e.path !== undefined ? `rule ${e.ingress} ${e.host ?? '*'} ${e.path} (${e.pathType})` : e.status === 400 ? `server ${e.server}` : `no rule: ${e.ingress ? `defaultBackend of ${e.ingress}` : `server ${e.server}'s default backend`}`;
  if (e.action === 'proxy') {
    const of = e.candidates && e.candidates.length > 1 ? ` (1 of ${e.candidates.length})` : '';
    // An ExternalName: what the Lua balancer resolved the name to, or (not resolved) the placeholder and why.
    if (e.externalName !== undefined) {
      const why = e.reason ? `the placeholder server: ${e.reason}` : e.upstream?.startsWith(`${e.externalName}:`) ? `ExternalName ${e.externalName}` : `what ExternalName ${e.externalName} resolved to`;
      return `ingress ${rule} → ${e.backend}: connects to ${e.upstream}${of}, ${why}`;
    }
    return `ingress ${rule} → ${e.backend}: connects to ${e.upstreamIs} ${e.upstream}${of}`;
  }
  if (e.action === 'retry') return `ingress upstream ${e.upstream} failed: ${e.reason}; next upstream`;
  return `ingress ${rule}: nginx answers ${e.status}${e.reason ? ` (${e.reason})` : ''}`;
}

function arrows(addrs: string): string {
  return addrs.replace(' > ', ' → ');
}

/** `DNAT 10.96.0.11:80 → 10.244.2.2:8080 by KUBE-SEP-… (1 of 2)`: what NAT did, and the rule that decided it. */
function natText(e: Extract<TraceEvent, { kind: 'nat' }>, nf: NetfilterEvent | undefined): string {
  const side = (s: string): string => {
    const [src, dst] = s.split(' > ');
    return (e.manip === 'dst' ? dst : src) ?? s;
  };
  const target = e.type === 'MASQUERADE' ? '-j MASQUERADE' : `-j ${e.type}`;
  const rule = nf ? lastOf(nf.rules, (r) => r.includes(target)) : undefined;
  const chain = rule ? /^-A (\S+)/.exec(rule)?.[1] : undefined;
  const of = e.candidates && e.candidates.length > 1 ? ` (1 of ${e.candidates.length} endpoints)` : '';
  const how = e.first ? (chain ? ` by ${chain}` : '') : ' (existing connection)';
  return `${e.type} ${side(e.before)} → ${side(e.after)}${how}${of}`;
}

/** An nftables NAT: the chain whose statement decided it (`endpoint-…: meta l4proto tcp dnat to …`). */
function nftNatText(e: Extract<TraceEvent, { kind: 'nat' }>, nft: NftablesEvent | undefined): string {
  const side = (s: string): string => {
    const [src, dst] = s.split(' > ');
    return (e.manip === 'dst' ? dst : src) ?? s;
  };
  const stmt = e.type === 'MASQUERADE' ? ': masquerade' : e.type === 'DNAT' ? ' dnat to ' : ' snat to ';
  const rule = nft ? lastOf(nft.rules, (r) => r.includes(stmt)) : undefined;
  const chain = rule?.slice(0, rule.indexOf(': '));
  const of = e.candidates && e.candidates.length > 1 ? ` (1 of ${e.candidates.length} endpoints)` : '';
  return `${e.type} ${side(e.before)} → ${side(e.after)}${chain ? ` by nft chain ${chain}` : ''}${of}`;
}

function ipvsText(e: Extract<TraceEvent, { kind: 'ipvs' }>): string {
  const of = e.candidates && e.candidates.length > 1 ? ` (1 of ${e.candidates.length} real servers)` : '';
  switch (e.action) {
    case 'schedule':
    case 'persistent':
      return `IPVS ${e.service}: ${e.action === 'persistent' ? 'persistence template' : 'scheduled'} → ${e.chosen ?? '?'}${of}`;
    case 'existing':
      return `IPVS ${e.service}: existing connection → ${e.chosen ?? '?'}`;
    case 'reply':
    case 'related':
      return `IPVS ${e.service}: ${e.action} packet un-NATed`;
    case 'no-destination':
      return `IPVS ${e.service}: no real server`;
  }
}

function policyWhy(e: Extract<TraceEvent, { kind: 'policy' }>): string {
  switch (e.because) {
    case 'rule':
      return `by ${e.policy ?? '?'} ${e.direction}[${e.rule ?? '?'}]`;
    case 'no-rule':
      return `(isolated by ${e.isolatedBy.join(', ')}; no rule matched)`;
    case 'self':
      return '(the pod itself through its Service)';
    case 'node-local':
      return "(from the pod's own node)";
  }
}

/** What each ICMP rate limit allows (icmp-ratelimit.ts). */
const RATE_LIMIT_TEXT: Record<NonNullable<Extract<TraceEvent, { kind: 'icmp' }>['suppressed']>, string> = {
  icmp_ratelimit: 'icmp_ratelimit: 6 in a burst, then 1 a second per destination',
  icmp_msgs_per_sec: 'icmp_msgs_per_sec 1000, icmp_msgs_burst 50 for the namespace',
  ip_rt_error_cost: 'ip_rt_error_cost 1 s, ip_rt_error_burst 5 s per source, for what routing cannot forward',
};

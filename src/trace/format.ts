import type { TraceEvent } from './events.js';
import { count } from './plural.js';

/** Simulated time for people: microseconds with ns precision (`1250.290`). */
export function formatTime(ns: number): string {
  return (ns / 1000).toFixed(3);
}

/** The "what happened" column of a hop: one line, no layout. */
export function describeEvent(e: TraceEvent): string {
  switch (e.kind) {
    case 'create':
      return `new ${e.by} packet${e.cause ? ` (because of #${e.cause})` : ''}: ${addrs(e.frame)} ${e.frame.info}`;
    case 'tx':
    case 'rx':
      return `${e.kind} ${e.frame.len}B ${e.frame.srcMac && e.frame.dstMac ? `${e.frame.srcMac} > ${e.frame.dstMac} ` : ''}${addrs(e.frame)}${e.frame.ttl !== undefined ? ` ttl ${e.frame.ttl}` : ''} ${e.frame.info}`;
    case 'arp':
      return `arp ${e.action} ${e.ip}${e.mac ? ` ${e.mac}` : ''}${e.state ? ` [${e.state}]` : ''}`;
    case 'fdb':
      return `fdb ${e.action} ${e.mac}${e.port ? ` -> ${e.port}` : ''}`;
    case 'route':
      return `route ${e.decision} ${e.dst}: ${e.route}${e.nexthop ? ` -> nexthop ${e.nexthop} (by flow hash, 1 of ${e.nexthops ?? 0})` : ''}${e.ipvsLocal ? ' (IPVS real server on this host: up to the socket without LOCAL_OUT, no OUTPUT rules)' : ''}`;
    case 'forward':
      return `forward, ttl now ${e.ttl}`;
    case 'rpfilter':
      return `rp_filter ${e.mode} ${e.result} from ${e.src}: route back ${e.reverse}`;
    case 'icmp':
      return `icmp ${e.message} (about #${e.about})${e.suppressed ? ` suppressed: ${e.suppressed}` : ''}`;
    case 'encap':
    case 'decap':
      return `${e.kind}${e.vni === undefined ? '' : ` vni ${e.vni}`} ${e.outer} (${e.kind === 'encap' ? '+' : '-'}${e.bytes} B)`;
    case 'netfilter':
      // One line per rule taken, so that a walk through KUBE-SERVICES reads like iptables-save.
      return [`${e.bridged ? 'br_netfilter ' : ''}iptables -t ${e.table} ${e.chain}: ${e.verdict}${e.policy ? ' (policy)' : ''} [${count(e.evaluated, 'rule')} evaluated]`, ...e.rules.map((r) => `  ${r}`)].join('\n');
    case 'nftables':
      // The base chain, then one line per rule taken and per set/map element that matched.
      return [
        `${e.bridged ? 'br_netfilter ' : ''}nft ${e.table} ${e.chain} (${e.hook} ${e.priority}): ${e.verdict}${e.policy ? ' (policy)' : ''} [${count(e.evaluated, 'rule')}, ${count(e.lookups, 'lookup')}]`,
        ...e.rules.map((r) => `  ${r}`),
        ...e.elements.map((x) => `  = ${x}`),
      ].join('\n');
    case 'conntrack':
      return `conntrack ${e.state} ${e.dir}: ${e.entry}`;
    case 'nat':
      return `${e.by === 'ipvs' ? 'IPVS ' : e.by === 'nftables' ? 'nft ' : ''}${e.type} ${e.manip} ${e.before} -> ${e.after}${e.first ? '' : e.by === 'ipvs' ? ' (IPVS connection)' : ' (conntrack binding)'}${e.candidates ? ` (candidates: ${e.candidates.join(', ')})` : ''}`;
    case 'ipvs':
      return `ipvs ${e.action} ${e.service}${e.chosen ? ` -> ${e.chosen}` : ''}${e.candidates && e.candidates.length > 0 ? ` (candidates: ${e.candidates.join(', ')})` : ''}${e.conn ? ` [${e.conn}]` : ''}`;
    case 'policy':
      return `policy ${e.direction} ${e.pod}: ${e.verdict.toUpperCase()} ${policyWhy(e)}`;
    case 'http':
      return e.message === 'request'
        ? `http request ${e.method} ${e.host ?? ''}${e.path} (${e.bytes} B body)${e.forwardedFor ? ` X-Forwarded-For: ${e.forwardedFor}` : ''}`
        : `http response ${e.status} (${e.bytes} B body)`;
    case 'ingress':
      return describeIngress(e);
    case 'deliver':
      return `DELIVER to ${e.to}${e.socket ? ` ${e.socket}` : ''}${e.src ? ` from ${e.src}${e.sport ? `:${e.sport}` : ''}` : ''}`;
    case 'drop':
      return `DROP ${e.reason}: ${e.detail}`;
    case 'tcp':
      return `TCP ${e.action} ${e.conn}: ${e.detail}`;
    case 'change':
      return `CHANGE ${e.change}: ${e.detail}`;
  }
}

function describeIngress(e: Extract<TraceEvent, { kind: 'ingress' }>): string {
  const rule = e.ingress ? `${e.ingress} ${e.host ?? '*'}${e.path ? ` ${e.path}` : ''}${e.pathType ? ` (${e.pathType})` : ''}` : `server ${e.server} default`;
  switch (e.action) {
    case 'proxy':
      return `ingress ${rule} -> ${e.backend ?? 'default backend'} via ${e.upstreamIs}${e.externalName ? ` ${e.externalName}` : ''} ${e.upstream}${e.candidates && e.candidates.length > 1 ? ` (candidates: ${e.candidates.join(', ')})` : ''}${e.reason ? ` (${e.reason})` : ''}`;
    case 'retry':
      return `ingress upstream ${e.upstream} failed (${e.reason}), next upstream`;
    case 'respond':
      return `ingress ${rule}: answers ${e.status}${e.reason ? ` (${e.reason})` : ''}`;
  }
}

function policyWhy(e: Extract<TraceEvent, { kind: 'policy' }>): string {
  switch (e.because) {
    case 'rule':
      return `by ${e.policy} ${e.direction}[${e.rule}]${e.peer ? ` ${e.peer}` : ''}`;
    case 'no-rule':
      return `no rule matched; isolated by ${e.isolatedBy.join(', ')}`;
    case 'self':
      return 'the pod itself, through its Service (always allowed)';
    case 'node-local':
      return "from the pod's own node (always allowed)";
  }
}

function addrs(f: { src?: string; dst?: string; sport?: number; dport?: number }): string {
  if (!f.src && !f.dst) return '';
  const s = f.sport !== undefined ? `${f.src}:${f.sport}` : f.src;
  const d = f.dport !== undefined ? `${f.dst}:${f.dport}` : f.dst;
  return `${s} > ${d}`;
}

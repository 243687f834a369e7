import type { SchedulerName } from '../../../kernel/ipvs/schedulers.js';
import { parseCidr, parseIpv4, prefixMask } from '../../../wire/addr.js';
import type { EndpointSliceInput, ServiceInput } from '../../spec.js';
import { resolveConfig, type ProxierConfig } from '../config.js';
import { categorizeEndpoints, endpointsFor, slicesByService } from '../endpoints.js';
import { servicePortInfos } from '../service-port.js';
import { rangesAllowNode } from '../source-ranges.js';

/**
 * kube-proxy's ipvs mode (pkg/proxy/ipvs), for one node: what it binds to the
 * kube-ipvs0 dummy device, the IPVS virtual services and real servers it
 * creates, the ipsets it fills, and the iptables rules that remain (masquerade
 * marks, hairpin, the KUBE-IPVS-FILTER guard), as restore texts the kernel
 * model parses. Every virtual service gets the configured scheduler (`--ipvs-scheduler`,
 * default rr); `sessionAffinity: ClientIP` becomes persistence.
 */
export interface IpvsPlan {
  /** Addresses bound to kube-ipvs0 (cluster IPs; external and load-balancer IPs that are not already the node's). */
  bound: string[];
  virtualServers: PlannedVirtualServer[];
  /** `ipset restore` text. */
  ipsets: string;
  /** Jump rules kube-proxy ensures (prepended) in the built-in chains. */
  jumps: string;
  /** `iptables-restore --noflush` text of its chains. */
  rules: string;
}

export interface PlannedVirtualServer {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  vip: string;
  port: number;
  scheduler: SchedulerName;
  persistentSec?: number;
  dests: { ip: string; port: number }[];
  /** `ns/svc:port` for people. */
  service: string;
}

/** The ipsets ipvs mode creates (ipsetInfo), with their types and comments. */
export const IPVS_SETS = {
  'KUBE-LOOP-BACK': ['hash:ip,port,ip', 'Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose'],
  'KUBE-CLUSTER-IP': ['hash:ip,port', 'Kubernetes service cluster ip + port for masquerade purpose'],
  'KUBE-EXTERNAL-IP': ['hash:ip,port', 'Kubernetes service external ip + port for masquerade and filter purpose'],
  'KUBE-EXTERNAL-IP-LOCAL': ['hash:ip,port', 'Kubernetes service external ip + port with externalTrafficPolicy=local'],
  'KUBE-LOAD-BALANCER': ['hash:ip,port', 'Kubernetes service lb portal'],
  'KUBE-LOAD-BALANCER-FW': ['hash:ip,port', 'Kubernetes service load balancer ip + port for load balancer with sourceRange'],
  'KUBE-LOAD-BALANCER-LOCAL': ['hash:ip,port', 'Kubernetes service load balancer ip + port with externalTrafficPolicy=local'],
  'KUBE-LOAD-BALANCER-SOURCE-IP': ['hash:ip,port,ip', 'Kubernetes service load balancer ip + port + source IP for packet filter purpose'],
  'KUBE-LOAD-BALANCER-SOURCE-CIDR': ['hash:ip,port,net', 'Kubernetes service load balancer ip + port + source cidr for packet filter purpose'],
  'KUBE-NODE-PORT-TCP': ['bitmap:port', 'Kubernetes nodeport TCP port for masquerade purpose'],
  'KUBE-NODE-PORT-LOCAL-TCP': ['bitmap:port', 'Kubernetes nodeport TCP port with externalTrafficPolicy=local'],
  'KUBE-NODE-PORT-UDP': ['bitmap:port', 'Kubernetes nodeport UDP port for masquerade purpose'],
  'KUBE-NODE-PORT-LOCAL-UDP': ['bitmap:port', 'Kubernetes nodeport UDP port with externalTrafficPolicy=local'],
  'KUBE-NODE-PORT-SCTP-HASH': ['hash:ip,port', "Kubernetes nodeport SCTP port for masquerade purpose with type 'hash ip:port'"],
  'KUBE-NODE-PORT-LOCAL-SCTP-HASH': ['hash:ip,port', "Kubernetes nodeport SCTP port with externalTrafficPolicy=local with type 'hash ip:port'"],
  'KUBE-HEALTH-CHECK-NODE-PORT': ['bitmap:port', 'Kubernetes health check node port'],
  'KUBE-IPVS-IPS': ['hash:ip', 'IPVS service ip'],
} as const;
type SetName = keyof typeof IPVS_SETS;

/** ipsetWithIptablesChain: sets that get one jump rule each when they are not empty, in upstream's order. */
const SET_RULES: { set: SetName; table: 'nat' | 'filter'; from: string; to: string; match: string; proto?: string }[] = [
  { set: 'KUBE-LOOP-BACK', table: 'nat', from: 'KUBE-POSTROUTING', to: 'MASQUERADE', match: 'dst,dst,src' },
  { set: 'KUBE-LOAD-BALANCER', table: 'nat', from: 'KUBE-SERVICES', to: 'KUBE-LOAD-BALANCER', match: 'dst,dst' },
  { set: 'KUBE-LOAD-BALANCER-LOCAL', table: 'nat', from: 'KUBE-LOAD-BALANCER', to: 'RETURN', match: 'dst,dst' },
  { set: 'KUBE-NODE-PORT-LOCAL-TCP', table: 'nat', from: 'KUBE-NODE-PORT', to: 'RETURN', match: 'dst', proto: 'tcp' },
  { set: 'KUBE-NODE-PORT-TCP', table: 'nat', from: 'KUBE-NODE-PORT', to: 'KUBE-MARK-MASQ', match: 'dst', proto: 'tcp' },
  { set: 'KUBE-NODE-PORT-LOCAL-UDP', table: 'nat', from: 'KUBE-NODE-PORT', to: 'RETURN', match: 'dst', proto: 'udp' },
  { set: 'KUBE-NODE-PORT-UDP', table: 'nat', from: 'KUBE-NODE-PORT', to: 'KUBE-MARK-MASQ', match: 'dst', proto: 'udp' },
  { set: 'KUBE-NODE-PORT-LOCAL-SCTP-HASH', table: 'nat', from: 'KUBE-NODE-PORT', to: 'RETURN', match: 'dst,dst', proto: 'sctp' },
  { set: 'KUBE-NODE-PORT-SCTP-HASH', table: 'nat', from: 'KUBE-NODE-PORT', to: 'KUBE-MARK-MASQ', match: 'dst,dst', proto: 'sctp' },
  { set: 'KUBE-LOAD-BALANCER-FW', table: 'filter', from: 'KUBE-PROXY-FIREWALL', to: 'KUBE-SOURCE-RANGES-FIREWALL', match: 'dst,dst' },
  { set: 'KUBE-LOAD-BALANCER-SOURCE-CIDR', table: 'filter', from: 'KUBE-SOURCE-RANGES-FIREWALL', to: 'RETURN', match: 'dst,dst,src' },
  { set: 'KUBE-LOAD-BALANCER-SOURCE-IP', table: 'filter', from: 'KUBE-SOURCE-RANGES-FIREWALL', to: 'RETURN', match: 'dst,dst,src' },
];

/** iptablesJumpChain, in upstream's order; each is prepended, so the last one ends up first. */
const JUMPS: [table: 'nat' | 'filter', from: string, to: string, comment: string][] = [
  ['nat', 'OUTPUT', 'KUBE-SERVICES', 'kubernetes service portals'],
  ['nat', 'PREROUTING', 'KUBE-SERVICES', 'kubernetes service portals'],
  ['nat', 'POSTROUTING', 'KUBE-POSTROUTING', 'kubernetes postrouting rules'],
  ['filter', 'FORWARD', 'KUBE-FORWARD', 'kubernetes forwarding rules'],
  ['filter', 'INPUT', 'KUBE-NODE-PORT', 'kubernetes health check rules'],
  ['filter', 'INPUT', 'KUBE-PROXY-FIREWALL', 'kube-proxy firewall rules'],
  ['filter', 'FORWARD', 'KUBE-PROXY-FIREWALL', 'kube-proxy firewall rules'],
  ['filter', 'INPUT', 'KUBE-IPVS-FILTER', 'kubernetes ipvs access filter'],
  ['filter', 'OUTPUT', 'KUBE-IPVS-OUT-FILTER', 'kubernetes ipvs access filter'],
];

const NAT_CHAINS = ['KUBE-SERVICES', 'KUBE-POSTROUTING', 'KUBE-NODE-PORT', 'KUBE-LOAD-BALANCER', 'KUBE-MARK-MASQ'];
const FILTER_CHAINS = ['KUBE-FORWARD', 'KUBE-NODE-PORT', 'KUBE-PROXY-FIREWALL', 'KUBE-SOURCE-RANGES-FIREWALL', 'KUBE-IPVS-FILTER', 'KUBE-IPVS-OUT-FILTER'];

export function planIpvs(cfg: ProxierConfig, services: readonly ServiceInput[], slices: readonly EndpointSliceInput[], scheduler: SchedulerName = 'rr'): IpvsPlan {
  const c = resolveConfig(cfg);
  // NodePorts open on every local address but loopback (upstream lists them
  // all, kube-ipvs0's VIPs aside: cbr0's and flannel.1's too) when
  // --nodeport-addresses is unset, else on the addresses it selects, loopback
  // dropped: ipvs cannot serve 127.0.0.1 as iptables mode's route_localnet does.
  const nodePortAddrs = (c.nodePortsOnAllAddresses ? (cfg.localAddresses ?? c.nodeIPs) : c.nodePortIPs).filter((ip, i, all) => !ip.startsWith('127.') && all.indexOf(ip) === i);
  const members = new Map<SetName, Set<string>>(Object.keys(IPVS_SETS).map((k) => [k as SetName, new Set<string>()]));
  const add = (s: SetName, m: string): void => void members.get(s)!.add(m);
  const bound = new Set<string>();
  // nodeAddressSet (GetAllLocalAddressesExcept kube-ipvs0): an external or load-balancer IP that is already one of
  // the node's own addresses is served where it is, not bound again to kube-ipvs0 (and so not in KUBE-IPVS-IPS,
  // which KUBE-IPVS-FILTER rejects other ports of). Cluster IPs are always bound.
  const nodeAddrs = new Set(cfg.localAddresses ?? [...c.nodeIPs, '127.0.0.1']);
  const bindUnlessNodeAddress = (ip: string): void => {
    if (!nodeAddrs.has(ip)) bound.add(ip);
  };
  const vss: PlannedVirtualServer[] = [];
  // lbNoNodeAccessIPPortProtocolEntries (kubernetes#119656): load-balancer IP:ports whose source ranges leave out
  // the node's IP. The node's own connection to such a VIP (bound to kube-ipvs0, so its source is the VIP itself)
  // goes through IPVS at LOCAL_OUT and never meets KUBE-PROXY-FIREWALL: KUBE-IPVS-OUT-FILTER drops it in filter OUTPUT.
  const noNodeAccess: { ip: string; proto: string; port: number }[] = [];
  const nodeIP = c.nodeIPs[0];
  const bySvc = slicesByService(slices);
  for (const svc of services) {
    for (const sp of servicePortInfos(svc)) {
      const proto = sp.proto;
      const eps = endpointsFor(sp, bySvc.get(`${sp.namespace}/${sp.serviceName}`) ?? [], c.nodeName);
      const cat = categorizeEndpoints(sp, eps, c.nodeZone);
      // syncEndpoint: Local policy uses this node's endpoints, and falls back to the cluster's when there
      // are none here (kubernetes#97081: local pods can still reach the Service; external replies break).
      const pick = (onlyLocal: boolean): { ip: string; port: number }[] => (onlyLocal && cat.local.length > 0 ? cat.local : cat.cluster.length > 0 ? cat.cluster : cat.local).map((e) => ({ ip: e.ip, port: e.port }));
      const vs = (vip: string, port: number, onlyLocal: boolean): void => {
        vss.push({ protocol: sp.protocol, vip, port, scheduler, ...(sp.sessionAffinityClientIP ? { persistentSec: sp.stickyMaxAgeSeconds } : {}), dests: pick(onlyLocal), service: sp.nameString });
      };
      for (const ep of eps) if (ep.local) add('KUBE-LOOP-BACK', `${ep.ip},${proto}:${ep.port},${ep.ip}`);
      add('KUBE-CLUSTER-IP', `${sp.clusterIP},${proto}:${sp.port}`);
      bound.add(sp.clusterIP);
      vs(sp.clusterIP, sp.port, sp.internalPolicyLocal);
      for (const ip of sp.externalIPs) {
        add(sp.externalPolicyLocal ? 'KUBE-EXTERNAL-IP-LOCAL' : 'KUBE-EXTERNAL-IP', `${ip},${proto}:${sp.port}`);
        bindUnlessNodeAddress(ip);
        vs(ip, sp.port, sp.externalPolicyLocal);
      }
      for (const ip of sp.loadBalancerVIPs) {
        add('KUBE-LOAD-BALANCER', `${ip},${proto}:${sp.port}`);
        if (sp.externalPolicyLocal) add('KUBE-LOAD-BALANCER-LOCAL', `${ip},${proto}:${sp.port}`);
        if (sp.loadBalancerSourceRanges.length > 0) {
          add('KUBE-LOAD-BALANCER-FW', `${ip},${proto}:${sp.port}`);
          for (const cidr of sp.loadBalancerSourceRanges) add('KUBE-LOAD-BALANCER-SOURCE-CIDR', `${ip},${proto}:${sp.port},${cidr}`);
          // allowFromNode: a range holding the node's IP lets the node in, as a request from the VIP itself
          // (a route that loops the VIP back locally) to the VIP: KUBE-LOAD-BALANCER-SOURCE-IP VIP,proto:port,VIP.
          if (rangesAllowNode(sp.loadBalancerSourceRanges, nodeIP)) add('KUBE-LOAD-BALANCER-SOURCE-IP', `${ip},${proto}:${sp.port},${ip}`);
          else noNodeAccess.push({ ip, proto, port: sp.port });
        }
        bindUnlessNodeAddress(ip);
        vs(ip, sp.port, sp.externalPolicyLocal);
      }
      if (sp.nodePort > 0) {
        if (sp.protocol !== 'SCTP') {
          const P = proto.toUpperCase() as 'TCP' | 'UDP';
          add(`KUBE-NODE-PORT-${P}`, String(sp.nodePort));
          if (sp.externalPolicyLocal) add(`KUBE-NODE-PORT-LOCAL-${P}`, String(sp.nodePort));
        } else {
          // SCTP's sets are hash:ip,port, not bitmap:port: one entry per node address the port is open on.
          for (const ip of nodePortAddrs) {
            add('KUBE-NODE-PORT-SCTP-HASH', `${ip},${proto}:${sp.nodePort}`);
            if (sp.externalPolicyLocal) add('KUBE-NODE-PORT-LOCAL-SCTP-HASH', `${ip},${proto}:${sp.nodePort}`);
          }
        }
        for (const ip of nodePortAddrs) vs(ip, sp.nodePort, sp.externalPolicyLocal);
      }
      if (sp.healthCheckNodePort > 0) add('KUBE-HEALTH-CHECK-NODE-PORT', String(sp.healthCheckNodePort));
    }
  }
  for (const ip of bound) add('KUBE-IPVS-IPS', ip);

  const setLines: string[] = [];
  for (const [name, [type]] of Object.entries(IPVS_SETS)) {
    setLines.push(`create ${name} ${type}${type === 'bitmap:port' ? ' range 0-65535' : ''}`);
    for (const m of members.get(name as SetName)!) setLines.push(`add ${name} ${m}`);
  }
  const nonEmpty = (s: SetName): boolean => members.get(s)!.size > 0;
  const nat: string[] = ['-A KUBE-SERVICES -s 127.0.0.0/8 -j RETURN'];
  const filter: string[] = [];
  for (const r of SET_RULES) {
    if (!nonEmpty(r.set)) continue;
    (r.table === 'nat' ? nat : filter).push(`-A ${r.from}${r.proto ? ` -p ${r.proto}` : ''} -m comment --comment "${IPVS_SETS[r.set][1]}" -m set --match-set ${r.set} ${r.match} -j ${r.to}`);
  }
  if (nonEmpty('KUBE-CLUSTER-IP')) {
    const base = `-A KUBE-SERVICES -m comment --comment "${IPVS_SETS['KUBE-CLUSTER-IP'][1]}" -m set --match-set KUBE-CLUSTER-IP`;
    // masqueradeAll: everything to a cluster IP; a local-traffic detector: what does not come from a pod.
    // Without one, only what the node itself sends from a Service address (the VIP a local route to
    // kube-ipvs0 gives as source) to that Service's port: pods are never masqueraded.
    if (c.masqueradeAll) nat.push(`${base} dst,dst -j KUBE-MARK-MASQ`);
    else if (c.clusterCIDR) nat.push(`${base} dst,dst ! -s ${c.clusterCIDR} -j KUBE-MARK-MASQ`);
    else nat.push(`${base} src,dst -j KUBE-MARK-MASQ`);
  }
  for (const s of ['KUBE-EXTERNAL-IP', 'KUBE-EXTERNAL-IP-LOCAL'] as const) {
    if (!nonEmpty(s)) continue;
    const base = `-A KUBE-SERVICES -m comment --comment "${IPVS_SETS[s][1]}" -m set --match-set ${s} dst,dst`;
    if (s === 'KUBE-EXTERNAL-IP') nat.push(`${base} -j KUBE-MARK-MASQ`);
    nat.push(`${base} -m physdev ! --physdev-is-in -m addrtype ! --src-type LOCAL -j ACCEPT`, `${base} -m addrtype --dst-type LOCAL -j ACCEPT`);
  }
  nat.push('-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT', '-A KUBE-LOAD-BALANCER -j KUBE-MARK-MASQ');
  filter.push('-A KUBE-SOURCE-RANGES-FIREWALL -j DROP');
  // After IPVS (filter OUTPUT sits behind its LOCAL_OUT hook) the packet goes to the real server, so the VIP is
  // matched on the IPVS connection (-m ipvs), and the source is the VIP the local route to kube-ipvs0 gave it.
  for (const e of noNodeAccess) filter.push(`-A KUBE-IPVS-OUT-FILTER -s ${e.ip} -m ipvs --vaddr ${e.ip} --vproto ${e.proto} --vport ${e.port} -j DROP`);
  for (const s of ['KUBE-CLUSTER-IP', 'KUBE-LOAD-BALANCER'] as const) if (nonEmpty(s)) nat.push(`-A KUBE-SERVICES -m set --match-set ${s} dst,dst -j ACCEPT`);
  filter.push(
    `-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark ${c.masqueradeMark}/${c.masqueradeMark} -j ACCEPT`,
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    `-A KUBE-NODE-PORT -m comment --comment "${IPVS_SETS['KUBE-HEALTH-CHECK-NODE-PORT'][1]}" -m set --match-set KUBE-HEALTH-CHECK-NODE-PORT dst -j ACCEPT`,
    // kubernetes#72236: a service IP answers only on its service ports; anything else NEW is rejected.
    '-A KUBE-IPVS-FILTER -m set --match-set KUBE-LOAD-BALANCER dst,dst -j RETURN',
    '-A KUBE-IPVS-FILTER -m set --match-set KUBE-CLUSTER-IP dst,dst -j RETURN',
    '-A KUBE-IPVS-FILTER -m set --match-set KUBE-EXTERNAL-IP dst,dst -j RETURN',
    '-A KUBE-IPVS-FILTER -m set --match-set KUBE-EXTERNAL-IP-LOCAL dst,dst -j RETURN',
    '-A KUBE-IPVS-FILTER -m set --match-set KUBE-HEALTH-CHECK-NODE-PORT dst -j RETURN',
    '-A KUBE-IPVS-FILTER -m conntrack --ctstate NEW -m set --match-set KUBE-IPVS-IPS dst -j REJECT',
  );
  nat.push(
    `-A KUBE-POSTROUTING -m mark ! --mark ${c.masqueradeMark}/${c.masqueradeMark} -j RETURN`,
    `-A KUBE-POSTROUTING -j MARK --xor-mark ${c.masqueradeMark}`,
    `-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE${c.randomFully ? ' --random-fully' : ''}`,
    `-A KUBE-MARK-MASQ -j MARK --or-mark ${c.masqueradeMark}`,
  );
  const rules = ['*filter', ...FILTER_CHAINS.map((x) => `:${x} - [0:0]`), ...filter, 'COMMIT', '*nat', ...NAT_CHAINS.map((x) => `:${x} - [0:0]`), ...nat, 'COMMIT', ''].join('\n');
  const jumps = (['filter', 'nat'] as const)
    .map((t) => [`*${t}`, ...[...FILTER_CHAINS, ...NAT_CHAINS].filter((x, i, a) => a.indexOf(x) === i && (t === 'nat' ? NAT_CHAINS : FILTER_CHAINS).includes(x)).map((x) => `:${x} - [0:0]`), ...JUMPS.filter((j) => j[0] === t).map((j) => `-I ${j[1]} 1 -m comment --comment "${j[3]}" -j ${j[2]}`), 'COMMIT'].join('\n'))
    .join('\n');
  return { bound: [...bound], virtualServers: vss, ipsets: `${setLines.join('\n')}\n`, jumps: `${jumps}\n`, rules };
}

/** A virtual server as `ipvsadm -Ln` lists it: protocol, address, port. */
export interface VirtualServerKey {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  vip: string;
  port: number;
}

/**
 * cleanLegacyService: the virtual servers kube-proxy deletes at the end of a
 * sync, i.e. those in the kernel it did not (re)create in this sync, except
 * the ones whose address is in `--ipvs-exclude-cidrs`: IPVS is shared with
 * anything else on the node (another load balancer, keepalived), and without
 * the exclusion kube-proxy deletes their virtual servers every sync period.
 */
export function legacyVirtualServers(existing: readonly VirtualServerKey[], planned: readonly VirtualServerKey[], excludeCIDRs: readonly string[]): VirtualServerKey[] {
  const keep = new Set(planned.map(vsKey));
  const excluded = excludeCIDRs.map((c) => parseCidr(c)!);
  return existing.filter((v) => {
    if (keep.has(vsKey(v))) return false;
    const ip = parseIpv4(v.vip)!;
    return !excluded.some((c) => ((ip ^ c.network) & prefixMask(c.prefix)) === 0);
  });
}

function vsKey(v: VirtualServerKey): string {
  return `${v.protocol} ${v.vip}:${v.port}`;
}

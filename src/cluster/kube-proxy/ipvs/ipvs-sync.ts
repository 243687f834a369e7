import type { Ipvs, VirtualService } from '../../../kernel/ipvs/ipvs.js';
import type { Dest } from '../../../kernel/ipvs/schedulers.js';
import type { Netfilter } from '../../../kernel/netfilter/netfilter.js';
import type { NetNs } from '../../../kernel/netns.js';
import { formatIpv4, parseIpv4 } from '../../../wire/addr.js';
import { applyIpsets } from './ipvs-ipsets.js';
import { IPVS_SETS, legacyVirtualServers, planIpvs, type IpvsPlan } from './ipvs-proxier.js';
import type { ProxierConfig } from '../index.js';
import { KUBE_IPVS_DEV } from '../../node-import.js';
import type { ControlPlaneInput, IpvsProxyInput } from '../../spec.js';

/** kube-proxy's graceful termination manager looks at its list once a minute (rsCheckDeleteInterval). */
export const RS_CHECK_DELETE_INTERVAL_NS = 60e9;

/**
 * kube-proxy's ipvs-mode re-sync on one node after an EndpointSlice change
 * (pkg/proxy/ipvs syncProxyRules / syncEndpoint, graceful_termination.go):
 * - a new endpoint becomes a real server (`ipvsadm -a ... -w 1`);
 * - a removed endpoint's real server is deleted at once if it has no
 *   connections, or is UDP/SCTP (their connections go on their next packet,
 *   net.ipv4.vs.expire_nodest_conn = 1); otherwise it gets weight 0 (new
 *   connections avoid it, existing ones keep flowing) and joins the graceful
 *   termination list, which is checked every minute from kube-proxy's start:
 *   a real server whose ActiveConn + InActConn reached 0 is deleted then;
 * - an endpoint that comes back while its real server is on that list is
 *   taken off it (deleted and added again, weight 1);
 * - the ipsets are refilled and kube-proxy's iptables chains restored;
 * - addresses no Service uses any more are removed from kube-ipvs0.
 * Each IPVS change is a `proxy-sync` change event, written as the ipvsadm
 * command that does the same.
 */
export class IpvsSync {
  /** Real servers waiting for their connections to end, by `proto vip:port/rip:rport`. */
  private readonly terminating = new Map<string, { svc: VirtualService; dest: Dest }>();
  private checkAt: number | undefined;

  constructor(
    private readonly ns: NetNs,
    private readonly ipvs: Ipvs,
    private readonly rules: Netfilter,
    private readonly config: ProxierConfig,
    private readonly settings: IpvsProxyInput | undefined,
  ) {}

  sync(cp: ControlPlaneInput): void {
    const plan = planIpvs(this.config, cp.services, cp.endpointSlices, this.settings?.scheduler);
    this.bind(plan);
    const existing = this.ipvs.virtualServices().map((v) => ({ protocol: v.protocol, vip: formatIpv4(v.vip), port: v.port }));
    for (const v of legacyVirtualServers(existing, plan.virtualServers, this.settings?.excludeCIDRs ?? [])) {
      this.ipvs.deleteService(v.protocol, parseIpv4(v.vip)!, v.port);
      this.trace(`ipvsadm -D ${flag(v.protocol)} ${v.vip}:${v.port} (Service gone)`);
    }
    for (const v of plan.virtualServers) {
      const vip = parseIpv4(v.vip)!;
      let svc = this.ipvs.service(v.protocol, vip, v.port);
      const opts = `-s ${v.scheduler}${v.persistentSec === undefined ? '' : ` -p ${v.persistentSec}`}`;
      if (!svc) {
        svc = this.ipvs.addService({ protocol: v.protocol, vip, port: v.port, scheduler: v.scheduler, ...(v.persistentSec === undefined ? {} : { persistentSec: v.persistentSec }) });
        this.trace(`ipvsadm -A ${flag(v.protocol)} ${v.vip}:${v.port} ${opts}`);
      } else if (svc.scheduler !== v.scheduler || svc.persistentSec !== v.persistentSec) {
        // syncService: the applied virtual server differs (VirtualServer.Equal: scheduler, flags, timeout): UpdateVirtualServer.
        this.ipvs.editService(svc, { scheduler: v.scheduler, persistentSec: v.persistentSec });
        this.trace(`ipvsadm -E ${flag(v.protocol)} ${v.vip}:${v.port} ${opts} (Service changed)`);
      }
      this.syncEndpoints(svc, v.dests.map((d) => ({ ip: parseIpv4(d.ip)!, port: d.port })));
    }
    // ipset restore: each set's members replaced; then the chains (a declared chain is flushed and rewritten).
    const sets = Object.keys(IPVS_SETS).flatMap((name) => [`flush ${name}`, ...plan.ipsets.split('\n').filter((l) => l.startsWith(`add ${name} `))]);
    applyIpsets(this.ns, this.rules.ipsets, `${sets.join('\n')}\n`);
    this.rules.restore(plan.rules, { noflush: true });
    this.unbind(plan);
  }

  /** syncEndpoint: this virtual service's real servers made to match the endpoints. */
  private syncEndpoints(svc: VirtualService, wanted: readonly { ip: number; port: number }[]): void {
    const key = (ip: number, port: number): string => `${formatIpv4(ip)}:${port}`;
    const want = new Set(wanted.map((d) => key(d.ip, d.port)));
    for (const d of wanted) {
      const cur = this.ipvs.dest(svc, d.ip, d.port);
      const name = this.uniqueName(svc, d.ip, d.port);
      if (cur && !this.terminating.has(name)) continue;
      if (cur) {
        // MoveRSOutofGracefulDeleteList: deleted now, then added back below with weight 1.
        this.terminating.delete(name);
        this.ipvs.deleteDest(svc, cur);
        this.trace(`ipvsadm -d ${flag(svc.protocol)} ${vs(svc)} -r ${key(d.ip, d.port)} (endpoint back: off the graceful termination list)`);
      }
      this.ipvs.addDest(svc, d.ip, d.port, 1);
      this.trace(`ipvsadm -a ${flag(svc.protocol)} ${vs(svc)} -r ${key(d.ip, d.port)} -m -w 1`);
    }
    for (const d of [...svc.dests]) {
      if (want.has(key(d.ip, d.port))) continue;
      const name = this.uniqueName(svc, d.ip, d.port);
      if (this.terminating.has(name)) continue;
      this.gracefulDelete(svc, d, name);
    }
  }

  /** GracefulDeleteRS: delete now if nothing holds it, else weight 0 and on the list. */
  private gracefulDelete(svc: VirtualService, d: Dest, name: string): void {
    if (this.tryDelete(svc, d, 'endpoint gone')) return;
    this.ipvs.setWeight(d, 0);
    this.terminating.set(name, { svc, dest: d });
    this.trace(`ipvsadm -e ${flag(svc.protocol)} ${vs(svc)} -r ${formatIpv4(d.ip)}:${d.port} -m -w 0 (endpoint gone; graceful termination: ${d.activeConns} active, ${d.inactConns} inactive connection(s))`);
    this.scheduleCheck();
  }

  /** deleteRsFunc: UDP and SCTP real servers go at once; others only without connections. */
  private tryDelete(svc: VirtualService, d: Dest, why: string): boolean {
    const graceful = svc.protocol === 'TCP';
    if (graceful && d.activeConns + d.inactConns > 0) return false;
    const left = d.activeConns + d.inactConns;
    this.ipvs.deleteDest(svc, d);
    // What becomes of the connections left is the node's expire_nodest_conn (as the kernel's ip_vs_in reads it).
    const expireOnPacket = this.ns.limits['net.ipv4.vs.expire_nodest_conn'] === 1;
    const fate = expireOnPacket ? 'expire on their next packet (expire_nodest_conn = 1)' : 'stay until their timer fires, their packets dropped (expire_nodest_conn = 0)';
    const note = left > 0 ? `; its ${left} connection(s) ${fate}` : '';
    this.trace(`ipvsadm -d ${flag(svc.protocol)} ${vs(svc)} -r ${formatIpv4(d.ip)}:${d.port} (${why}${note})`);
    return true;
  }

  /** The once-a-minute check (wait.Until from kube-proxy's start: t = 0, 60 s, 120 s, ...), only while the list has work. */
  private scheduleCheck(): void {
    if (this.checkAt !== undefined) return;
    const sched = this.ns.world.sched;
    const at = (Math.floor(sched.now / RS_CHECK_DELETE_INTERVAL_NS) + 1) * RS_CHECK_DELETE_INTERVAL_NS;
    this.checkAt = at;
    sched.at(at, () => {
      this.checkAt = undefined;
      this.ipvs.expireConnections();
      for (const [name, { svc, dest }] of [...this.terminating]) {
        if (this.tryDelete(svc, dest, 'graceful termination: no connections left')) this.terminating.delete(name);
      }
      if (this.terminating.size > 0) this.scheduleCheck();
    });
  }

  /** New Service addresses are bound to kube-ipvs0 (they only appear with new Services). */
  private bind(plan: IpvsPlan): void {
    const dev = this.ns.device(KUBE_IPVS_DEV);
    if (!dev) return;
    for (const ip of plan.bound) if (!this.ns.addrs.some((a) => a.dev === dev && a.ip === parseIpv4(ip))) this.ns.addAddress(dev, `${ip}/32`, { noPrefixRoute: true });
  }

  /**
   * Superfluous addresses leave kube-ipvs0 (alreadyBoundAddrs minus activeBindAddrs): a deleted
   * Service's, which would otherwise stay a local address of every node.
   */
  private unbind(plan: IpvsPlan): void {
    const dev = this.ns.device(KUBE_IPVS_DEV);
    if (!dev) return;
    const keep = new Set(plan.bound.map((ip) => parseIpv4(ip)!));
    for (const a of this.ns.addrs.filter((x) => x.dev === dev && !keep.has(x.ip))) {
      this.ns.removeAddress(dev, a.ip);
      this.trace(`ip addr del ${formatIpv4(a.ip)}/32 dev ${KUBE_IPVS_DEV} (no Service uses it any more)`);
    }
  }

  private uniqueName(svc: VirtualService, ip: number, port: number): string {
    return `${svc.protocol} ${vs(svc)}/${formatIpv4(ip)}:${port}`;
  }

  private trace(detail: string): void {
    this.ns.world.change(this.ns.name, 'proxy-sync', detail);
  }
}

function vs(svc: VirtualService): string {
  return `${formatIpv4(svc.vip)}:${svc.port}`;
}

function flag(p: 'TCP' | 'UDP' | 'SCTP'): string {
  return p === 'TCP' ? '-t' : p === 'UDP' ? '-u' : '--sctp-service';
}

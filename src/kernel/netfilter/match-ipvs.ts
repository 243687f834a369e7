import { formatIpv4 } from '../../wire/addr.js';
import { parseAddr, prefixToMask } from './addr.js';
import { RuleError, not, type MatchModule, type Opt } from './match.js';
import { parsePort } from './ports.js';
import { IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, parseProto } from './proto.js';

/** libxt_ipvs's --vmethod names and the IP_VS_CONN_F_* forwarding method each stands for. */
const METHODS: Readonly<Record<string, number>> = { GATE: 3, IPIP: 2, MASQ: 0 };
const METHOD_NAMES: Readonly<Record<number, string>> = { 3: 'GATE', 2: 'IPIP', 0: 'MASQ' };
/** IP_VS_CONN_F_MASQ: the only forwarding method podwalk's IPVS uses (kube-proxy creates masq real servers). */
const FWD_MASQ = 0;

/** XTTYPE_PORT: a number or a service name. */
function port(o: Opt, name: string): number {
  try {
    return parsePort(o.args[0]!);
  } catch {
    throw new RuleError(`ipvs: Port "${o.args[0]}" does not resolve to anything (--${name}).`);
  }
}

/** XTTYPE_HOSTMASK: an address, or address/prefix-length; the address is kept as given (the kernel masks as it compares). */
function hostmask(s: string): { addr: number; mask: number; plen: number } {
  const slash = s.indexOf('/');
  const addr = parseAddr(slash < 0 ? s : s.slice(0, slash));
  if (addr === undefined) throw new RuleError(`host/network \`${slash < 0 ? s : s.slice(0, slash)}' not found`);
  if (slash < 0) return { addr, mask: 0xffffffff, plen: 32 };
  const p = s.slice(slash + 1);
  if (!/^[0-9]{1,2}$/.test(p) || Number(p) > 32) throw new RuleError('ipvs: bad value for option "--vaddr", or out of range (0-32).');
  return { addr, mask: prefixToMask(Number(p)), plen: Number(p) };
}

/**
 * ipvs (net/netfilter/xt_ipvs.c): the IPVS connection a packet belongs to.
 * `--ipvs` alone tests skb->ipvs_property (IPVS sent the packet on or gave it
 * the VIP back). Any other option implies it, then `--vproto` tests the
 * packet's protocol, and the connection is looked up as the kernel does
 * (conn_out_get with the tuple inverted: the client's packet after IPVS sent
 * it to the real server): none, no match. `--vaddr`/`--vport` test the
 * virtual service, `--vportctl` the port of the template controlling the
 * connection, `--vdir` the packet's conntrack direction, `--vmethod` the
 * forwarding method (always masq here). kube-proxy's ipvs mode uses it in
 * KUBE-IPVS-OUT-FILTER (filter OUTPUT) to drop the node's own connections to
 * a load-balancer IP its loadBalancerSourceRanges leave out.
 *
 * Its outcome depends on IPVS's connection table, which no walk key holds:
 * a walk that reaches such a rule is never cached (walk-cache.ts).
 */
export const ipvsModule: MatchModule = {
  name: 'ipvs',
  options: {
    '--ipvs': { args: 0, neg: true },
    '--vproto': { args: 1, neg: true },
    '--vaddr': { args: 1, neg: true },
    '--vport': { args: 1, neg: true },
    '--vdir': { args: 1 },
    '--vmethod': { args: 1, neg: true },
    '--vportctl': { args: 1, neg: true },
  },
  compile(o) {
    if (o.size === 0) throw new RuleError('IPVS: At least one option is required');
    const prop = o.get('--ipvs');
    const onlyProperty = o.size === 1 && prop !== undefined;
    if (!onlyProperty && prop?.neg) throw new RuleError('! --ipvs cannot be together with other options');
    const vproto = o.get('--vproto');
    const l4proto = vproto ? parseProto(vproto.args[0]!) : 0;
    if (l4proto === undefined) throw new RuleError(`unknown protocol "${vproto!.args[0]}" specified`);
    const vaddrOpt = o.get('--vaddr');
    const vaddr = vaddrOpt ? hostmask(vaddrOpt.args[0]!) : undefined;
    const vportOpt = o.get('--vport');
    const vport = vportOpt ? port(vportOpt, 'vport') : 0;
    const vdirOpt = o.get('--vdir');
    const dirArg = vdirOpt?.args[0]!.toUpperCase();
    if (dirArg !== undefined && dirArg !== 'ORIGINAL' && dirArg !== 'REPLY') throw new RuleError(`ipvs: Bad value for "--vdir" option: "${vdirOpt!.args[0]}"`);
    const wantReply = dirArg === 'REPLY';
    const methodOpt = o.get('--vmethod');
    const method = methodOpt ? METHODS[methodOpt.args[0]!.toUpperCase()] : 0;
    if (method === undefined) throw new RuleError(`ipvs: Bad value for "--vmethod" option: "${methodOpt!.args[0]}"`);
    const ctlOpt = o.get('--vportctl');
    const vportctl = ctlOpt ? port(ctlOpt, 'vportctl') : 0;

    // libxt_ipvs's ipvs_mt_dump: --ipvs only when alone, then the options in this order; a /32 vaddr without its mask.
    const parts = ['-m ipvs'];
    if (onlyProperty) parts.push(`${not(prop.neg)}--ipvs`);
    if (vproto) parts.push(`${not(vproto.neg)}--vproto ${l4proto}`);
    if (vaddrOpt && vaddr) parts.push(`${not(vaddrOpt.neg)}--vaddr ${formatIpv4(vaddr.addr)}${vaddr.plen === 32 ? '' : `/${vaddr.plen}`}`);
    if (vportOpt) parts.push(`${not(vportOpt.neg)}--vport ${vport}`);
    if (vdirOpt) parts.push(`--vdir ${wantReply ? 'REPLY' : 'ORIGINAL'}`);
    if (methodOpt) parts.push(`${not(methodOpt.neg)}--vmethod ${METHOD_NAMES[method]}`);
    if (ctlOpt) parts.push(`${not(ctlOpt.neg)}--vportctl ${vportctl}`);
    const text = parts.join(' ');

    return {
      module: 'ipvs',
      inert: false,
      test(p, env) {
        if (onlyProperty) return (p.ipvs !== undefined) !== prop.neg;
        if (p.ipvs === undefined) return false;
        if (vproto && (p.protocol === l4proto) === vproto.neg) return false;
        // ip_vs_proto_get: the protocols IPVS handles (AH/ESP are not modelled).
        if (p.protocol !== IPPROTO_TCP && p.protocol !== IPPROTO_UDP && p.protocol !== IPPROTO_SCTP) return false;
        const cp = env.ipvsConn?.(p);
        if (cp === undefined) return false;
        if (vportOpt && (cp.vport === vport) === vportOpt.neg) return false;
        if (ctlOpt && (cp.control !== undefined && cp.control.vport === vportctl) === ctlOpt.neg) return false;
        if (vdirOpt && (p.ipvs === 'untracked' || (p.ipvs === 'reply') !== wantReply)) return false;
        if (methodOpt && (method === FWD_MASQ) === methodOpt.neg) return false;
        if (vaddrOpt && vaddr && ((((cp.vip ^ vaddr.addr) & vaddr.mask) >>> 0) === 0) === vaddrOpt.neg) return false;
        return true;
      },
      save: () => text,
    };
  },
};

import type { IpvsProxyInput } from '../../cluster/spec.js';
import { formatCidr, parseCidr } from '../../wire/addr.js';
import type { At, YamlReader } from '../load/yaml-reader.js';

const FIELDS = ['scheduler', 'tcpTimeout', 'tcpFinTimeout', 'udpTimeout', 'strictARP', 'excludeCIDRs'];
const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'sh', 'dh', 'sed', 'nq'] as const;
/** Schedulers kube-proxy accepts that the kernel model does not implement. */
const NOT_MODELLED = ['lblc', 'lblcr', 'mh'];

/** kube-proxy's defaults: rr, and every timeout 0 (leave the kernel's). */
export const DEFAULT_IPVS: IpvsProxyInput = { scheduler: 'rr', tcpTimeoutS: 0, tcpFinTimeoutS: 0, udpTimeoutS: 0 };

/**
 * `cluster.ipvs`, the scenario's KubeProxyIPVSConfiguration: `scheduler`
 * (`--ipvs-scheduler`), the `ipvsadm --set` timeouts as Go durations
 * (`900s`, `15m`, `1h30m`; `0s` keeps the kernel's), `strictARP`
 * (`--ipvs-strict-arp`, default false) and `excludeCIDRs`
 * (`--ipvs-exclude-cidrs`, default none). Read in every mode, so
 * that `--proxy-mode` can switch one file between the two; only ipvs mode uses it.
 */
export function checkIpvs(r: YamlReader, at: At | undefined): IpvsProxyInput {
  if (!at || at.node == null) return DEFAULT_IPVS;
  const m = r.map(at, FIELDS) ?? new Map<string, At>();
  const sat = m.get('scheduler');
  let scheduler = DEFAULT_IPVS.scheduler;
  const name = r.str(sat);
  if (name !== undefined && NOT_MODELLED.includes(name)) r.problem(sat!, `scheduler ${name} is valid for kube-proxy but not modelled; expected one of ${SCHEDULERS.join(', ')}`);
  else if (name !== undefined) scheduler = r.oneOf(sat, SCHEDULERS) ?? scheduler;
  return {
    scheduler,
    tcpTimeoutS: seconds(r, m.get('tcpTimeout')),
    tcpFinTimeoutS: seconds(r, m.get('tcpFinTimeout')),
    udpTimeoutS: seconds(r, m.get('udpTimeout')),
    ...(r.bool(m.get('strictARP')) ? { strictARP: true } : {}),
    ...excludeCidrs(r, m.get('excludeCIDRs')),
  };
}

/** `excludeCIDRs: [10.0.0.0/8, ...]` (`--ipvs-exclude-cidrs`). */
function excludeCidrs(r: YamlReader, at: At | undefined): { excludeCIDRs?: string[] } {
  if (!at || at.node == null) return {};
  const out: string[] = [];
  for (const item of r.list(at)) {
    const s = r.str(item, true);
    if (s === undefined) continue;
    const c = parseCidr(s);
    if (!c) r.problem(item, `expected an IPv4 CIDR like 10.0.0.0/8, found "${s}"`);
    else out.push(formatCidr(c));
  }
  return out.length > 0 ? { excludeCIDRs: out } : {};
}

/** A Go duration in whole seconds (IPVS timeouts are seconds): `0`, `90s`, `15m`, `1h30m`. */
function seconds(r: YamlReader, at: At | undefined): number {
  if (!at || at.node == null) return 0;
  const v = r.scalar(at);
  if (v === 0 || v === '0') return 0;
  const m = typeof v === 'string' ? /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(v.trim()) : null;
  if (!m || v === '' || (m[1] === undefined && m[2] === undefined && m[3] === undefined)) {
    r.problem(at, `expected a duration in whole seconds like 900s, 15m or 1h30m (0s keeps the kernel's timeout), found ${JSON.stringify(v)}`);
    return 0;
  }
  const total = Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
  // ipvsadm --set takes an int of seconds.
  if (total > 2 ** 31 - 1) {
    r.problem(at, `expected at most ${2 ** 31 - 1} seconds, found ${JSON.stringify(v)}`);
    return 0;
  }
  return total;
}

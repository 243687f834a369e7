import { dirname, relative, resolve } from 'node:path';
import { DumpError } from '../../kernel/dump-error.js';
import { Ipvs } from '../../kernel/ipvs/ipvs.js';
import { restoreIpvs } from '../../kernel/ipvs/ipvsadm-dump.js';
import { importIptablesSave } from '../../kernel/netfilter/import.js';
import { IpSetError } from '../../kernel/netfilter/ipset.js';
import { Netfilter } from '../../kernel/netfilter/netfilter.js';
import { parseRouteDump } from '../../kernel/ipv4/route-dump.js';
import { IPVS_SETS } from '../../cluster/kube-proxy/index.js';
import { cidrContains, formatIpv4, parseCidr, type Cidr } from '../../wire/addr.js';
import { readInput } from '../load/read-input.js';
import type { NodeImportPart, NodeImportSpec, ProxyMode, NetworkBackend } from '../types.js';
import type { At, YamlReader } from '../load/yaml-reader.js';

export const IMPORT_FIELDS: readonly NodeImportPart[] = ['iptablesSave', 'ipsetSave', 'ipvsadm', 'ipRoute'];

/** What each file is the output of, for messages. */
export const IMPORT_TOOL: Record<NodeImportPart, string> = { iptablesSave: 'iptables-save', ipsetSave: 'ipset save', ipvsadm: 'ipvsadm -Sn', ipRoute: 'ip route' };

/** `import:` as read: the texts and where each was named. */
export interface RawNodeImport {
  spec: NodeImportSpec;
  ats: Partial<Record<NodeImportPart, At>>;
  at: At;
}

/**
 * `cluster.nodes[].import`: files saved on a real node, relative to the
 * scenario file and read with the same limits as `include:`.
 */
export function readNodeImport(r: YamlReader, at: At): RawNodeImport | undefined {
  const m = r.map(at, IMPORT_FIELDS);
  if (!m || m.size === 0) {
    if (m) r.problem(at, `expected at least one of ${IMPORT_FIELDS.join(', ')} (paths to what those tools printed on the node)`);
    return undefined;
  }
  const base = r.file === '<inline>' ? '.' : dirname(r.file);
  const spec: NodeImportSpec = { files: {} };
  const ats: Partial<Record<NodeImportPart, At>> = {};
  let ok = true;
  for (const part of IMPORT_FIELDS) {
    const pathAt = m.get(part);
    const entry = r.str(pathAt);
    if (!pathAt || entry === undefined) continue;
    const abs = resolve(base, entry);
    const input = readInput(abs);
    if ('error' in input) {
      r.problem(pathAt, `${IMPORT_TOOL[part]} file ${entry}: ${input.error} (looked at ${abs})`);
      ok = false;
      continue;
    }
    spec[part] = input.text;
    // Named as include: names files: relative to the scenario's directory.
    spec.files[part] = r.file === '<inline>' ? abs : relative(base, abs) || abs;
    ats[part] = pathAt;
  }
  return ok ? { spec, ats, at } : undefined;
}

/** What a node will have when the import is loaded: its devices and connected subnets. */
export interface ImportContext {
  node: string;
  proxyMode: ProxyMode;
  network: NetworkBackend;
  bridge: string;
  underlay: Cidr;
  podCIDR: Cidr;
  clusterCIDR: Cidr;
}

/**
 * Load each saved text into a scratch kernel object with the same parsers
 * the node will use, so every line that cannot be loaded is an error at its
 * own file:line:col (exit 2) and the run itself never meets one. Sets that
 * rules name but nothing defines are warnings: they will be empty.
 */
export function checkNodeImport(r: YamlReader, raw: RawNodeImport, ctx: ImportContext): void {
  const { spec, ats } = raw;
  const dumpProblem = (part: NodeImportPart, line: number, col: number, message: string, warn = false): void => {
    (warn ? r.warnings : r.problems).push({ file: spec.files[part]!, line, col, path: ats[part]!.path, message });
  };
  const nf = new Netfilter();
  if (spec.ipsetSave !== undefined) {
    try {
      nf.ipsets.restore(spec.ipsetSave);
    } catch (e) {
      if (!(e instanceof IpSetError)) throw e;
      const m = /^Error in line ([0-9]+): (.*)$/s.exec(e.message);
      dumpProblem('ipsetSave', Number(m?.[1] ?? 1), 1, `ipset restore: ${m?.[2] ?? e.message}`);
    }
  }
  if (spec.iptablesSave !== undefined) {
    // kube-proxy's own sets exist in ipvs mode whether or not the import has them.
    const kubeProxySets = ctx.proxyMode === 'ipvs' && spec.ipsetSave === undefined ? new Set(Object.keys(IPVS_SETS)) : new Set<string>();
    try {
      const { createdSets } = importIptablesSave(nf, spec.iptablesSave);
      for (const s of createdSets) {
        if (kubeProxySets.has(s.name)) continue;
        const why =
          spec.ipsetSave !== undefined
            ? `set ${s.name} is not in ${spec.files.ipsetSave}: it is empty here, so this match never holds (or always, negated)`
            : `set ${s.name}: iptables-save does not carry ipsets; add import.ipsetSave (the output of ipset save on the node) — until then the set is empty`;
        dumpProblem('iptablesSave', s.line, s.col, why, true);
      }
    } catch (e) {
      if (!(e instanceof DumpError)) throw e;
      dumpProblem('iptablesSave', e.line, e.col, e.message);
    }
  }
  if (spec.ipvsadm !== undefined) {
    try {
      // A table on no namespace: loading one reads and writes only the table itself.
      restoreIpvs(new Ipvs(undefined as never), spec.ipvsadm);
    } catch (e) {
      if (!(e instanceof DumpError)) throw e;
      dumpProblem('ipvsadm', e.line, e.col, e.message);
    }
  }
  if (spec.ipRoute !== undefined) checkRoutes(spec.ipRoute, ctx, spec.ipvsadm !== undefined, (line, col, message) => dumpProblem('ipRoute', line, col, message));
}

/** The devices a node has (and the subnet each is connected to), as podwalk builds it. */
export function nodeDevices(ctx: ImportContext, ipvsadm: boolean): Map<string, Cidr | undefined> {
  const devs = new Map<string, Cidr | undefined>([
    ['lo', parseCidr('127.0.0.0/8')],
    ['eth0', ctx.underlay],
    [ctx.bridge, ctx.podCIDR],
  ]);
  if (ctx.network === 'flannel-vxlan') devs.set('flannel.1', undefined);
  if (ctx.network === 'flannel-udp') devs.set('flannel0', ctx.clusterCIDR);
  if (ctx.proxyMode === 'ipvs' || ipvsadm) devs.set('kube-ipvs0', undefined);
  return devs;
}

function checkRoutes(text: string, ctx: ImportContext, ipvsadm: boolean, problem: (line: number, col: number, message: string) => void): void {
  let routes;
  try {
    routes = parseRouteDump(text);
  } catch (e) {
    if (!(e instanceof DumpError)) throw e;
    problem(e.line, e.col, e.message);
    return;
  }
  const devs = nodeDevices(ctx, ipvsadm);
  for (const l of routes) {
    if (l.devName === undefined) continue;
    if (!devs.has(l.devName)) {
      const hint =
        l.devName === 'docker0'
          ? "; podwalk's node has no Docker bridge: leave the line out"
          : /^(cni|cbr|br)[0-9]/.test(l.devName)
            ? `; set cluster.bridge: ${l.devName} if that is your CNI bridge`
            : /^(en|eth|wl)/.test(l.devName)
              ? '; podwalk names the node NIC eth0: rename it in the dump'
              : '';
      problem(l.line, l.devCol, `device ${l.devName} does not exist on node ${ctx.node} (it has ${[...devs.keys()].join(', ')})${hint}`);
      continue;
    }
    const subnet = devs.get(l.devName);
    // The kernel refuses a gateway it cannot reach on the device (RTNETLINK: Network is unreachable) unless onlink.
    if (l.via !== undefined && !l.onlink && !(subnet && cidrContains(subnet, l.via))) {
      problem(l.line, l.viaCol, `gateway ${formatIpv4(l.via)} is not on a subnet of ${l.devName} on node ${ctx.node} (the kernel refuses it: Network is unreachable); add onlink, or check the node's addresses`);
    }
  }
}

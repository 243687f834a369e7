import { isMap, isScalar, parse as parseYaml } from 'yaml';
import type { NetworkBackend, ProxyMode } from '../types.js';
import { kindOf, type ObjectDoc } from '../load/documents.js';
import type { At, YamlReader } from '../load/yaml-reader.js';
import { printable } from '../../trace/safe-text.js';

/**
 * How the printed cluster itself says its network is set up, so that a
 * brought-in cluster walks through the backend and proxy mode it runs:
 * - flanneld writes its backend on every Node it leases a subnet to
 *   (annotation `flannel.alpha.coreos.com/backend-type`, from the `Backend.Type`
 *   of its net-conf.json), and kube-flannel.yml ships net-conf.json in the
 *   ConfigMap `kube-flannel-cfg` (namespace kube-flannel, kube-system before
 *   v0.20); without a `Backend` flanneld runs its udp backend (subnet/config.go);
 * - kubeadm configures kube-proxy through the ConfigMap `kube-system/kube-proxy`,
 *   key `config.conf`, a KubeProxyConfiguration whose `mode` is iptables, ipvs
 *   or nftables (`""`: the platform default, iptables on Linux).
 * A scenario's `cluster.network` / `cluster.proxyMode` (and `--proxy-mode`)
 * still win; where they differ from what was printed, a warning says so.
 */
export interface PrintedClusterConfig {
  network?: PrintedSetting<NetworkBackend>;
  proxyMode?: PrintedSetting<ProxyMode>;
  /** flanneld runs in the printed cluster (its annotations or its ConfigMap): its CNI bridge is `cni0`. */
  flannel: boolean;
}

export interface PrintedSetting<T extends string> {
  value: T;
  /** Where it was read, in words: `the Nodes' flannel.alpha.coreos.com/backend-type annotation`. */
  from: string;
  r: YamlReader;
  at: At;
}

const BACKEND_TYPE = 'flannel.alpha.coreos.com/backend-type';
const FLANNEL_ANNOTATION = /^flannel\.alpha\.coreos\.com\//;
const FLANNEL_CONFIGMAP = 'kube-flannel-cfg';
const NET_CONF = 'net-conf.json';
const KUBE_PROXY_CONFIGMAP = { namespace: 'kube-system', name: 'kube-proxy', key: 'config.conf' };
/** flannel's backend types podwalk runs; the others (wireguard, ipip, ipsec, alloc, extension, cloud routes) it does not. */
const BACKENDS: Record<string, NetworkBackend> = { vxlan: 'flannel-vxlan', 'host-gw': 'host-gw', udp: 'flannel-udp' };
const PROXY_MODES: Record<string, ProxyMode> = { '': 'iptables', iptables: 'iptables', ipvs: 'ipvs', nftables: 'nftables' };

/** Is this ConfigMap one podwalk reads for the cluster's set-up (so it is not "ignored")? */
export function isClusterConfigMap(namespace: string, name: string): boolean {
  return name === FLANNEL_CONFIGMAP || (namespace === KUBE_PROXY_CONFIGMAP.namespace && name === KUBE_PROXY_CONFIGMAP.name);
}

/** Read the printed cluster's backend and proxy mode (see PrintedClusterConfig). Odd values are warnings, never errors: the objects are valid Kubernetes. */
export function readPrintedConfig(docs: ObjectDoc[]): PrintedClusterConfig {
  const out: PrintedClusterConfig = { flannel: false };
  const annotated: { r: YamlReader; at: At; type: string; node: string }[] = [];
  let netConf: { r: YamlReader; at: At; text: string; where: string } | undefined;
  for (const { r, at } of docs) {
    const kind = kindOf(at);
    if (kind !== 'Node' && kind !== 'ConfigMap') continue;
    const meta = child(at, 'metadata');
    const name = text(meta?.node, 'name');
    if (name === undefined) continue;
    if (kind === 'Node') {
      const ann = child(meta!, 'annotations');
      if (!isMap(ann?.node)) continue;
      for (const item of ann.node.items) if (isScalar(item.key) && typeof item.key.value === 'string' && FLANNEL_ANNOTATION.test(item.key.value)) out.flannel = true;
      const type = child(ann, BACKEND_TYPE);
      if (type && isScalar(type.node) && typeof type.node.value === 'string') annotated.push({ r, at: type, type: type.node.value, node: name });
      continue;
    }
    const namespace = text(meta?.node, 'namespace') ?? 'default';
    const data = child(at, 'data');
    if (name === FLANNEL_CONFIGMAP) {
      out.flannel = true;
      const v = data ? child(data, NET_CONF) : undefined;
      if (v && isScalar(v.node) && typeof v.node.value === 'string') netConf = { r, at: v, text: v.node.value, where: `${namespace}/${name}` };
    } else if (namespace === KUBE_PROXY_CONFIGMAP.namespace && name === KUBE_PROXY_CONFIGMAP.name) {
      const v = data ? child(data, KUBE_PROXY_CONFIGMAP.key) : undefined;
      if (v && isScalar(v.node) && typeof v.node.value === 'string') {
        const mode = proxyModeOf(r, v, v.node.value);
        if (mode) out.proxyMode = { value: mode, from: `mode in ${KUBE_PROXY_CONFIGMAP.key} of the ConfigMap kube-system/kube-proxy`, r, at: v };
      }
    }
  }
  out.network = fromAnnotations(annotated) ?? (netConf ? fromNetConf(netConf) : undefined);
  return out;
}

/** The backend every annotated Node agrees on; Nodes that disagree (a backend change half rolled out) decide nothing. */
function fromAnnotations(annotated: { r: YamlReader; at: At; type: string; node: string }[]): PrintedSetting<NetworkBackend> | undefined {
  const first = annotated[0];
  if (!first) return undefined;
  const other = annotated.find((a) => a.type.toLowerCase() !== first.type.toLowerCase());
  if (other) {
    other.r.warn(other.at, `node ${other.node} runs flannel's ${printable(other.type)} backend, node ${first.node} its ${printable(first.type)} backend: podwalk runs one backend on every node (cluster.network)`);
    return undefined;
  }
  const network = backendOf(first.r, first.at, first.type);
  return network ? { value: network, from: `the Nodes' ${BACKEND_TYPE} annotation`, r: first.r, at: first.at } : undefined;
}

function fromNetConf(c: { r: YamlReader; at: At; text: string; where: string }): PrintedSetting<NetworkBackend> | undefined {
  let conf: unknown;
  try {
    conf = JSON.parse(c.text);
  } catch {
    c.r.warn(c.at, `${NET_CONF} of ${c.where} is not JSON (flanneld would not start): its backend is not read`);
    return undefined;
  }
  const backend = conf !== null && typeof conf === 'object' ? (conf as Record<string, unknown>)['Backend'] : undefined;
  // flanneld's parseBackendType: no Backend at all is its udp backend.
  const type = backend === undefined || backend === null ? 'udp' : typeof backend === 'object' ? (backend as Record<string, unknown>)['Type'] : undefined;
  if (typeof type !== 'string') {
    c.r.warn(c.at, `${NET_CONF} of ${c.where}: Backend.Type is not a string: its backend is not read`);
    return undefined;
  }
  const network = backendOf(c.r, c.at, type);
  return network ? { value: network, from: `Backend.Type in ${NET_CONF} of the ConfigMap ${c.where}`, r: c.r, at: c.at } : undefined;
}

function backendOf(r: YamlReader, at: At, type: string): NetworkBackend | undefined {
  // flannel's backend manager lower-cases the type before it looks it up.
  const network = BACKENDS[type.toLowerCase()];
  if (!network) r.warn(at, `flannel's ${printable(type)} backend is not modelled (podwalk runs host-gw, vxlan and udp): set cluster.network to the one to walk`);
  return network;
}

function proxyModeOf(r: YamlReader, at: At, conf: string): ProxyMode | undefined {
  let doc: unknown;
  try {
    doc = parseYaml(conf);
  } catch {
    r.warn(at, `${KUBE_PROXY_CONFIGMAP.key} of kube-system/kube-proxy is not YAML (kube-proxy would not start): its mode is not read`);
    return undefined;
  }
  const mode = doc !== null && typeof doc === 'object' ? (doc as Record<string, unknown>)['mode'] : undefined;
  if (mode === undefined || mode === null) return 'iptables';
  const m = typeof mode === 'string' ? PROXY_MODES[mode] : undefined;
  if (!m) r.warn(at, `kube-proxy mode ${printable(String(mode))} (kube-system/kube-proxy) is not modelled (podwalk runs iptables, ipvs and nftables): set cluster.proxyMode to the one to walk`);
  return m;
}

function child(at: At, key: string): At | undefined {
  if (!isMap(at.node)) return undefined;
  const n = at.node.get(key, true) as At['node'];
  return n === undefined ? undefined : { node: n, path: `${at.path}.${key}`, near: at.near };
}

function text(n: unknown, key: string): string | undefined {
  if (!isMap(n)) return undefined;
  const v = n.get(key, true);
  return isScalar(v) && typeof v.value === 'string' ? v.value : undefined;
}

import { createHash } from 'node:crypto';

/**
 * kube-proxy's per-service chain names. iptables caps chain names at 28
 * characters, so kube-proxy names a service port's chains by a hash: the first
 * 16 characters of the RFC 4648 base32 (standard alphabet) of the SHA-256 of
 * `"<ns>/<svc>:<port>" + lowercase(protocol)`, with `"<ip>:<port>"` appended
 * for endpoint chains. These names are what a real node shows, so traces and
 * golden files can be compared with `iptables-save` output from a real cluster.
 */

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 with padding, as Go's base32.StdEncoding writes it. */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = ((acc << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32[(acc >>> bits) & 31];
    }
  }
  if (bits > 0) out += BASE32[(acc << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += '=';
  return out;
}

/** The 16-character hash of `text` (its sha256, base32, truncated). */
export function chainHash(text: string): string {
  // Every node names the same service ports' chains: a cluster of 10,000 Services
  // would otherwise hash 60,000 names again on each node kube-proxy programs.
  let h = HASHED.get(text);
  if (h === undefined) {
    if (HASHED.size >= HASHED_MAX) HASHED.clear();
    HASHED.set(text, (h = base32(createHash('sha256').update(text, 'utf8').digest()).slice(0, 16)));
  }
  return h;
}

/** Names hashed so far (a pure function's results; bounded so a long-lived process does not grow without end). */
const HASHED = new Map<string, string>();
const HASHED_MAX = 1 << 18;

/**
 * A service port's name as kube-proxy prints it (ServicePortName.String()):
 * `"<ns>/<svc>:<port>"`, or `"<ns>/<svc>"` for an unnamed port.
 */
export function servicePortName(namespace: string, name: string, portName: string): string {
  return portName === '' ? `${namespace}/${name}` : `${namespace}/${name}:${portName}`;
}

/** The hash shared by a service port's SVC, SVL, EXT and FW chains. */
export function portProtoHash(svcPortName: string, protocol: string): string {
  return chainHash(svcPortName + protocol.toLowerCase());
}

/** The chains that belong to one service port. */
export interface ServicePortChains {
  /** KUBE-SVC-*: load-balances over the endpoints usable under Cluster policy. */
  cluster: string;
  /** KUBE-SVL-*: load-balances over this node's endpoints (Local policy). */
  local: string;
  /** KUBE-EXT-*: entry for NodePort / external IP / load balancer traffic. */
  external: string;
  /** KUBE-FW-*: loadBalancerSourceRanges filter in front of KUBE-EXT. */
  firewall: string;
}

export function servicePortChains(svcPortName: string, protocol: string): ServicePortChains {
  const h = portProtoHash(svcPortName, protocol);
  return { cluster: `KUBE-SVC-${h}`, local: `KUBE-SVL-${h}`, external: `KUBE-EXT-${h}`, firewall: `KUBE-FW-${h}` };
}

/** KUBE-SEP-*: one endpoint of one service port; `endpoint` is `"<ip>:<port>"`. */
export function endpointChain(svcPortName: string, protocol: string, endpoint: string): string {
  return `KUBE-SEP-${chainHash(svcPortName + protocol.toLowerCase() + endpoint)}`;
}

/** Prefixes of the chains kube-proxy creates per service port or endpoint. */
export const SERVICE_CHAIN_PREFIXES = ['KUBE-SVC-', 'KUBE-SVL-', 'KUBE-SEP-', 'KUBE-FW-', 'KUBE-EXT-'] as const;

export function isServiceChainName(chain: string): boolean {
  return SERVICE_CHAIN_PREFIXES.some((p) => chain.startsWith(p));
}

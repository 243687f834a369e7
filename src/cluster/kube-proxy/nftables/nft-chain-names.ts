import { createHash } from 'node:crypto';
import { base32 } from '../chain-names.js';

/**
 * kube-proxy's nftables chain and set names. nftables allows 256-character
 * names, so they are readable: a prefix, then 8 characters of base32(sha256)
 * of the rest (so near-identical names still look different), a dash and the
 * name itself: `service-ULMVA6XW-ns1/svc1/tcp/p80`,
 * `endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80`. The `/` cannot occur in
 * Kubernetes names, which is how kube-proxy tells its per-service chains apart.
 */
const NAME_MAX = 256;
const PREFIX_MAX = 16;

function hashAndTruncate(name: string): string {
  const h = base32(createHash('sha256').update(name, 'utf8').digest()).slice(0, 8);
  const out = `${h}-${name}`;
  const max = NAME_MAX - PREFIX_MAX;
  return out.length > max ? `${out.slice(0, max - 3)}...` : out;
}

/** `HASH-ns/svc/proto/port` (the port name may be empty). */
export function nftServicePortBase(namespace: string, service: string, protocol: string, portName: string): string {
  return hashAndTruncate(`${namespace}/${service}/${protocol.toLowerCase()}/${portName}`);
}

/** `HASH-ns/svc/proto/port__ip/port` for one endpoint (`ip:port`). */
export function nftEndpointBase(namespace: string, service: string, protocol: string, portName: string, endpoint: string): string {
  const colon = endpoint.lastIndexOf(':');
  return hashAndTruncate(`${namespace}/${service}/${protocol.toLowerCase()}/${portName}__${endpoint.slice(0, colon)}/${endpoint.slice(colon + 1)}`);
}

export const NFT_PREFIX = { cluster: 'service-', local: 'local-', external: 'external-', firewall: 'firewall-', endpoint: 'endpoint-', affinity: 'affinity-' } as const;

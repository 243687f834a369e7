import { formatIpv4, parseCidr, parseIpv4, prefixMask } from '../../wire/addr.js';

/**
 * nftables data types, as set and map declarations name them (`type ipv4_addr
 * . inet_proto . inet_service : verdict`). A value of one component is an
 * inclusive range of integers: a single address or port has lo === hi, a
 * prefix (`10.0.0.0/8`) or a range (`1000-2000`) spans more.
 */
export type NftType = 'ipv4_addr' | 'inet_proto' | 'inet_service' | 'mark' | 'integer' | 'ifname';

export interface Range {
  lo: number;
  hi: number;
}

export const KEY_TYPES: readonly NftType[] = ['ipv4_addr', 'inet_proto', 'inet_service', 'mark', 'integer', 'ifname'];

const PROTOCOLS: Record<string, number> = { icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, sctp: 132 };
const PROTOCOL_NAMES = new Map(Object.entries(PROTOCOLS).map(([k, v]) => [v, k]));

export function protocolNumber(text: string): number | undefined {
  if (PROTOCOLS[text] !== undefined) return PROTOCOLS[text];
  return /^\d+$/.test(text) && Number(text) < 256 ? Number(text) : undefined;
}

export function protocolName(n: number): string {
  return PROTOCOL_NAMES.get(n) ?? String(n);
}

function intOf(text: string, max: number): number | undefined {
  const n = /^0x[0-9a-f]+$/i.test(text) ? parseInt(text, 16) : /^\d+$/.test(text) ? Number(text) : NaN;
  return Number.isFinite(n) && n >= 0 && n <= max ? n : undefined;
}

/** Parse one value of `type`; undefined when it is not one. */
export function parseValue(type: NftType, text: string): Range | undefined {
  switch (type) {
    case 'ipv4_addr': {
      if (text.includes('/')) {
        const c = parseCidr(text);
        if (!c) return undefined;
        const mask = prefixMask(c.prefix);
        const lo = c.network;
        return { lo, hi: (lo | (~mask >>> 0)) >>> 0 };
      }
      const dash = text.indexOf('-');
      if (dash > 0) {
        const lo = parseIpv4(text.slice(0, dash));
        const hi = parseIpv4(text.slice(dash + 1));
        return lo !== undefined && hi !== undefined && lo <= hi ? { lo, hi } : undefined;
      }
      const ip = parseIpv4(text);
      return ip === undefined ? undefined : { lo: ip, hi: ip };
    }
    case 'inet_proto': {
      const p = protocolNumber(text);
      return p === undefined ? undefined : { lo: p, hi: p };
    }
    case 'inet_service':
    case 'integer':
    case 'mark': {
      const max = type === 'inet_service' ? 65535 : 0xffffffff;
      const dash = text.indexOf('-');
      if (dash > 0) {
        const lo = intOf(text.slice(0, dash), max);
        const hi = intOf(text.slice(dash + 1), max);
        return lo !== undefined && hi !== undefined && lo <= hi ? { lo, hi } : undefined;
      }
      const n = intOf(text, max);
      return n === undefined ? undefined : { lo: n, hi: n };
    }
    case 'ifname':
      return undefined; // interface names are matched as strings, never stored in sets here
  }
}

/** A value as nft lists it. */
export function formatValue(type: NftType, r: Range): string {
  switch (type) {
    case 'ipv4_addr': {
      if (r.lo === r.hi) return formatIpv4(r.lo);
      const size = r.hi - r.lo + 1;
      const prefix = 32 - Math.log2(size);
      if (Number.isInteger(prefix) && (r.lo & ~prefixMask(prefix)) >>> 0 === 0) return `${formatIpv4(r.lo)}/${prefix}`;
      return `${formatIpv4(r.lo)}-${formatIpv4(r.hi)}`;
    }
    case 'inet_proto':
      return protocolName(r.lo);
    case 'mark':
      return r.lo === r.hi ? `0x${r.lo.toString(16).padStart(8, '0')}` : `0x${r.lo.toString(16).padStart(8, '0')}-0x${r.hi.toString(16).padStart(8, '0')}`;
    default:
      return r.lo === r.hi ? String(r.lo) : `${r.lo}-${r.hi}`;
  }
}

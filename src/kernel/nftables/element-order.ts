import type { NftType, Range } from './datatypes.js';

/**
 * The order and line breaks `nft list` gives set and map elements. The kernel
 * keeps them in no order a user would see; nft sorts what it reads back
 * (`list_expr_sort`, checked against nft 1.0.6):
 *
 * - a key of one component sorts by its value (an address or port as the
 *   number it reads as, a range or prefix by where it starts);
 * - a concatenated key (`ipv4_addr . inet_proto . inet_service`) sorts by
 *   its register bytes — each component padded to 4 bytes, addresses and
 *   ports in network order — read as one host-endian (little-endian)
 *   number, so the LAST component weighs most, and of a port its low byte
 *   before its high byte: `udp . 256` lists before `tcp . 1`.
 *
 * A named set puts 2 elements on a line for addresses, 5 for protocols,
 * ports, marks and integers, and 1 for a concatenated key (nft's
 * `calculate_delim`); an anonymous set in a rule stays on one line.
 */
export function compareKeys(types: readonly NftType[], a: readonly Range[], b: readonly Range[]): number {
  if (types.length === 1) return a[0]!.lo - b[0]!.lo;
  const x = registerBytes(types, a);
  const y = registerBytes(types, b);
  for (let i = x.length - 1; i >= 0; i--) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

/** How many elements of a named set `nft list` puts on one line. */
export function elementsPerLine(types: readonly NftType[]): number {
  if (types.length !== 1) return 1;
  return types[0] === 'ipv4_addr' ? 2 : types[0] === 'ifname' ? 1 : 5;
}

/** A key's bytes as nf_tables' registers hold them (one 4-byte register per component). */
function registerBytes(types: readonly NftType[], key: readonly Range[]): number[] {
  const out: number[] = [];
  types.forEach((t, i) => {
    const v = key[i]!.lo;
    if (t === 'ipv4_addr') out.push((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
    else if (t === 'inet_proto') out.push(v & 255, 0, 0, 0);
    else if (t === 'inet_service') out.push((v >>> 8) & 255, v & 255, 0, 0);
    else out.push(v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255); // host-endian integers (mark, integer)
  });
  return out;
}

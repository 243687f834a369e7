import { describe, expect, it } from 'vitest';
import { cow, HEADROOM, ipv4Of, makeSkb, pushEthernet, share } from '../../src/kernel/skb.js';
import { decodeIpv4, encodeIpv4, IPPROTO_UDP } from '../../src/wire/ipv4.js';

const packet = () => encodeIpv4({ tos: 0, id: 7, df: true, mf: false, fragmentOffset: 0, ttl: 64, protocol: IPPROTO_UDP, src: 0x0a000001, dst: 0x0a000002, payload: new Uint8Array(12).fill(3) }, HEADROOM);

describe('skb', () => {
  it('decodes a packet once, and again only once its bytes were written or replaced', () => {
    const skb = makeSkb(1, packet(), undefined);
    skb.head = skb.data.buffer; // as a socket's new packet has it
    const first = ipv4Of(skb);
    expect(first).toEqual(decodeIpv4(skb.data));
    expect(ipv4Of(skb)).toBe(first);
    pushEthernet(skb, '02:00:00:00:00:02', '02:00:00:00:00:01', 0x0800);
    expect(ipv4Of(skb, 14)).toBe(first); // the same bytes behind a link-layer header
    skb.data = skb.data.subarray(14);
    expect(ipv4Of(skb)).toBe(first);
    const w = cow(skb);
    w[8] = 1; // TTL written in place: the header must be read again
    w[10] = 0;
    w[11] = 0;
    const again = ipv4Of(skb);
    expect(again).not.toBe(first);
    expect(again.ok).toBe(false); // the checksum no longer holds
    skb.data = packet();
    expect(ipv4Of(skb)).toEqual(first);
  });

  it('puts the Ethernet header into the headroom it holds, without touching the shared bytes', () => {
    const bytes = packet();
    const skb = makeSkb(1, bytes, undefined);
    skb.head = bytes.buffer;
    const before = [...bytes];
    pushEthernet(skb, '02:00:00:00:00:02', '02:00:00:00:00:01', 0x0800);
    expect(skb.data.buffer).toBe(bytes.buffer);
    expect(skb.data.byteOffset).toBe(HEADROOM - 14);
    expect([...bytes]).toEqual(before);
    expect([...skb.data.subarray(0, 6)]).toEqual([2, 0, 0, 0, 0, 2]);
    expect(cow(skb)).not.toBe(skb.data.buffer); // the packet's own bytes are still shared: a write copies
    expect(skb.data.buffer).not.toBe(bytes.buffer);
  });

  it('gives up the headroom once someone else reads the buffer', () => {
    const bytes = packet();
    const skb = makeSkb(1, bytes, undefined);
    skb.head = bytes.buffer;
    share(skb);
    pushEthernet(skb, '02:00:00:00:00:02', '02:00:00:00:00:01', 0x0800);
    expect(skb.data.buffer).not.toBe(bytes.buffer);
  });
});

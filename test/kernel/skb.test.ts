import { describe, expect, it } from 'vitest';
import { carvedIn } from '../../src/wire/bytes.js';
import { cow, decrementTtlOf, giveHeadroom, ipv4HeaderOf, ipv4Of, makeSkb, makeSkbIn, packetBytes, packetRoom, pullEthernet, pushEthernet, renewSkb, share, SOCKET_HEADROOM, type Skb } from '../../src/kernel/skb.js';
import { decodeIpv4, IPPROTO_UDP, ipv4Length, writeIpv4, type Ipv4Packet } from '../../src/wire/ipv4.js';

const ip: Ipv4Packet = { tos: 0, id: 7, df: true, mf: false, fragmentOffset: 0, ttl: 64, protocol: IPPROTO_UDP, src: 0x0a000001, dst: 0x0a000002, payload: new Uint8Array(12).fill(3) };

/** A packet as a socket makes it: its bytes in a room of their own, read by its create event. */
function newPacket(): Skb {
  const bytes = packetBytes(ipv4Length(ip));
  const skb = makeSkb(1, writeIpv4(ip, bytes), undefined);
  giveHeadroom(skb);
  return skb;
}

describe('skb', () => {
  it('renews an ended skb into what a new one is, field by field', () => {
    const used = newPacket();
    // Everything a walk may leave on a packet.
    pushEthernet(used, '02:00:00:00:00:02', '02:00:00:00:00:01', 0x0800);
    void ipv4Of(used, 14);
    cow(used);
    used.at = 'default/a:eth0';
    used.mark = 7;
    used.brPrerouted = true;
    used.fragMaxSize = 100;
    used.cost = 1.5;
    void used.data;
    const at = packetRoom(40);
    const buf = carvedIn();
    const fresh = makeSkbIn(9, buf, at, 40, 'f#2');
    const renewed = renewSkb(used, 9, buf, at, 40, 'f#2');
    expect(renewed).toBe(used);
    expect(Object.keys(renewed)).toEqual(Object.keys(fresh));
    for (const k of Object.keys(fresh)) expect([k, (renewed as unknown as Record<string, unknown>)[k]]).toEqual([k, (fresh as unknown as Record<string, unknown>)[k]]);
    expect([...renewed.data]).toEqual([...fresh.data]);
  });

  it('decodes a packet once, and again only once its bytes were written or replaced', () => {
    const skb = newPacket();
    const first = ipv4Of(skb);
    expect(first).toEqual(decodeIpv4(skb.data));
    const header = (first as { value: object }).value;
    expect((ipv4Of(skb) as { value: object }).value).toBe(header); // decoded once: the same header
    expect(ipv4HeaderOf(skb)).toBe(header);
    pushEthernet(skb, '02:00:00:00:00:02', '02:00:00:00:00:01', 0x0800);
    expect((ipv4Of(skb, 14) as { value: object }).value).toBe(header); // the same bytes behind a link-layer header
    skb.data = skb.data.subarray(14);
    expect((ipv4Of(skb) as { value: object }).value).toBe(header);
    const w = cow(skb);
    w[8] = 1; // TTL written in place: the header must be read again
    w[10] = 0;
    w[11] = 0;
    const again = ipv4Of(skb);
    expect(again.ok).toBe(false); // the checksum no longer holds
    expect(ipv4HeaderOf(skb)).toBe('bad IPv4 header checksum');
    skb.data = newPacket().data;
    expect(ipv4Of(skb)).toEqual(first);
  });

  it('puts the Ethernet header into the headroom it holds, without touching the shared bytes', () => {
    const skb = newPacket();
    const bytes = skb.data;
    const before = [...bytes];
    pushEthernet(skb, '02:00:00:00:00:02', '02:00:00:00:00:01', 0x0800);
    expect(skb.data.buffer).toBe(bytes.buffer);
    expect(skb.data.byteOffset).toBe(bytes.byteOffset - 14);
    expect([...bytes]).toEqual(before);
    expect([...skb.data.subarray(0, 6)]).toEqual([2, 0, 0, 0, 0, 2]);
    const frame = skb.data;
    expect(cow(skb)).not.toBe(frame); // the packet's own bytes are still shared: a write copies
    expect([...skb.data]).toEqual([...frame]);
    const copy = skb.data;
    expect(cow(skb)).toBe(copy); // the copy is its own
    pushEthernet(skb, '02:00:00:00:00:03', '02:00:00:00:00:01', 0x0800); // a header in front of it, in place
    expect(skb.data.buffer).toBe(copy.buffer);
    expect(skb.data.byteOffset).toBe(copy.byteOffset - 14);
    expect(cow(skb)).toBe(skb.data);
  });

  it('gives up the headroom once someone else reads the buffer', () => {
    const skb = newPacket();
    const bytes = skb.data;
    share(skb);
    pushEthernet(skb, '02:00:00:00:00:02', '02:00:00:00:00:01', 0x0800);
    expect(skb.data.byteOffset === bytes.byteOffset - 14 && skb.data.buffer === bytes.buffer).toBe(false);
    expect([...skb.data.subarray(14)]).toEqual([...bytes]);
  });

  it('keeps the decoded header through a TTL decrement, as decoding the new bytes would give it', () => {
    for (const options of [undefined, Uint8Array.of(0x94, 4, 0, 0)]) {
      const skb = newPacket();
      if (options) skb.data = writeIpv4({ ...ip, options }, new Uint8Array(ipv4Length({ ...ip, options })));
      const first = ipv4Of(skb);
      expect(decrementTtlOf(skb)).toBe(63);
      const kept = skb.ip;
      expect(kept).toBeDefined();
      expect(kept).toBe((first as { value: object }).value); // its TTL updated in place: no object per hop
      expect(ipv4HeaderOf(skb)).toBe(kept);
      expect(ipv4Of(skb)).toEqual({ ok: true, value: kept });
      expect({ ok: true, value: kept }).toEqual(decodeIpv4(skb.data));
      expect(Object.keys(kept!)).toEqual(Object.keys((decodeIpv4(skb.data) as { value: object }).value));
      expect(decrementTtlOf(skb)).toBe(62); // now in place: the packet owns its copy
      expect({ ok: true, value: skb.ip }).toEqual(decodeIpv4(skb.data));
    }
  });

  it('frames and unframes the same bytes in place (two numbers move, no view made), writing only its headroom', () => {
    const skb = newPacket();
    const bytes = skb.data;
    const whole = new Uint8Array(bytes.buffer, bytes.byteOffset - SOCKET_HEADROOM, bytes.length + SOCKET_HEADROOM);
    expect(whole.every((x, i) => i >= SOCKET_HEADROOM || x === 0)).toBe(true);
    const { buf, off, len } = skb;
    expect(buf.byteOffset).toBe(0);
    expect(buf.buffer).toBe(bytes.buffer);
    expect(off).toBe(bytes.byteOffset);
    pushEthernet(skb, '02:00:00:00:00:02', '02:00:00:00:00:01', 0x0800);
    expect([skb.buf, skb.off, skb.len]).toEqual([buf, off - 14, len + 14]);
    expect([...buf.subarray(off - 14, off - 8)]).toEqual([2, 0, 0, 0, 0, 2]);
    pullEthernet(skb);
    expect([skb.buf, skb.off, skb.len]).toEqual([buf, off, len]);
    expect(skb.data).toEqual(bytes);
    pushEthernet(skb, '02:00:00:00:00:03', '02:00:00:00:00:01', 0x0800);
    expect([...skb.data.subarray(0, 6)]).toEqual([2, 0, 0, 0, 0, 3]);
    expect(skb.data.buffer).toBe(bytes.buffer);
    expect(skb.data.byteOffset).toBe(bytes.byteOffset - 14);
    pullEthernet(skb);
    // A packet whose bytes were copied meanwhile frames the copy, in its own headroom.
    const copy = cow(skb);
    expect(copy).not.toBe(bytes);
    expect([...copy]).toEqual([...bytes]);
    pushEthernet(skb, '02:00:00:00:00:04', '02:00:00:00:00:01', 0x0800);
    expect(skb.data.buffer).toBe(copy.buffer);
    expect(skb.data.byteOffset).toBe(copy.byteOffset - 14);
    expect([...skb.data.subarray(14)]).toEqual([...bytes]);
    // A frame from elsewhere: a pull reads the bytes behind the header where they are.
    const frame = skb.data;
    const other = makeSkb(2, frame, undefined);
    pullEthernet(other);
    expect(other.data.buffer).toBe(frame.buffer);
    expect(other.data.byteOffset).toBe(frame.byteOffset + 14);
    expect(other.data.length).toBe(frame.length - 14);
    // Bytes set from elsewhere end the room: the next header goes into a copy, the bytes untouched.
    const foreign = Uint8Array.from(bytes);
    other.data = foreign;
    pushEthernet(other, '02:00:00:00:00:05', '02:00:00:00:00:01', 0x0800);
    expect(other.data.buffer).not.toBe(foreign.buffer);
    expect([...other.data.subarray(14)]).toEqual([...foreign]);

  });
});

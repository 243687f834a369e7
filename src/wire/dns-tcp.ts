/**
 * DNS over TCP (RFC 1035 4.2.2, RFC 7766): each message is preceded by its
 * length as a two-byte big-endian number, and a stream may carry several
 * messages back to back (glibc writes its A and AAAA queries in one writev).
 */

/** The messages, each behind its two-byte length, as one buffer. */
export function frameDnsTcp(messages: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(messages.reduce((n, m) => n + 2 + m.length, 0));
  let off = 0;
  for (const m of messages) {
    out[off] = m.length >> 8;
    out[off + 1] = m.length & 0xff;
    out.set(m, off + 2);
    off += 2 + m.length;
  }
  return out;
}

/**
 * The messages that start at the beginning of `bytes` (what a reader of one
 * segment that begins on a message boundary sees): whole ones, then the
 * start of one that goes on in later segments (`partial`).
 */
export function dnsTcpMessages(bytes: Uint8Array): { message: Uint8Array; partial: boolean }[] {
  const out: { message: Uint8Array; partial: boolean }[] = [];
  let off = 0;
  while (off + 2 <= bytes.length) {
    const len = (bytes[off]! << 8) | bytes[off + 1]!;
    if (len === 0) break;
    const end = Math.min(bytes.length, off + 2 + len);
    out.push({ message: bytes.subarray(off + 2, end), partial: end < off + 2 + len });
    off = end;
  }
  return out;
}

/** A stream reader: bytes in, in order, as the connection delivers them; whole messages out. */
export class DnsTcpReader {
  private held = new Uint8Array(0);

  push(bytes: Uint8Array): Uint8Array[] {
    const all = new Uint8Array(this.held.length + bytes.length);
    all.set(this.held);
    all.set(bytes, this.held.length);
    const messages: Uint8Array[] = [];
    let off = 0;
    while (off + 2 <= all.length) {
      const len = (all[off]! << 8) | all[off + 1]!;
      if (off + 2 + len > all.length) break;
      messages.push(all.slice(off + 2, off + 2 + len));
      off += 2 + len;
    }
    this.held = all.slice(off);
    return messages;
  }
}

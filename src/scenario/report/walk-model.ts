import type { TraceEvent } from '../../trace/events.js';
import type { WalkFlow } from '../../trace/view/flow-packets.js';

/**
 * A flow whose rendered walk was found to repeat the walk shown (by
 * `walkKey`), against which later flows of the item are compared by their
 * events instead of by their rendered text: at 100,000 datagrams, rendering
 * every walk only to find it repeats the one before took two fifths of a run.
 *
 * A flow matches when its events and outcome are the model's but for what
 * changes from one repeat to the next: the flow's name, when it started
 * (event times are compared from each flow's first event), packet ids (equal
 * up to a one-to-one renaming: `pkt`, `cause`, `about`, the request), and the
 * numbers the kernel picks afresh for each connection, by role (the client's
 * source port, the port source NAT gave it, a tunnel's source port, an ICMP
 * echo id) wherever they appear: a number field, or a whole number in a text
 * (a conntrack entry, a NAT's `before`); TCP sequence numbers, renamed one to
 * one like packet ids. Everything else must be equal, field by field. The views print nothing but what the events and outcome say, so a
 * flow that matches renders to the same walk but for those numbers: the same
 * `walkKey`. Never the other way round: a flow that does not match (another
 * time inside the walk, another round trip) is rendered and compared by key.
 *
 * Frames are compared only where the model's were described (trace/framed.ts
 * describes a frame when first read; it is an own property from then on): a
 * frame that rendering the model never read, rendering a flow equal in all it
 * did read would not read either, and describing it would cost more than
 * rendering.
 */
export class WalkModel {
  private readonly roles: Roles;
  private flowRoles: Roles = NO_ROLES;
  private readonly start: number;
  private flowStart = 0;
  private flowName = '';
  /** The packet renaming found so far: the flow's ids and the model's, pairwise. */
  private readonly ids: number[] = [];
  private readonly modelIds: number[] = [];
  /** The same for TCP sequence and acknowledgement numbers (each connection starts from a random one). */
  private readonly seqs: number[] = [];
  private readonly modelSeqs: number[] = [];

  constructor(readonly flow: WalkFlow) {
    this.roles = roles(flow);
    this.start = flow.events[0]?.t ?? 0;
  }

  /** Whether `a` reads as the model does. */
  matches(a: WalkFlow): boolean {
    const b = this.flow;
    if (a.events.length !== b.events.length || a.protocol !== b.protocol || a.target !== b.target || a.port !== b.port || a.verdict !== b.verdict) return false;
    if (a.deliveredTo !== b.deliveredTo || a.dropReason !== b.dropReason || a.rttNs !== b.rttNs || (a.pkt === undefined) !== (b.pkt === undefined)) return false;
    this.ids.length = 0;
    this.modelIds.length = 0;
    this.seqs.length = 0;
    this.modelSeqs.length = 0;
    this.flowName = a.name;
    this.flowStart = a.events[0]?.t ?? 0;
    this.flowRoles = roles(a);
    if (a.pkt !== undefined && !this.packet(a.pkt, b.pkt!)) return false;
    if (!this.value(a.dropDetail, b.dropDetail)) return false;
    for (let i = 0; i < a.events.length; i++) if (!this.event(a.events[i]!, b.events[i]!)) return false;
    return true;
  }

  private event(a: TraceEvent, b: TraceEvent): boolean {
    if (a.kind !== b.kind || a.at !== b.at || a.t - this.flowStart !== b.t - this.start || !this.packet(a.pkt, b.pkt)) return false;
    const x = a as unknown as Record<string, unknown>;
    const y = b as unknown as Record<string, unknown>;
    if (Object.hasOwn(y, 'frame') && !this.value(x['frame'], y['frame'])) return false;
    let keys = 0;
    for (const k in x) {
      if (k === 'frame') continue;
      keys++;
      if (k === 'kind' || k === 'at' || k === 't' || k === 'pkt') continue;
      const u = x[k];
      const v = y[k];
      if (k === 'cause' || k === 'about') {
        if (typeof u !== 'number' || typeof v !== 'number' || !this.packet(u, v)) return false;
      } else if (k === 'flow') {
        // The flow's own name stands for itself; any other flow named must be the same one.
        if (u === this.flowName ? v !== this.flow.name : u !== v) return false;
      } else if (!this.value(u, v)) return false;
    }
    for (const k in y) if (k !== 'frame') keys--;
    return keys === 0;
  }

  private value(u: unknown, v: unknown): boolean {
    if (u === v) return true;
    if (typeof u === 'number') return typeof v === 'number' && sameRole(roleOf(this.flowRoles, u), roleOf(this.roles, v));
    if (typeof u === 'string') return typeof v === 'string' && this.text(u, v);
    if (Array.isArray(u)) {
      if (!Array.isArray(v) || u.length !== v.length) return false;
      for (let i = 0; i < u.length; i++) if (!this.value(u[i], v[i])) return false;
      return true;
    }
    if (u === null || v === null || typeof u !== 'object' || typeof v !== 'object') return false;
    const x = u as Record<string, unknown>;
    const y = v as Record<string, unknown>;
    let keys = 0;
    for (const k in x) {
      keys++;
      if (!this.value(x[k], y[k])) return false;
    }
    for (const _ in y) keys--;
    return keys === 0;
  }

  /** `a` (the flow's) and `b` (the model's) are the same packet: consistent with the renaming so far, which grows. */
  private packet(a: number, b: number): boolean {
    return renamed(this.ids, this.modelIds, a, b);
  }

  /**
   * Two texts alike but for numbers that change from one repeat to the next:
   * each whole number (a run of digits) that is one of its flow's ephemeral
   * numbers must be the other's in the same role; a TCP `seq` or `ack` must be
   * the other's as far as a one-to-one renaming goes (the views compare them,
   * never count with them); other characters must be equal. Makes no string
   * (a conntrack entry differs in every flow by its ports).
   */
  private text(s: string, t: string): boolean {
    let i = 0;
    let j = 0;
    while (i < s.length && j < t.length) {
      const c = s.charCodeAt(i);
      const d = t.charCodeAt(j);
      if (isDigit(c) && isDigit(d) && !isDigit(s.charCodeAt(i - 1)) && !isDigit(t.charCodeAt(j - 1))) {
        const ie = digitsEnd(s, i);
        const je = digitsEnd(t, j);
        const x = numberAt(s, i, ie);
        const y = numberAt(t, j, je);
        // The characters before were equal: `seq `/`ack ` before one is before the other.
        if (afterSeqOrAck(s, i)) {
          if (x < 0 || y < 0 || !renamed(this.seqs, this.modelSeqs, x, y)) return false;
        } else {
          const rx = roleOf(this.flowRoles, x);
          const ry = roleOf(this.roles, y);
          if (rx >= 0 || ry >= 0) {
            if (rx !== ry) return false;
          } else if (ie - i !== je - j || !sameChars(s, i, t, j, ie - i)) return false;
        }
        i = ie;
        j = je;
      } else if (c !== d) return false;
      else {
        i++;
        j++;
      }
    }
    return i === s.length && j === t.length;
  }
}

/**
 * `a` (the flow's) stands for `b` (the model's) in a one-to-one renaming
 * whose pairs are `ours[k]`/`theirs[k]`: consistent with them, or a new pair.
 */
function renamed(ours: number[], theirs: number[], a: number, b: number): boolean {
  const n = ours.length;
  for (let k = 0; k < n; k++) if (ours[k] === a || theirs[k] === b) return ours[k] === a && theirs[k] === b;
  // Flows of many packets (a long TCP transfer) are rendered rather than renamed in quadratic time.
  if (n === MAX_PACKETS) return false;
  ours.push(a);
  theirs.push(b);
  return true;
}

/** Packets (or sequence numbers) a flow may have for it to be compared with a model. */
const MAX_PACKETS = 64;

/** Two numbers found among their flows' ephemeral ones (their role, or -1), in the same role. */
function sameRole(i: number, j: number): boolean {
  return i >= 0 && i === j;
}

/** A flow's ephemeral numbers and the role of each (`ROLE`), pairwise. */
interface Roles {
  values: number[];
  roles: number[];
}

const NO_ROLES: Roles = { values: [], roles: [] };
const ROLE = { client: 0, echo: 1, nat: 2, tunnel: 3 } as const;

/** The role of `n` in its flow (-1: none). */
function roleOf(r: Roles, n: number): number {
  const i = n < 0 ? -1 : r.values.indexOf(n);
  return i < 0 ? -1 : r.roles[i]!;
}

/**
 * A flow's ephemeral numbers by role, as `walkKey` tells them: the
 * request's source port and ICMP echo id, every port source NAT gave a
 * packet of it, every tunnel's source port. A number with several roles has
 * the first it was found with.
 */
function roles(flow: WalkFlow): Roles {
  const r: Roles = { values: [], roles: [] };
  const add = (n: number | undefined, role: number): void => {
    if (n !== undefined && !r.values.includes(n)) {
      r.values.push(n);
      r.roles.push(role);
    }
  };
  for (const e of flow.events) {
    if (e.kind === 'create' && e.pkt === flow.pkt) {
      add(e.frame.sport, ROLE.client);
      const id = /\bid (\d+)/.exec(e.frame.info);
      if (id) add(Number(id[1]), ROLE.echo);
    }
  }
  for (const e of flow.events) {
    if (e.kind === 'nat' && e.manip === 'src' && e.type !== 'reverse') add(portOf(/:(\d+) >/.exec(e.after)), ROLE.nat);
    else if (e.kind === 'encap') add(portOf(/:(\d+) >/.exec(e.outer)), ROLE.tunnel);
  }
  return r;
}

function portOf(m: RegExpExecArray | null): number | undefined {
  return m ? Number(m[1]) : undefined;
}

function sameChars(s: string, i: number, t: string, j: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (s.charCodeAt(i + k) !== t.charCodeAt(j + k)) return false;
  return true;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function digitsEnd(s: string, i: number): number {
  while (i < s.length && isDigit(s.charCodeAt(i))) i++;
  return i;
}

/** The number `s[from, to)` (-1 for more than 10 digits: no role, no sequence number). */
function numberAt(s: string, from: number, to: number): number {
  if (to - from > 10) return -1;
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + (s.charCodeAt(i) - 48);
  return n;
}

/** Whether `s[at]` follows `seq ` or `ack ` (as a frame's TCP info writes them). */
function afterSeqOrAck(s: string, at: number): boolean {
  return at >= 4 && s.charCodeAt(at - 1) === 32 && (s.startsWith('seq', at - 4) || s.startsWith('ack', at - 4));
}

import type { TraceEvent } from '../../trace/events.js';
import { formatDuration, type WalkFlow } from '../../trace/view/flow-packets.js';
import { WalkModel } from './walk-model.js';

/**
 * What a walk says once the numbers that change from one repeat to the next
 * are left out: the flow's own name, times (`rtt 6.0 µs`, `after 9.1 µs`),
 * packet ids (`#53`) and the numbers the kernel picks afresh for each
 * connection, each by its role: the client's source port (`ip:port` and, in
 * conntrack entries, `sport=`/`dport=`), a port SNAT/MASQUERADE chose (told
 * apart from one it kept, which is the point of many a NAT walk), a tunnel's
 * source port, an ICMP echo id. Two walks with the same key read the same to
 * a person: `uniq` for walks.
 */
export function walkKey(lines: readonly string[], flow: WalkFlow): string {
  const text = lines.join('\n');
  const key = (text.startsWith(`${flow.name}:`) ? `<flow>${text.slice(flow.name.length)}` : text).replace(TIME, '<t>').replace(/#\d+/g, '#<pkt>');
  const roles = ephemeral(flow.events, flow.pkt);
  return roles.size === 0 ? key : key.replace(TOKEN, (t) => roles.get(t) ?? t);
}

/** A duration as the views print it (`12.6 µs`, `412.9 ms`, `1.000 s`). */
const TIME = /\d+(?:\.\d+)? ?(?:ns|µs|us|ms|s)\b/g;

/** Where a walk writes a port or an id: `ip:port`, conntrack's `sport=`/`dport=`, an echo's `id N`. */
const TOKEN = /\b\d+\.\d+\.\d+\.\d+:\d+|port=\d+|\bid \d+/g;

/** Each ephemeral number as the walk writes it, and what it becomes in the key (its role). */
function ephemeral(events: readonly TraceEvent[], request: number | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of events) {
    if (e.kind === 'create' && e.pkt === request) {
      const { src, sport } = e.frame;
      if (src !== undefined && sport !== undefined) {
        out.set(`${src}:${sport}`, `${src}:<client-port>`);
        out.set(`port=${sport}`, 'port=<client-port>');
      }
      const id = /\bid \d+/.exec(e.frame.info)?.[0];
      if (id !== undefined) out.set(id, 'id <echo-id>');
    } else if (e.kind === 'nat' && e.manip === 'src' && e.type !== 'reverse') {
      const before = /:(\d+) >/.exec(e.before)?.[1];
      const after = /^(\S+):(\d+) >/.exec(e.after);
      if (after && !out.has(`${after[1]}:${after[2]}`)) {
        out.set(`${after[1]}:${after[2]}`, `${after[1]}:${after[2] === before ? '<port-kept>' : '<nat-port>'}`);
        out.set(`port=${after[2]}`, `port=${after[2] === before ? '<port-kept>' : '<nat-port>'}`);
      }
    } else if (e.kind === 'encap') {
      const outer = /^(\S+):(\d+) >/.exec(e.outer);
      if (outer && !out.has(`port=${outer[2]}`)) {
        out.set(`${outer[1]}:${outer[2]}`, `${outer[1]}:<tunnel-port>`);
        out.set(`port=${outer[2]}`, 'port=<tunnel-port>');
      }
    }
  }
  return out;
}

/**
 * Consecutive walks of one traffic item with the same key, after the first
 * one shown: how many, which, and the spread of their round trips. Holds a
 * few numbers and strings whatever the count (the report streams), and the
 * last flow whose walk was found by its key to repeat the one shown: a flow
 * that reads the same as that one (`WalkModel`: its events but for times, ids
 * and ephemeral ports) repeats it too, with no walk rendered to tell.
 */
export class WalkRepeats {
  private item: string | undefined;
  private key: string | undefined;
  private count = 0;
  private first = '';
  private last = '';
  private rttMin = Infinity;
  private rttMax = -Infinity;
  /** A repeat whose rendered walk had the shown walk's key (none yet: undefined). */
  private model: WalkModel | undefined;

  /** Whether `flow` (of traffic item `item`, with this key) repeats the walk shown last; if so it is counted. */
  repeats(item: string, key: string, flow: WalkFlow): boolean {
    if (item !== this.item || key !== this.key) return false;
    this.model = new WalkModel(flow);
    this.counted(flow);
    return true;
  }

  /** Whether `flow` repeats the walk shown last, told from its events alone (false: render it and ask `repeats`); if so it is counted. */
  readsAsRepeat(item: string, flow: WalkFlow): boolean {
    if (item !== this.item || this.model === undefined || !this.model.matches(flow)) return false;
    this.counted(flow);
    return true;
  }

  private counted(flow: WalkFlow): void {
    if (this.count === 0) this.first = flow.name;
    this.last = flow.name;
    this.count++;
    if (flow.rttNs !== undefined) {
      this.rttMin = Math.min(this.rttMin, flow.rttNs);
      this.rttMax = Math.max(this.rttMax, flow.rttNs);
    }
  }

  /**
   * A walk was shown: later ones are compared with it. Returns the line for
   * the repeats of the walk before (undefined if there were none).
   */
  shown(item: string | undefined, key: string | undefined, what: 'walk' | 'headline'): string | undefined {
    const line = this.line(what);
    this.item = item;
    this.key = key;
    this.model = undefined;
    this.count = 0;
    this.rttMin = Infinity;
    this.rttMax = -Infinity;
    return line;
  }

  /** `… and 17 more identical walks (long-lived#3–long-lived#20): rtt 5.1–9.1 µs`. */
  private line(what: 'walk' | 'headline'): string | undefined {
    if (this.count === 0) return undefined;
    const names = this.count === 1 ? this.first : `${this.first}–${this.last}`;
    const rtt = this.rttMin === Infinity ? '' : `: rtt ${span(formatDuration(this.rttMin), formatDuration(this.rttMax))}`;
    return `  … and ${this.count} more identical ${what}${this.count === 1 ? '' : 's'} (${names})${rtt}`;
  }
}

/** `5.1 µs`, `5.1–9.1 µs`, `9.7 µs–1.000 s`. */
function span(low: string, high: string): string {
  if (low === high) return low;
  const unit = / \S+$/.exec(low)?.[0];
  return unit !== undefined && high.endsWith(unit) ? `${low.slice(0, -unit.length)}–${high}` : `${low}–${high}`;
}

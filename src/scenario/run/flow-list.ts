import { FlowNames } from './flow-names.js';
import type { FlowResult } from './flows.js';

/**
 * Results of a train's datagrams that are the same but for their flow and
 * packet: datagrams `k0` to `k0 + count − 1` (0-based) of one item, flow
 * `flowPrefix + (k + 1)`, packet `pkt0 + j * pktStep` for the `j`th.
 */
class TrainResults {
  constructor(
    readonly template: FlowResult,
    readonly flowPrefix: string,
    readonly k0: number,
    readonly count: number,
    readonly pkt0: number,
    readonly pktStep: number,
  ) {}
}

/**
 * A run's flow results in `RunResult.flows` order, kept as they are given
 * (`push`) or, for W datagrams of a train the fast path replayed in closed
 * form, as one record (`pushTrain`; /work/wt/TRAIN-API.md): 100,000 kept
 * result objects are built, then copied by the garbage collector until
 * promoted, for a train whose results differ only in flow name and packet.
 * They are made into objects when read (`all`), equal to what each
 * datagram's walk would have given: same keys in the same order, the
 * template's lists and traffic shared, as walked results share them.
 */
export class FlowList {
  /** The results read (or pushed while no train waited to be read), in order. */
  private readonly made: FlowResult[] = [];
  /** What was pushed after them, not read yet (from the first train on). */
  private readonly pending: (FlowResult | TrainResults)[] = [];
  /** Results pushed (a train counts its datagrams). */
  private n = 0;

  /** Results pushed so far. */
  get length(): number {
    return this.n;
  }

  /** The next flow's result. */
  push(r: FlowResult): void {
    if (this.pending.length === 0) this.made.push(r);
    else this.pending.push(r);
    this.n++;
  }

  /**
   * The results of datagrams `k0` to `k0 + count − 1` of one item, next in
   * order: each `template` (a `repeatable` result) but for `flow`
   * (`flowPrefix + (k + 1)`) and `pkt` (`pkt0 + j * pktStep`, j from 0).
   */
  pushTrain(template: FlowResult, flowPrefix: string, k0: number, count: number, pkt0: number, pktStep: number): void {
    if (count <= 0) return;
    if (!repeatable(template)) throw new Error(`flow ${template.flow}'s result cannot stand for a train's: something in it but its flow and packet is the datagram's own`);
    this.pending.push(new TrainResults(template, flowPrefix, k0, count, pkt0, pktStep));
    this.n += count;
  }

  /** Every result, in order: the same array (grown by what was pushed since) and the same objects at each read. */
  all(): FlowResult[] {
    const { pending, made } = this;
    if (pending.length === 0) return made;
    for (const x of pending) {
      if (!(x instanceof TrainResults)) {
        made.push(x);
        continue;
      }
      const { template, flowPrefix, k0, count, pkt0, pktStep } = x;
      const copy = copierOf(template);
      const names = new FlowNames(flowPrefix);
      for (let j = 0; j < count; j++) made.push(copy(template, names.of(k0 + j + 1), pkt0 + j * pktStep));
    }
    pending.length = 0;
    return made;
  }
}

/**
 * Whether `r` may stand for the results of a train's other datagrams
 * (`FlowList.pushTrain`): nothing in it but its flow and packet is its
 * datagram's own. Its NAT and policy decisions are events with a time and a
 * packet, a round trip is its own, TCP and HTTP flows are never trains.
 */
export function repeatable(r: FlowResult): boolean {
  return (
    r.pkt !== undefined &&
    r.rttNs === undefined &&
    r.replySource === undefined &&
    (r.nat === undefined || r.nat.length === 0) &&
    (r.policies === undefined || r.policies.length === 0) &&
    r.connection === undefined &&
    r.http === undefined &&
    r.ingress === undefined
  );
}

type Copier = (template: FlowResult, flow: string, pkt: number) => FlowResult;

/**
 * A function making `template` again with another flow and packet: one
 * object literal with the template's keys in its order (a spread measured
 * about twice the CPU per result, garbage collection included).
 */
function copierOf(template: FlowResult): Copier {
  const keys = Object.keys(template);
  const shape = keys.join(',');
  let copy = byShape.get(shape);
  if (copy === undefined) {
    const fields = keys.map((k) => {
      const name = JSON.stringify(k);
      return k === 'flow' ? 'flow: flow' : k === 'pkt' ? 'pkt: pkt' : `${name}: s[${name}]`;
    });
    copy = new Function('s', 'flow', 'pkt', `return { ${fields.join(', ')} };`) as Copier;
    byShape.set(shape, copy);
  }
  return copy;
}

/** Copiers by the keys of their templates, in order (a handful: results have few shapes). */
const byShape = new Map<string, Copier>();

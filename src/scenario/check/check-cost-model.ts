import { isMap } from 'yaml';
import { MAX_DURATION_NS } from '../load/quantities.js';
import { DEFAULT_COST_MODEL, type CostModel, type StageCost } from '../../kernel/cost-model.js';
import type { At, YamlReader } from '../load/yaml-reader.js';

const STAGES = Object.keys(DEFAULT_COST_MODEL) as (keyof CostModel)[];

/**
 * `cluster.costModel`: the calibrated defaults when absent, `true` or `default`
 * (so hops take time and a same-node round trip does not read 0 µs); `false`
 * turns it off (only links take time); a mapping overrides stages of the defaults, each
 * `{packetNs, byteNs}` (or `netfilterRuleNs: N`), non-negative numbers of ns.
 */
export function checkCostModel(r: YamlReader, at: At | undefined): CostModel | undefined {
  if (!at || at.node == null) return DEFAULT_COST_MODEL;
  if (!isMap(at.node)) {
    const v = r.scalar(at);
    if (v === false) return undefined;
    if (v === true || v === 'default') return DEFAULT_COST_MODEL;
    r.problem(at, `expected true, false, default or a mapping of stages (${STAGES.join(', ')}), found ${JSON.stringify(v)}`);
    return undefined;
  }
  const m = r.map(at, STAGES) ?? new Map<string, At>();
  const out: Record<string, StageCost | number> = { ...DEFAULT_COST_MODEL };
  for (const [stage, sat] of m) {
    const base = DEFAULT_COST_MODEL[stage as keyof CostModel];
    if (typeof base === 'number') {
      const n = nonNegative(r, sat);
      if (n !== undefined) out[stage] = n;
      continue;
    }
    const f = r.map(sat, ['packetNs', 'byteNs']) ?? new Map<string, At>();
    out[stage] = { packetNs: nonNegative(r, f.get('packetNs')) ?? base.packetNs, byteNs: nonNegative(r, f.get('byteNs')) ?? base.byteNs };
  }
  return out as unknown as CostModel;
}

function nonNegative(r: YamlReader, at: At | undefined): number | undefined {
  if (!at || at.node == null) return undefined;
  const v = r.scalar(at);
  if (typeof v !== 'number' || !(v >= 0 && v <= MAX_DURATION_NS)) {
    r.problem(at, `expected a non-negative number of nanoseconds (at most ${MAX_DURATION_NS}), found ${JSON.stringify(v)}`);
    return undefined;
  }
  return v;
}

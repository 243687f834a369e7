import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../src/cli/main.js';

const root = join(import.meta.dirname, '..', '..');
const doc = readFileSync(join(root, 'docs', 'trace.md'), 'utf8');

function stdout(args: string[]): string {
  let out = '';
  cli(args, { out: (s) => (out += s), err: () => {} });
  return out;
}

/** Every key of `v`, nested objects' too (array elements' keys included), as `parent.key` and `key`. */
function keysOf(v: unknown, into: Set<string>): void {
  if (Array.isArray(v)) for (const x of v) keysOf(x, into);
  else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      into.add(k);
      keysOf(x, into);
    }
  }
}

const named = (word: string): boolean => new RegExp(`\\b${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).test(doc);

describe('docs/trace.md names everything the JSON has', () => {
  // Scenarios that between them make every kind of event: tunnels of both kinds, SCTP, an Ingress, policies, nftables, IPVS, fragments, rp_filter, changes.
  const scenarios = ['classic-walk', 'cross-node-udp', 'sctp-service', 'ingress-host-fanout', 'netpol-default-deny', 'service-nftables', 'service-ipvs', 'service-fragmented-udp', 'rp-filter-loose', 'kube-proxy-min-sync-period'];
  const events = scenarios.flatMap((s) =>
    stdout(['run', join(root, 'scenarios', `${s}.yaml`), '--json'])
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => JSON.parse(l) as Record<string, unknown>),
  );

  it('every event kind has its own entry, and every field is named', () => {
    // The records after the events (flow summaries, the expectation check) have tables of their own.
    const kinds = new Set(events.filter((e) => !['flow', 'expectation', 'expectations'].includes(e['kind'] as string)).map((e) => e['kind'] as string));
    expect(kinds.size).toBeGreaterThan(18);
    for (const k of kinds) expect(doc, `kind ${k}`).toMatch(new RegExp(`^- (\`[a-z]+\` / )?\`${k}\`( / \`[a-z]+\`)?:`, 'm'));
    const keys = new Set<string>();
    for (const e of events) keysOf(e, keys);
    // Inside the `matrix`/`nat` values: pod names and the like are data, not fields.
    for (const k of keys) if (/^[a-zA-Z]+$/.test(k)) expect(named(k), `field ${k}`).toBe(true);
  });

  it('every deliver.to and create.by value is listed', () => {
    for (const [kind, field] of [['deliver', 'to'], ['create', 'by']] as const) {
      const entry = new RegExp(`^- \`${kind}\`:.*$`, 'm').exec(doc)?.[0] ?? '';
      for (const v of new Set(events.filter((e) => e['kind'] === kind).map((e) => e[field] as string))) expect(entry, `${kind}.${field} ${v}`).toContain(`\`${v}\``);
    }
  });

  it('matrix --json and compare --json are described, field by field', () => {
    const keys = new Set<string>();
    keysOf(JSON.parse(stdout(['matrix', join(root, 'scenarios', 'netpol-named-ports.yaml'), '--json'])), keys);
    const compare = JSON.parse(stdout(['compare', join(root, 'scenarios', 'netpol-service-denied.yaml'), '--json'])) as { flows: Record<string, unknown>[] };
    for (const f of compare.flows) for (const mode of ['iptables', 'ipvs', 'nftables']) keysOf(f[mode], keys);
    keysOf({ ...compare, flows: compare.flows.map((f) => ({ flow: f['flow'], differs: f['differs'] })) }, keys);
    const pods = new Set<string>();
    keysOf((JSON.parse(stdout(['matrix', join(root, 'scenarios', 'netpol-named-ports.yaml'), '--json'])) as { matrix: unknown }).matrix, pods);
    for (const k of keys) if (!pods.has(k)) expect(doc, `field ${k}`).toContain(`\`${k}`);
  });
});

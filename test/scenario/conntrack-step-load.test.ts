import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';

const doc = (conntrack: string) => `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: t}
cluster: {nodes: [{name: node1}]}
steps:
  - {at: 1ms, conntrack: {node: node1${conntrack}}}
`;

const problems = (conntrack: string): string[] => {
  const r = loadScenarioText(doc(conntrack), 's.yaml');
  return r.ok ? [] : r.problems.map(formatProblem);
};

describe('steps[].conntrack errors', () => {
  it('flush: true with a filter is refused, one error per filter key (conntrack -F -p udp: "Illegal option `--protonum\' with this command", exit 2)', () => {
    const p = problems(', flush: true, protocol: UDP, origDport: 53');
    expect(p).toHaveLength(2);
    expect(p[0]).toMatch(/^s\.yaml:6:\d+: steps\[0\]\.conntrack\.protocol: expected no protocol with flush: true: conntrack -F takes no filter .*drop flush to delete the matching entries with conntrack -D$/);
    expect(p[1]).toMatch(/steps\[0\]\.conntrack\.origDport: expected no origDport with flush: true/);
  });

  it('an invalid value under flush: true is refused as well (it is a filter all the same)', () => {
    expect(problems(', flush: true, protocol: foo')).toHaveLength(1);
  });

  it('flush: true alone, and a filter without flush, load', () => {
    expect(problems(', flush: true')).toEqual([]);
    expect(problems(', protocol: UDP, origDport: 53')).toEqual([]);
  });
});

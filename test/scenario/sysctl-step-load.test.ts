import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioText } from '../../src/scenario/load/parse.js';

const doc = (sysctl: string) => `apiVersion: podwalk/v1alpha1
kind: Scenario
metadata: {name: t}
cluster: {nodes: [{name: node1}]}
steps:
  - {at: 1ms, sysctl: {node: node1${sysctl}}}
`;

const problems = (sysctl: string): string[] => {
  const r = loadScenarioText(doc(sysctl), 's.yaml');
  return r.ok ? [] : r.problems.map(formatProblem);
};

describe('steps[].sysctl errors', () => {
  it('a misspelt name gets one error with a suggestion, not also the list of every name', () => {
    const p = problems(', net.ipv4.ip_forwrd: 0');
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^s\.yaml:6:\d+: steps\[0\]\.sysctl\.net\.ipv4\.ip_forwrd: unknown field .*did you mean net\.ipv4\.ip_forward\?/);
  });

  it('a bad value gets one error at the value', () => {
    const p = problems(', net.ipv4.ip_forward: yes');
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/steps\[0\]\.sysctl\.net\.ipv4\.ip_forward: expected an integer between 0 and 1, found "yes"/);
  });

  it('a step naming no sysctl lists the names it accepts', () => {
    const p = problems('');
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/steps\[0\]\.sysctl: expected at least one of net\.ipv4\.ip_forward, /);
  });
});

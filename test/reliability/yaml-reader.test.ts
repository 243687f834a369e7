import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem, loadScenarioFile, loadScenarioText } from '../../src/scenario/load/parse.js';
import { YamlReader } from '../../src/scenario/load/yaml-reader.js';
import { MAX_EXPANDED_NODES } from '../../src/scenario/load/yaml-tree.js';
import { MAX_INPUT_BYTES } from '../../src/scenario/load/read-input.js';
import { hasControl } from '../../src/trace/safe-text.js';

const HEAD = 'apiVersion: podwalk/v1alpha1\nkind: Scenario\nmetadata: {name: t}\ncluster:\n  nodes: [{name: node1}]\n';

function problems(text: string): string[] {
  const r = loadScenarioText(text, 'f.yaml');
  return r.ok ? [] : r.problems.map(formatProblem);
}

describe('YAML reader: anchors, aliases and merge keys', () => {
  it('loads a pod reused through an anchor and a merge key, explicit keys winning over merged ones', () => {
    const text = `${HEAD}resources:
- &pod
  apiVersion: v1
  kind: Pod
  metadata: &meta {name: a, labels: {app: web}}
  spec:
    nodeName: node1
    containers: [{name: c, image: nginx}]
- <<: *pod
  metadata: {<<: *meta, name: b}
`;
    const r = loadScenarioText(text, 'f.yaml');
    expect(r.ok && r.scenario.pods.filter((p) => p.namespace === 'default').map((p) => `${p.name}:${p.labels.app}`)).toEqual(['a:web', 'b:web']);
  });

  it('merges a list of mappings in order: the first one that has a key gives it', () => {
    const r = new YamlReader('m.yaml', 'a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n  z: 3\n');
    const c = r.map({ node: r.docs[0]!.contents, path: '', near: r.docs[0]!.start }, null)!.get('c')!;
    const m = r.map(c, null)!;
    expect([...m.keys()].sort()).toEqual(['x', 'y', 'z']);
    expect(r.scalar(m.get('y'))).toBe(1);
    expect(r.scalar(m.get('z'))).toBe(3);
  });

  it('rejects a merge of something that is not a mapping, with its position', () => {
    expect(problems('a: &s hello\nb: {<<: *s}\n')).toContainEqual(expect.stringMatching(/^f\.yaml:\d+:\d+: b\.<<: a merge key \(<<\) takes a mapping/));
  });

  it('stops an alias bomb with a position instead of walking it', () => {
    let text = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 9; i++) text += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]\n`;
    const p = problems(text);
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(new RegExp(`^f\\.yaml:1:1: \\(yaml\\): aliases expand this document to more than ${MAX_EXPANDED_NODES} nodes`));
  });
});

describe('YAML reader: duplicate keys', () => {
  it('reports a duplicate key with both positions', () => {
    expect(problems(`${HEAD}metadata: {name: u}\n`)).toEqual(['f.yaml:6:1: metadata: duplicate key metadata (first at line 3)']);
  });

  it('treats 1 and "1" as the same field name, and a quoted "<<" as a plain key', () => {
    expect(problems('a: {1: x, "1": y}\n')[0]).toMatch(/duplicate key 1/);
    const r = new YamlReader('q.yaml', 'a: &a {x: 1}\nb: {"<<": *a}\n');
    expect(r.problems).toEqual([]);
  });

  it('checks 20,000 keys in linear time (the library check was quadratic: 4 s here, 20 s for 60,000)', () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `  key${i}: v\n`).join('');
    const r = new YamlReader('big.yaml', `data:\n${keys}  key7: again\n`);
    // Correctness, not timing (the suite runs on a loaded machine): the one duplicate, at the right line.
    expect(r.problems.map(formatProblem)).toEqual(['big.yaml:20002:3: data.key7: duplicate key key7 (first at line 9)']);
  });
});

describe('YAML reader: control characters', () => {
  it('rejects a raw C0 control character with its position (YAML 1.2 forbids them; kubectl too)', () => {
    expect(problems(`${HEAD}resources:\n- {kind: "a\u001b[2Jb"}\n`)).toEqual([
      'f.yaml:7:12: (yaml): control character U+001B is not allowed in YAML (write it as an escape in a double-quoted string)',
    ]);
    expect(new YamlReader('ok.yaml', 'a: 1\r\nb: "tab\there"\n').problems).toEqual([]);
  });

  it('rejects control characters written as escapes in a value, and never echoes them raw', () => {
    const p = problems(`${HEAD}traffic:\n- {name: "x\\e[31my\\nz", from: pod/default/a, to: pod/default/b}\n`);
    expect(p.some((l) => /traffic\[0\]\.name: control characters are not allowed in a value, found "x\\e\[31my\\nz"/.test(l))).toBe(true);
    for (const l of p) expect(hasControl(l)).toBe(false);
  });
});

describe('input files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podwalk-input-'));

  it('refuses devices and directories instead of reading forever', () => {
    expect(loadScenarioFile('/dev/zero')).toEqual({ ok: false, problems: [expect.objectContaining({ line: 1, col: 1, message: 'cannot read: not a regular file (a device, FIFO or socket)' })] });
    expect(loadScenarioFile(dir)).toEqual({ ok: false, problems: [expect.objectContaining({ message: 'cannot read: a directory, not a file' })] });
    expect(loadScenarioFile(join(dir, 'missing.yaml'))).toEqual({ ok: false, problems: [expect.objectContaining({ message: 'cannot read: no such file' })] });
  });

  it('refuses the same in include:, at the include entry', () => {
    const file = join(dir, 'inc.yaml');
    writeFileSync(file, `${HEAD}include: [/dev/zero]\n`);
    const r = loadScenarioFile(file);
    expect(!r.ok && r.problems.map(formatProblem)).toEqual([`${file}:6:11: include[0]: included file /dev/zero: cannot read: not a regular file (a device, FIFO or socket) (looked at /dev/zero)`]);
  });

  it('caps the size of a file', () => {
    const file = join(dir, 'huge.yaml');
    writeFileSync(file, Buffer.alloc(MAX_INPUT_BYTES + 10, 0x20));
    const r = loadScenarioFile(file);
    expect(!r.ok && r.problems[0]!.message).toBe(`too large: ${MAX_INPUT_BYTES + 10} bytes (at most ${MAX_INPUT_BYTES})`);
  });
});

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../src/cli/main.js';
import { notListeningNote } from '../../src/cli/matrix-notes.js';
import { fit, PLAIN } from '../../src/trace/view/terminal.js';

const root = join(import.meta.dirname, '..', '..');
const why = 'because nothing answers, not because of a policy';

/** Nine pods as a kubeadm cluster names them (the numbered layout), six of them deaf to the probe (huser #9). */
const pods = [
  'batch/migrate-schema-7qz4x',
  'ingress-nginx/ingress-nginx-controller-7d56585cd7-zt9vb',
  'shop/cart-6c8b9d5f47-4tjxv',
  'shop/cart-6c8b9d5f47-9wdkq',
  'shop/cart-6c8b9d5f47-hnc2s',
  'shop/db-0',
  'shop/db-1',
  'shop/frontend-5d9f8b7c6d-k2x9p',
  'shop/frontend-5d9f8b7c6d-r7mzq',
];
const deaf = [pods[0]!, ...pods.slice(2, 7)];

describe('matrix: one note for the pods that do not listen on the probed port', () => {
  it('names every pod that fits and gives every column number (1, 3-7), in one note', () => {
    expect(notListeningNote(pods, deaf, 'TCP/80', PLAIN, 6)).toBe(`6 pods do not listen on TCP/80 (columns 1, 3-7): ${deaf.join(', ')}; their columns are X ${why}`);
  });

  it('at 80 columns it is one note of five lines (was two lines per pod: 12)', () => {
    const term = { width: 80, colour: false };
    const lines = fit(`note: ${notListeningNote(pods, deaf, 'TCP/80', term, 6)!}`, term, 6);
    expect(lines).toHaveLength(5);
    expect(lines.every((l) => l.length <= 80)).toBe(true);
    expect(lines.join(' ').replace(/ +/g, ' ')).toContain('shop/db-0, shop/db-1;');
  });

  it('beyond about two screen lines of names, the rest are counted ("and N more"); the columns still say which', () => {
    const many = Array.from({ length: 44 }, (_, i) => `default/workers-6b8459b96b-${String(i).padStart(5, '0')}`);
    const note = notListeningNote(many, many.slice(1), 'TCP/80', { width: 80, colour: false }, 6)!;
    const shown = note.slice(note.indexOf(': ') + 2, note.indexOf(' and ')).split(', ');
    expect(shown.length).toBeGreaterThan(1);
    expect(note).toContain(`(columns 2-44): ${shown.join(', ')} and ${43 - shown.length} more; their columns are X ${why}`);
    // The names take at most two lines of the room after the indent.
    expect(shown.join(', ').length).toBeLessThanOrEqual(2 * 74);
    // A wider terminal shows more of them; piped output measures against 80 columns (the same text whatever reads it).
    expect(notListeningNote(many, many.slice(1), 'TCP/80', { width: 200, colour: false }, 6)!.length).toBeGreaterThan(note.length);
    expect(notListeningNote(many, many.slice(1), 'TCP/80', PLAIN, 6)).toBe(note);
  });

  it('one pod: its own sentence (with its column when columns are numbered); none: no note', () => {
    expect(notListeningNote(pods, ['shop/db-0'], 'UDP/53', PLAIN, 6)).toBe(`shop/db-0 (column 6) does not listen on UDP/53: its column is X ${why}`);
    expect(notListeningNote(['x/a', 'x/b'], ['x/b'], 'TCP/80', PLAIN, 6)).toBe(`x/b does not listen on TCP/80: its column is X ${why}`);
    expect(notListeningNote(pods, [], 'TCP/80', PLAIN, 6)).toBeUndefined();
  });

  it('podwalk matrix: every pod deaf is one "none of the N pods" note; --json keeps one note per pod and the list', () => {
    let out = '';
    const file = join(root, 'scenarios', 'classic-walk.yaml');
    expect(cli(['matrix', file], { out: (s) => (out += s), err: () => {} })).toBe(0);
    const notes = out.split('\n').filter((l) => l.startsWith('note: '));
    expect(notes).toEqual([`note: none of the 3 pods listens on TCP/80: default/pod1, default/pod2, default/pod4; every column is X ${why}`]);
    out = '';
    expect(cli(['matrix', file, '--json'], { out: (s) => (out += s), err: () => {} })).toBe(0);
    const json = JSON.parse(out) as { notListening: string[]; notes: string[] };
    expect(json.notListening).toEqual(['default/pod1', 'default/pod2', 'default/pod4']);
    expect(json.notes).toHaveLength(3);
    expect(json.notes[0]).toBe(`default/pod1 does not listen on TCP/80: its column is X ${why}`);
  });
});

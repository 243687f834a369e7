import { isMap } from 'yaml';
import type { SourcePos } from '../types.js';
import { readInput } from './read-input.js';
import { YamlReader, type At } from './yaml-reader.js';

/**
 * Where a field of a file's Scenario document is written (`['cluster', 'underlay', 'mtu']`),
 * or undefined when it is not written there. For commands that check a loaded scenario
 * against limits of their own (`bench encap`) and must point at the value they refuse.
 */
export function scenarioFieldPos(file: string, fieldPath: readonly string[]): SourcePos | undefined {
  const input = readInput(file);
  if ('error' in input) return undefined;
  const r = new YamlReader(file, input.text);
  for (const d of r.docs) {
    if (!isMap(d.contents) || !d.contents.has('cluster')) continue;
    let at: At | undefined = { node: d.contents, path: '', near: d.start };
    for (const key of fieldPath) at = at && isMap(at.node) ? r.map(at, null)?.get(key) : undefined;
    return at ? r.pos(at) : undefined;
  }
  return undefined;
}

import { isMap, isScalar } from 'yaml';
import type { At, YamlReader } from './yaml-reader.js';

/** One Kubernetes object to check, with the reader that knows its file and positions. */
export interface ObjectDoc {
  r: YamlReader;
  at: At;
}

const LIST = ['apiVersion', 'kind', 'metadata', 'items'];

/**
 * The Kubernetes objects one YAML node holds: itself, or the items of a
 * `kind: List` (what `kubectl get a,b,c -o yaml` prints), or of any
 * `<Kind>List` kubectl prints for one resource type (`PodList`, ...).
 * Nested lists are flattened, as kubectl apply does.
 */
export function objectsIn(r: YamlReader, at: At): ObjectDoc[] {
  if (!isList(at)) return [{ r, at }];
  const m = r.map(at, LIST);
  if (!m) return [];
  const api = r.str(m.get('apiVersion'));
  if (api !== undefined && api !== 'v1') r.problem(m.get('apiVersion')!, `expected apiVersion v1 for a List, found ${api}`);
  return r.list(m.get('items') ?? { node: undefined, path: `${at.path}.items`, near: r.pos(at) }).flatMap((item) => objectsIn(r, item));
}

function isList(at: At): boolean {
  if (!isMap(at.node)) return false;
  const kind = at.node.get('kind', true);
  return isScalar(kind) && typeof kind.value === 'string' && /^([A-Z][A-Za-z]*)?List$/.test(kind.value) && at.node.has('items');
}

/** The `kind:` of a document, if it is a mapping with a string kind. */
export function kindOf(at: At): string | undefined {
  if (!isMap(at.node)) return undefined;
  const kind = at.node.get('kind', true);
  return isScalar(kind) && typeof kind.value === 'string' ? kind.value : undefined;
}

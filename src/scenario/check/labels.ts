import type { At, YamlReader } from '../load/yaml-reader.js';
import { printable } from '../../trace/safe-text.js';

/** A label value: up to 63 characters, alphanumerics with `-_.` inside, or empty (apimachinery's IsValidLabelValue). */
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
/** The name part of a qualified name: like a value, but not empty. */
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** A label (or annotation) key: an optional DNS-subdomain prefix and `/`, then a name of at most 63 characters (IsQualifiedName). */
export function validLabelKey(k: string): boolean {
  const slash = k.indexOf('/');
  const prefix = slash >= 0 ? k.slice(0, slash) : undefined;
  const name = slash >= 0 ? k.slice(slash + 1) : k;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
  return name.length <= 63 && QUALIFIED_NAME.test(name);
}

export function validLabelValue(v: string): boolean {
  return v.length <= 63 && LABEL_VALUE.test(v);
}

/**
 * `metadata.labels` or a selector's `map[string]string` of labels, checked as
 * the API server checks them (ValidateLabels): a key or value it refuses is a
 * problem and left out. A label key is matched by name elsewhere, and one
 * the API never stores (`bad key!`, control characters) must not quietly
 * select, or fail to select, a pod.
 */
export function labelMap(r: YamlReader, at: At | undefined): Record<string, string> {
  const m = at ? r.map(at, null) : undefined;
  const out: Record<string, string> = {};
  if (!m) return out;
  for (const [k, vAt] of m) {
    const v = r.str(vAt);
    if (v === undefined) continue;
    if (!validLabelKey(k)) r.problem(vAt, `invalid label key "${printable(k)}": expected an optional DNS-subdomain prefix and '/', then up to 63 alphanumerics, '-', '_' or '.'`);
    else if (!validLabelValue(v)) r.problem(vAt, `invalid label value "${printable(v)}": expected up to 63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric`);
    else out[k] = v;
  }
  return out;
}

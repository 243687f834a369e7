import type { LabelSelector } from './types.js';

/** labels.SelectorFromSet + requirements: every pair and expression must hold; an empty selector selects everything. */
export function selects(sel: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  // for-in, not Object.entries: the scheduler asks this for every pair of pods.
  for (const k in sel.matchLabels) if (labels[k] !== sel.matchLabels[k]) return false;
  for (const e of sel.matchExpressions) {
    const has = Object.hasOwn(labels, e.key);
    switch (e.operator) {
      case 'In':
        if (!has || !e.values.includes(labels[e.key]!)) return false;
        break;
      case 'NotIn':
        // A missing key satisfies NotIn, as in apimachinery's labels package.
        if (has && e.values.includes(labels[e.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

export function isEmptySelector(sel: LabelSelector): boolean {
  return Object.keys(sel.matchLabels).length === 0 && sel.matchExpressions.length === 0;
}

/** As kubectl describe prints a selector: `app=frontend,tier in (a,b),!legacy`; empty = `<all>`. */
export function formatSelector(sel: LabelSelector): string {
  const parts = Object.entries(sel.matchLabels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions) {
    if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
    else parts.push(`${e.key} ${e.operator === 'In' ? 'in' : 'notin'} (${[...e.values].sort().join(',')})`);
  }
  return parts.length > 0 ? parts.join(',') : '<all>';
}

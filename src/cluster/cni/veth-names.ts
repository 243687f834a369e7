/**
 * Host-side veth names. The CNI bridge plugin names them `veth` + 8 random hex
 * characters; podwalk derives the 8 characters from the pod's namespace/name
 * (FNV-1a) so that names are stable across runs and readable in expectations.
 */
export function hostVethName(namespace: string, name: string): string {
  let h = 0x811c9dc5;
  const s = `${namespace}/${name}`;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return `veth${h.toString(16).padStart(8, '0')}`;
}

/** The netns name a pod's trace locations use: `<namespace>/<pod>`. */
export function podNetnsName(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

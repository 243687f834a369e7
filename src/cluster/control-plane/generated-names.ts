/**
 * Names the control plane makes up (`web-7c5ddbdf54-x2k9p`, `web-abc12`),
 * derived from hashes instead of randomness so that a scenario's pod and
 * slice names are the same on every run and can be written in expectations.
 *
 * The alphabet is the one Kubernetes uses for generated names
 * (`k8s.io/apimachinery/pkg/util/rand`): no vowels, no 0/1/3, so that no
 * words (or look-alike characters) appear.
 */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** FNV-1a, 32 bits: the hash Kubernetes uses for pod-template-hash. */
export function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * A pod-template-hash: like `rand.SafeEncodeString(fmt.Sprint(hash))`, each
 * decimal digit of the 32-bit hash mapped into the alphabet; left-padded to
 * 10 digits so that every hash has 10 characters.
 */
export function podTemplateHash(seed: string): string {
  const digits = String(fnv32a(seed)).padStart(10, '0');
  let out = '';
  for (let i = 0; i < digits.length; i++) out += ALPHANUMS[digits.charCodeAt(i) % ALPHANUMS.length];
  return out;
}

/** The 5 characters `generateName` appends (`rand.String(5)`), from a hash of `seed`. */
export function generatedSuffix(seed: string): string {
  let h = fnv32a(seed);
  let out = '';
  for (let i = 0; i < 5; i++) {
    out += ALPHANUMS[h % ALPHANUMS.length];
    h = Math.floor(h / ALPHANUMS.length);
  }
  return out;
}

/** Result of decoding untrusted bytes: decoders never throw. */
export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string };

export function fail<T>(error: string): Decoded<T> {
  return { ok: false, error };
}

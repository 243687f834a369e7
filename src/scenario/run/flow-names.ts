/** `0` to `999`, and the same with leading zeros to three digits (`000` to `999`). */
const UNITS = Array.from({ length: 1000 }, (_, i) => String(i));
const PADDED = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/**
 * The names of a traffic item's flows, `<name>#<k>`, made without formatting
 * a whole number each time (a train of datagrams names one flow per datagram,
 * and turning a number into text is most of the cost of a short name): the
 * text up to the thousands is kept while it does not change, the last three
 * digits read from a table. Same text as `${prefix}${k}`.
 */
export class FlowNames {
  private thousands = -1;
  private thousandsText = '';

  /** `prefix`: `<name>#`. */
  constructor(private readonly prefix: string) {}

  /** The name of the `k`th flow (1-based). */
  of(k: number): string {
    if (k < 1000) return this.prefix + UNITS[k]!;
    const thousands = Math.floor(k / 1000);
    if (thousands !== this.thousands) {
      this.thousands = thousands;
      this.thousandsText = this.prefix + thousands;
    }
    return this.thousandsText + PADDED[k - thousands * 1000]!;
  }
}

/**
 * Maps a wide sum (Int32) to Int16 without wrapping. Below the threshold the signal passes bit-exact (so
 * a quiet mix, and tests with known sums, are untouched); above it a tanh knee bends the curve smoothly
 * towards full scale, which it never reaches. The curve is static (no look-ahead, no state), monotonic,
 * continuous and has slope 1 at the knee, so loud overlaps distort gently instead of clicking.
 */

export interface SoftLimiterOptions {
  /** Where the knee starts, as a fraction of full scale (0 < t < 1). Default 0.75 (≈ −2.5 dBFS). */
  threshold?: number;
}

const FULL_SCALE = 32767;
/** The knee's curve is tabled this far past the knee, in units of the headroom (where it is flat to 1 LSB). */
const TABLE_HEADROOMS = 8;
/** Tables by knee, shared by every limiter with that threshold (one per space would be ~100 KB each). */
const tables = new Map<number, Int16Array>();

export class SoftLimiter {
  /** The knee, in sample units: |x| at or below passes unchanged. */
  readonly knee: number;
  readonly #headroom: number;
  /** `limit(knee + d) − knee` for d in [0, length): the same values, without a tanh per loud sample. */
  readonly #table: Int16Array;
  /** Past the table the curve is flat at `headroom − 1` until here, then at `headroom` (tanh rounds to 1). */
  readonly #fullFrom: number;

  constructor(opts: SoftLimiterOptions = {}) {
    const threshold = opts.threshold ?? 0.75;
    if (!(threshold > 0 && threshold < 1)) throw new TypeError('SoftLimiter threshold must be in (0, 1)');
    this.knee = Math.round(FULL_SCALE * threshold);
    this.#headroom = FULL_SCALE - this.knee;
    let table = tables.get(this.knee);
    if (!table) {
      table = new Int16Array(TABLE_HEADROOMS * this.#headroom);
      for (let d = 0; d < table.length; d++) table[d] = this.limit(this.knee + d) - this.knee;
      tables.set(this.knee, table);
    }
    this.#table = table;
    // The first distance past the table where the curve reaches full scale (it is monotonic).
    let lo = table.length;
    let hi = 2 ** 31 - 1 - this.knee;
    while (lo < hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (this.limit(this.knee + mid) - this.knee >= this.#headroom) hi = mid;
      else lo = mid + 1;
    }
    this.#fullFrom = lo;
  }

  /** One sample. */
  limit(x: number): number {
    if (x <= this.knee && x >= -this.knee) return x;
    const k = this.knee;
    const h = this.#headroom;
    // Math.floor keeps the output strictly below full scale even where tanh rounds to 1.
    if (x > 0) return Math.min(FULL_SCALE, k + Math.floor(h * Math.tanh((x - k) / h)));
    return Math.max(-FULL_SCALE, -k - Math.floor(h * Math.tanh((-x - k) / h)));
  }

  /** `output[i] = limit(input[i])` for the first `output.length` samples (0 past the input's end). */
  process(input: Int32Array, output: Int16Array): void {
    // The fields are read once: this runs on every sample of every mix-minus.
    const k = this.knee;
    const h = this.#headroom;
    const table = this.#table;
    const fullFrom = this.#fullFrom;
    const n = Math.min(input.length, output.length);
    for (let i = 0; i < n; i++) {
      output[i] = curve(input[i] as number, k, h, table, fullFrom);
    }
    if (n < output.length) output.fill(0, n);
  }

  /** `output[i] = limit(sum[i] − own[i])`: a mix-minus in one pass. */
  processDifference(sum: Int32Array, own: Int16Array, output: Int16Array): void {
    const k = this.knee;
    const h = this.#headroom;
    const table = this.#table;
    const fullFrom = this.#fullFrom;
    const n = Math.min(sum.length, own.length, output.length);
    for (let i = 0; i < n; i++) {
      output[i] = curve((sum[i] as number) - (own[i] as number), k, h, table, fullFrom);
    }
    // Past either input's end it is limit(sum − 0) or limit(0 − own), as before.
    for (let i = n; i < output.length; i++) output[i] = this.limit((sum[i] ?? 0) - (own[i] ?? 0));
  }
}

/** The table curve for one sample, shared by both loops (small and monomorphic: V8 inlines it). */
function curve(x: number, k: number, h: number, table: Int16Array, fullFrom: number): number {
  if (x > k) {
    const d = x - k;
    return k + (d < table.length ? (table[d] as number) : d < fullFrom ? h - 1 : h);
  }
  if (x < -k) {
    const d = -x - k;
    return -k - (d < table.length ? (table[d] as number) : d < fullFrom ? h - 1 : h);
  }
  return x;
}

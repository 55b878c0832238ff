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

export class SoftLimiter {
  /** The knee, in sample units: |x| at or below passes unchanged. */
  readonly knee: number;
  readonly #headroom: number;

  constructor(opts: SoftLimiterOptions = {}) {
    const threshold = opts.threshold ?? 0.75;
    if (!(threshold > 0 && threshold < 1)) throw new TypeError('SoftLimiter threshold must be in (0, 1)');
    this.knee = Math.round(FULL_SCALE * threshold);
    this.#headroom = FULL_SCALE - this.knee;
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

  /** `output[i] = limit(input[i])` for the first `output.length` samples. */
  process(input: Int32Array, output: Int16Array): void {
    const k = this.knee;
    for (let i = 0; i < output.length; i++) {
      const x = input[i] ?? 0;
      output[i] = x <= k && x >= -k ? x : this.limit(x);
    }
  }
}

/**
 * The average power spectrum of a stream (8192-point FFT, Hann window, non-overlapping blocks), its peaks
 * between 100 and 4000 Hz, and the stream's level. At 48 kHz a bin is 5.9 Hz; a peak's frequency is refined
 * by parabolic interpolation of the log magnitude, to about 1 Hz for a steady tone.
 */

const N = 8192;

/** In-place iterative radix-2 FFT. */
function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j] as number, re[i] as number];
      [im[i], im[j]] = [im[j] as number, im[i] as number];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const angle = (-2 * Math.PI) / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < len / 2; k++) {
        const wr = Math.cos(angle * k);
        const wi = Math.sin(angle * k);
        const a = i + k;
        const b = a + len / 2;
        const xr = (re[b] as number) * wr - (im[b] as number) * wi;
        const xi = (re[b] as number) * wi + (im[b] as number) * wr;
        re[b] = (re[a] as number) - xr;
        im[b] = (im[a] as number) - xi;
        re[a] = (re[a] as number) + xr;
        im[a] = (im[a] as number) + xi;
      }
    }
  }
}

const HANN = Float64Array.from({ length: N }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / N));

export interface SpectrumPeak {
  readonly frequencyHz: number;
  /** Peak level of that sine component, dBFS (0 = full-scale sine). */
  readonly levelDbfs: number;
}

export interface PeakOptions {
  readonly minHz?: number;
  readonly maxHz?: number;
  /** Peaks quieter than this are ignored. Default -50 dBFS. */
  readonly floorDbfs?: number;
  /** Peaks more than this far below the loudest are ignored. Default 30 dB. */
  readonly rangeDb?: number;
  readonly max?: number;
}

export class Spectrum {
  readonly #rate: number;
  readonly #power = new Float64Array(N / 2);
  #pending = new Float32Array(N);
  #filled = 0;
  #blocks = 0;
  #sumSquares = 0;
  #samples = 0;

  constructor(sampleRate = 48_000) {
    this.#rate = sampleRate;
  }

  /** Appends samples in [-1, 1]. `exclude(block)` drops a block they complete (e.g. it holds a timing pulse). */
  push(samples: Float32Array, exclude?: (block: Float32Array) => boolean): void {
    for (const s of samples) {
      this.#sumSquares += s * s;
      this.#samples += 1;
      this.#pending[this.#filled++] = s;
      if (this.#filled === N) {
        this.#filled = 0;
        if (!exclude?.(this.#pending)) this.#addBlock();
      }
    }
  }

  /** RMS level re a full-scale sine (AES17: a sine peaking at -18 dBFS reads -18); -Infinity when silent. */
  get levelDbfs(): number {
    if (this.#samples === 0 || this.#sumSquares === 0) return -Infinity;
    return 20 * Math.log10(Math.sqrt(this.#sumSquares / this.#samples) * Math.SQRT2);
  }

  peaks(opts: PeakOptions = {}): SpectrumPeak[] {
    if (this.#blocks === 0) return [];
    const binHz = this.#rate / N;
    const lo = Math.max(2, Math.floor((opts.minHz ?? 100) / binHz));
    const hi = Math.min(N / 2 - 3, Math.ceil((opts.maxHz ?? 4000) / binHz));
    // A sine of amplitude A gives |X| = A * N / 4 through a Hann window.
    const amp = (k: number) => (Math.sqrt((this.#power[k] ?? 0) / this.#blocks) * 4) / N;
    const db = (k: number) => 20 * Math.log10(Math.max(amp(k), 1e-12));
    const found: SpectrumPeak[] = [];
    for (let k = lo; k <= hi; k++) {
      const p = this.#power[k] ?? 0;
      let isMax = p > 0;
      for (let d = 1; d <= 3 && isMax; d++)
        isMax = p >= (this.#power[k - d] ?? 0) && p > (this.#power[k + d] ?? 0);
      if (!isMax) continue;
      const [a, b, c] = [db(k - 1), db(k), db(k + 1)];
      const denom = a - 2 * b + c;
      const delta = denom === 0 ? 0 : (0.5 * (a - c)) / denom;
      // The interpolated peak height corrects the scalloping loss between bins.
      found.push({ frequencyHz: Math.round((k + delta) * binHz), levelDbfs: b - 0.25 * (a - c) * delta });
    }
    const loudest = Math.max(...found.map((p) => p.levelDbfs));
    return found
      .filter((p) => p.levelDbfs >= (opts.floorDbfs ?? -50) && p.levelDbfs >= loudest - (opts.rangeDb ?? 30))
      .sort((x, y) => y.levelDbfs - x.levelDbfs)
      .slice(0, opts.max ?? 8);
  }

  #addBlock(): void {
    const re = new Float64Array(N);
    const im = new Float64Array(N);
    for (let i = 0; i < N; i++) re[i] = (this.#pending[i] ?? 0) * (HANN[i] ?? 0);
    fft(re, im);
    for (let k = 0; k < N / 2; k++)
      this.#power[k] = (this.#power[k] ?? 0) + (re[k] ?? 0) ** 2 + (im[k] ?? 0) ** 2;
    this.#blocks += 1;
  }
}

/**
 * What the bot hears: tone levels at candidate frequencies (Goertzel), and the onsets of timing pulses.
 * Pure functions and small stateful wrappers; exact on synthetic input.
 */

export interface DetectedTone {
  readonly frequencyHz: number;
  /** Peak level of that sine component, dBFS (0 = full-scale sine). */
  readonly levelDbfs: number;
}

/** 16-bit PCM to floats in [-1, 1). */
export function int16ToFloat(pcm: Int16Array): Float32Array {
  const out = new Float32Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = (pcm[i] ?? 0) / 32767;
  return out;
}

/**
 * The amplitude of the `frequencyHz` component of `samples` (generalized Goertzel, any frequency, not only
 * bin centres). With the Hann window (default) leakage from other tones is small; the estimate is exact for a
 * steady sine whose window holds a whole number of cycles.
 */
export function toneAmplitude(
  samples: ArrayLike<number>,
  sampleRate: number,
  frequencyHz: number,
  window: 'hann' | 'rect' = 'hann',
): number {
  const n = samples.length;
  if (n === 0) return 0;
  const w = (2 * Math.PI * frequencyHz) / sampleRate;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  let gain = 0;
  for (let i = 0; i < n; i++) {
    const win = window === 'hann' ? 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n) : 1;
    gain += win;
    const s0 = (samples[i] ?? 0) * win + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  // |X(w)| from the last two states; the phase term does not change the magnitude.
  const re = s1 - s2 * Math.cos(w);
  const im = s2 * Math.sin(w);
  return (2 * Math.hypot(re, im)) / gain;
}

export function amplitudeToDb(amplitude: number): number {
  return amplitude > 0 ? 20 * Math.log10(amplitude) : -Infinity;
}

/** Levels at each candidate frequency at or above `thresholdDbfs`, loudest first. */
export function detectTones(
  samples: ArrayLike<number>,
  sampleRate: number,
  candidatesHz: readonly number[],
  thresholdDbfs = -50,
): DetectedTone[] {
  return candidatesHz
    .map((frequencyHz) => ({
      frequencyHz,
      levelDbfs: amplitudeToDb(toneAmplitude(samples, sampleRate, frequencyHz)),
    }))
    .filter((t) => t.levelDbfs >= thresholdDbfs)
    .sort((a, b) => b.levelDbfs - a.levelDbfs);
}

export interface ToneDetectorOptions {
  readonly candidatesHz: readonly number[];
  /** Default 48 000. */
  readonly sampleRate?: number;
  /** Analysis window over the most recent audio. Default 200 ms. */
  readonly windowMs?: number;
  /** Quieter components are not reported. Default -50 dBFS. */
  readonly thresholdDbfs?: number;
}

/** Keeps the most recent `windowMs` of audio and reports the tones in it. */
export class ToneDetector {
  readonly #opts: Required<ToneDetectorOptions>;
  readonly #ring: Float32Array;
  #filled = 0;
  #write = 0;

  constructor(opts: ToneDetectorOptions) {
    this.#opts = { sampleRate: 48_000, windowMs: 200, thresholdDbfs: -50, ...opts };
    const size = Math.round((this.#opts.windowMs * this.#opts.sampleRate) / 1000);
    if (!(size > 0)) throw new TypeError('windowMs is too small');
    this.#ring = new Float32Array(size);
  }

  push(samples: ArrayLike<number>): void {
    for (let i = 0; i < samples.length; i++) {
      this.#ring[this.#write] = samples[i] ?? 0;
      this.#write = (this.#write + 1) % this.#ring.length;
    }
    this.#filled = Math.min(this.#ring.length, this.#filled + samples.length);
  }

  /** Forgets the audio so far (e.g. after a change the caller wants to observe cleanly). */
  reset(): void {
    this.#ring.fill(0);
    this.#filled = 0;
    this.#write = 0;
  }

  /** The tones in the window, loudest first (empty until some audio arrived). */
  tones(): DetectedTone[] {
    if (this.#filled === 0) return [];
    const size = this.#ring.length;
    const window = new Float32Array(this.#filled);
    const start = (this.#write - this.#filled + size) % size;
    for (let i = 0; i < this.#filled; i++) window[i] = this.#ring[(start + i) % size] ?? 0;
    return detectTones(window, this.#opts.sampleRate, this.#opts.candidatesHz, this.#opts.thresholdDbfs);
  }
}

export interface PulseDetectorOptions {
  /** Default 1000 Hz. */
  readonly frequencyHz?: number;
  /** Default 48 000. */
  readonly sampleRate?: number;
  /** A frame at or above this level at the pulse frequency is "in a pulse". Default -30 dBFS. */
  readonly thresholdDbfs?: number;
  /** Onsets closer than this to the previous one are ignored. Default 100 ms. */
  readonly minGapMs?: number;
}

/** Finds pulse onsets, frame by frame: the first loud frame after a quiet one. */
export class PulseDetector {
  readonly #opts: Required<PulseDetectorOptions>;
  #inPulse = false;
  #lastOnsetMs = -Infinity;

  constructor(opts: PulseDetectorOptions = {}) {
    this.#opts = { frequencyHz: 1000, sampleRate: 48_000, thresholdDbfs: -30, minGapMs: 100, ...opts };
  }

  /** Feeds one decoded frame received at `atMs`; returns `atMs` when a pulse starts in it. */
  push(frame: ArrayLike<number>, atMs: number): number | undefined {
    const { sampleRate, frequencyHz, thresholdDbfs, minGapMs } = this.#opts;
    const level = amplitudeToDb(toneAmplitude(frame, sampleRate, frequencyHz, 'rect'));
    const loud = level >= thresholdDbfs;
    const onset = loud && !this.#inPulse && atMs - this.#lastOnsetMs >= minGapMs;
    this.#inPulse = loud;
    if (!onset) return undefined;
    this.#lastOnsetMs = atMs;
    return atMs;
  }
}

/**
 * Finds the onsets of timing pulses (the bots' short 1 kHz bursts) in a continuous stream of samples, to
 * the sample position. The 1 kHz level is measured with a Hann-windowed Goertzel over a window as long as
 * the burst, every `hop` samples; while the level is above the threshold the window position with the
 * highest level is kept. That peak is where the window covers the burst best: centred on it, so the onset
 * is `peakStart + (window - burst) / 2`. Accurate to the hop (1/3 ms by default), whatever the gain, and
 * insensitive to other tones more than ~200 Hz away (the Hann main lobe of a 10 ms window).
 */
import { amplitudeToDb, toneAmplitude } from '../bot/ToneDetector.js';

export interface PulseOnsetsOptions {
  /** Default 1000 Hz. */
  readonly frequencyHz?: number;
  /** Burst length. Default 10 ms (the bots' ToneGenerator default). */
  readonly burstMs?: number;
  /** Default 48 000. */
  readonly sampleRate?: number;
  /** Level at the pulse frequency that counts as "in a pulse". Default -30 dBFS. */
  readonly thresholdDbfs?: number;
  /** Onsets closer than this to the previous one are ignored. Default 100 ms. */
  readonly minGapMs?: number;
  /** Analysis step in samples. Default 16. */
  readonly hop?: number;
}

export class PulseOnsets {
  readonly #freq: number;
  readonly #rate: number;
  readonly #window: number;
  readonly #burst: number;
  readonly #threshold: number;
  readonly #minGap: number;
  readonly #hop: number;
  /** The most recent samples (enough for one window), and the stream position of #buf[0]. */
  #buf = new Float32Array(0);
  #bufStart = 0;
  #nextWindow = 0; // stream position of the next window to measure
  #peak: { at: number; level: number } | undefined;
  #lastOnset = -Infinity;

  constructor(opts: PulseOnsetsOptions = {}) {
    this.#freq = opts.frequencyHz ?? 1000;
    this.#rate = opts.sampleRate ?? 48_000;
    this.#burst = Math.round(((opts.burstMs ?? 10) * this.#rate) / 1000);
    this.#window = this.#burst;
    this.#threshold = opts.thresholdDbfs ?? -30;
    this.#minGap = Math.round(((opts.minGapMs ?? 100) * this.#rate) / 1000);
    this.#hop = opts.hop ?? 16;
    if (!(this.#burst > 0 && this.#hop > 0)) throw new TypeError('burstMs and hop must be > 0');
  }

  /** Appends samples (floats in [-1, 1]); returns the stream positions of the onsets completed by them. */
  push(samples: Float32Array): number[] {
    const merged = new Float32Array(this.#buf.length + samples.length);
    merged.set(this.#buf);
    merged.set(samples, this.#buf.length);
    this.#buf = merged;
    const onsets: number[] = [];
    const end = this.#bufStart + this.#buf.length;
    while (this.#nextWindow + this.#window <= end) {
      const from = this.#nextWindow - this.#bufStart;
      const level = amplitudeToDb(
        toneAmplitude(this.#buf.subarray(from, from + this.#window), this.#rate, this.#freq, 'hann'),
      );
      const onset = this.#step(this.#nextWindow, level);
      if (onset !== undefined) onsets.push(onset);
      this.#nextWindow += this.#hop;
    }
    // Keep only what the next windows still need.
    const keepFrom = Math.max(0, this.#nextWindow - this.#bufStart);
    this.#buf = this.#buf.slice(keepFrom);
    this.#bufStart += keepFrom;
    return onsets;
  }

  /** Skips ahead: samples before `position` will never come (a gap in the stream). */
  reset(position: number): void {
    this.#buf = new Float32Array(0);
    this.#bufStart = position;
    this.#nextWindow = position;
    this.#peak = undefined;
  }

  #step(at: number, level: number): number | undefined {
    if (level >= this.#threshold) {
      if (!this.#peak || level > this.#peak.level) this.#peak = { at, level };
      return undefined;
    }
    const peak = this.#peak;
    if (!peak) return undefined;
    this.#peak = undefined;
    const onset = peak.at + Math.round((this.#window - this.#burst) / 2);
    if (onset - this.#lastOnset < this.#minGap) return undefined;
    this.#lastOnset = onset;
    return onset;
  }
}

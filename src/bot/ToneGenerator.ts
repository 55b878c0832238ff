/**
 * Test signals for the bot: a steady sine at a level in dBFS, with optional short bursts ("pulses") at another
 * frequency on a fixed schedule, so a receiver can timestamp them and measure delay. Pure and exact.
 */

/**
 * A source of 16-bit mono PCM at 48 kHz, addressed by sample position on the sender's capture clock. A
 * sender that misses frames (a stalled event loop) skips their samples too, as a microphone does: what it
 * sends at RTP timestamp `from` is always the audio of sample `from`, so a pulse is where it says it is.
 */
export interface PcmSource {
  /** The `count` samples from sample `from` on. */
  read(from: number, count: number): Int16Array;
  /** Whether a pulse starts within the samples [from, from + count). */
  pulseStartsIn(from: number, count: number): boolean;
}

export interface PulseOptions {
  /** Time between pulse starts. */
  readonly everyMs: number;
  /** Burst length. Default 10 ms. */
  readonly durationMs?: number;
  /** Burst frequency. Default 1000 Hz. */
  readonly frequencyHz?: number;
  /** Burst level. Default -6 dBFS. */
  readonly levelDbfs?: number;
}

export interface ToneOptions {
  readonly frequencyHz: number;
  /** Peak level relative to full scale: 0 dBFS is a full-scale sine. */
  readonly levelDbfs: number;
  /** Default 48 000. */
  readonly sampleRate?: number;
  /** Bursts that replace the tone for `durationMs` every `everyMs`, starting at sample 0. */
  readonly pulse?: PulseOptions;
  /**
   * Silence for `durationMs` at the end of every `everyMs` (pulses too), as a voice pauses between
   * phrases: a receiver's jitter buffer may drain standing delay there (src/audio/JitterBuffer.ts).
   */
  readonly pause?: { readonly everyMs: number; readonly durationMs: number };
}

/** 10^(dB/20): the linear amplitude of a level in dBFS (or any dB). */
export function dbToAmplitude(db: number): number {
  return 10 ** (db / 20);
}

export class ToneGenerator implements PcmSource {
  readonly sampleRate: number;
  readonly #freq: number;
  readonly #amp: number;
  readonly #pulse: { period: number; duration: number; freq: number; amp: number } | undefined;
  readonly #pause: { period: number; from: number } | undefined;
  constructor(opts: ToneOptions) {
    const sampleRate = opts.sampleRate ?? 48_000;
    if (!(sampleRate > 0)) throw new TypeError('sampleRate must be > 0');
    if (!(opts.frequencyHz >= 0 && opts.frequencyHz < sampleRate / 2)) {
      throw new TypeError(`frequencyHz must be in [0, ${sampleRate / 2})`);
    }
    if (!(opts.levelDbfs <= 0)) throw new TypeError('levelDbfs must be <= 0');
    this.sampleRate = sampleRate;
    this.#freq = opts.frequencyHz;
    this.#amp = dbToAmplitude(opts.levelDbfs);
    if (opts.pulse) {
      const p = opts.pulse;
      const period = Math.round((p.everyMs * sampleRate) / 1000);
      const duration = Math.round(((p.durationMs ?? 10) * sampleRate) / 1000);
      const freq = p.frequencyHz ?? 1000;
      if (!(period > 0 && duration > 0 && duration < period)) {
        throw new TypeError('pulse: need 0 < durationMs < everyMs');
      }
      if (!(freq > 0 && freq < sampleRate / 2)) throw new TypeError('pulse.frequencyHz is out of range');
      this.#pulse = { period, duration, freq, amp: dbToAmplitude(p.levelDbfs ?? -6) };
    }
    if (opts.pause) {
      const period = Math.round((opts.pause.everyMs * sampleRate) / 1000);
      const duration = Math.round((opts.pause.durationMs * sampleRate) / 1000);
      if (!(period > 0 && duration > 0 && duration < period)) {
        throw new TypeError('pause: need 0 < durationMs < everyMs');
      }
      this.#pause = { period, from: period - duration };
    }
  }

  /** The sample value at absolute position `n`, as a float in [-1, 1]. */
  valueAt(n: number): number {
    const pause = this.#pause;
    if (pause && n % pause.period >= pause.from) return 0;
    const p = this.#pulse;
    if (p && n % p.period < p.duration)
      return p.amp * Math.sin(2 * Math.PI * ((p.freq * n) / this.sampleRate));
    return this.#amp * Math.sin(2 * Math.PI * ((this.#freq * n) / this.sampleRate));
  }

  read(from: number, count: number): Int16Array {
    const out = new Int16Array(count);
    for (let i = 0; i < count; i++) out[i] = toInt16(this.valueAt(from + i));
    return out;
  }

  pulseStartsIn(from: number, count: number): boolean {
    const p = this.#pulse;
    if (!p) return false;
    const firstStart = Math.ceil(from / p.period) * p.period;
    return firstStart < from + count;
  }
}

/** A float sample in [-1, 1] to 16-bit, rounded and clipped. */
export function toInt16(x: number): number {
  return Math.max(-32768, Math.min(32767, Math.round(x * 32767)));
}

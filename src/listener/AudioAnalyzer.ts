/**
 * What the headless player measures in the audio it decodes: dominant frequencies and level (Spectrum),
 * timing-pulse onsets (PulseOnsets), and the delay of each pulse.
 *
 * Delay of a pulse = when its audio became available to the player (the arrival of the part holding its
 * onset) − when it was emitted. The emission time comes from the pulse reference:
 *  - `wallclock`: the speaker emits a pulse at every wall-clock multiple of `everyMs`; the onset's position,
 *    mapped to wall time through EXT-X-PROGRAM-DATE-TIME, picks the nearest multiple (so the PDT only needs
 *    to be right within ±everyMs/2). This is true glass-to-glass.
 *  - `known`: the emission times are given (bots in the same process); the nearest one to the PDT time.
 *  - `pdt` (default): the PDT time itself, i.e. when the server mixed it: server-to-player delay, which
 *    leaves out the speaker's uplink and the mixer's jitter buffer.
 * A decoded sample at decode time d (48 kHz, tfdt units) was mixed at PDT + (d − tfdt − PreSkip) / 48 ms.
 */
import { OpusFrameDecoder } from '../audio/OpusCodec.js';
import { amplitudeToDb, toneAmplitude } from '../bot/ToneDetector.js';
import type { DemuxedFragment } from './Fmp4Demux.js';
import { PulseOnsets } from './PulseOnsets.js';
import { Spectrum } from './Spectrum.js';

export type PulseReference =
  | { readonly kind: 'pdt' }
  | { readonly kind: 'wallclock'; readonly everyMs: number }
  | { readonly kind: 'known'; readonly emissions: () => readonly number[] };

export interface AnalyzerOptions {
  readonly preSkip: number;
  readonly reference?: PulseReference;
  /** Default 1000 Hz. */
  readonly pulseHz?: number;
  /** Default 10 ms. */
  readonly pulseMs?: number;
}

/**
 * A decoded 20 ms frame whose every sample is within ±8 LSB (−72 dBFS) is digital silence: what a mixer
 * sends with nobody speaking, or a listener gets from a node that has no media for the space. A real
 * microphone's noise floor, even in a quiet room, is well above it.
 */
export const DIGITAL_SILENCE_PEAK = 8;
/** The longest digital silence a listener that expects sound may hear before it reports a failure, s. */
export const SILENCE_LIMIT_S = 1;

export interface DelayStats {
  readonly p50: number;
  readonly p99: number;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

interface PartSpan {
  readonly from: number;
  readonly to: number;
  readonly arrivalMs: number;
}

export class AudioAnalyzer {
  readonly spectrum = new Spectrum();
  readonly delaysMs: number[] = [];
  /** Onsets found, as decode times (48 kHz). */
  readonly onsets: number[] = [];
  readonly #opts: AnalyzerOptions;
  readonly #decoder = new OpusFrameDecoder();
  readonly #pulses: PulseOnsets;
  readonly #pulseHz: number;
  #expected: number | undefined; // decode time of the next sample if the stream is continuous
  #anchor: { pdtMs: number; decodeTime: number } | undefined;
  #spans: PartSpan[] = [];
  decodeErrors = 0;
  /** Decoded samples (48 kHz) that were digital silence, and the longest unbroken run of them. */
  silentSamples = 0;
  longestSilence = 0;
  #silentRun = 0;

  constructor(opts: AnalyzerOptions) {
    this.#opts = opts;
    this.#pulseHz = opts.pulseHz ?? 1000;
    this.#pulses = new PulseOnsets({ frequencyHz: this.#pulseHz, burstMs: opts.pulseMs ?? 10 });
  }

  /** Decodes one fragment that arrived at `arrivalMs` (epoch ms); `pdtMs` is its first sample's PDT. */
  push(fragment: DemuxedFragment, arrivalMs: number, pdtMs: number | undefined): void {
    const start = fragment.baseDecodeTime;
    if (this.#expected !== start) {
      this.#pulses.reset(start); // a gap or the first part: no onset spans it
      this.#decoder.reset();
    }
    if (pdtMs !== undefined) this.#anchor = { pdtMs, decodeTime: start };
    let at = start;
    for (const sample of fragment.samples) {
      let pcm: Int16Array;
      try {
        pcm = this.#decoder.decode(sample.data);
      } catch {
        this.decodeErrors += 1; // counted and reported; concealment keeps the timeline
        pcm = this.#decoder.conceal();
      }
      at += sample.duration;
      this.#countSilence(pcm);
      const floats = new Float32Array(pcm.length);
      for (let i = 0; i < pcm.length; i++) floats[i] = (pcm[i] ?? 0) / 32768;
      this.#spans.push({ from: at - sample.duration, to: at, arrivalMs });
      // A block holding a pulse would show the pulse as a tone: leave it out of the spectrum.
      this.spectrum.push(floats, (block) => amplitudeToDb(toneAmplitude(block, 48_000, this.#pulseHz)) > -45);
      for (const onset of this.#pulses.push(floats)) this.#onOnset(onset);
    }
    this.#expected = at;
    if (this.#spans.length > 500) this.#spans = this.#spans.slice(-250);
  }

  #countSilence(pcm: Int16Array): void {
    let peak = 0;
    for (const v of pcm) peak = Math.max(peak, Math.abs(v));
    if (peak > DIGITAL_SILENCE_PEAK) {
      this.#silentRun = 0;
      return;
    }
    this.silentSamples += pcm.length;
    this.#silentRun += pcm.length;
    this.longestSilence = Math.max(this.longestSilence, this.#silentRun);
  }

  delay(): DelayStats | undefined {
    if (this.delaysMs.length === 0) return undefined;
    const sorted = [...this.delaysMs].sort((a, b) => a - b);
    return { p50: Math.round(percentile(sorted, 50)), p99: Math.round(percentile(sorted, 99)) };
  }

  #onOnset(decodeTime: number): void {
    this.onsets.push(decodeTime);
    const span = this.#spans.find((s) => decodeTime >= s.from && decodeTime < s.to);
    const anchor = this.#anchor;
    if (!span || !anchor) return;
    const mixedAtMs = anchor.pdtMs + ((decodeTime - anchor.decodeTime - this.#opts.preSkip) / 48_000) * 1000;
    const emitted = this.#emission(mixedAtMs);
    if (emitted !== undefined) this.delaysMs.push(span.arrivalMs - emitted);
  }

  #emission(mixedAtMs: number): number | undefined {
    const ref = this.#opts.reference ?? { kind: 'pdt' };
    if (ref.kind === 'pdt') return mixedAtMs;
    if (ref.kind === 'wallclock') return Math.round(mixedAtMs / ref.everyMs) * ref.everyMs;
    let best: number | undefined;
    for (const e of ref.emissions()) {
      if (best === undefined || Math.abs(mixedAtMs - e) < Math.abs(mixedAtMs - best)) best = e;
    }
    // Emitted before it was mixed, and not absurdly long before: otherwise it is some other pulse.
    return best !== undefined && mixedAtMs - best > -100 && mixedAtMs - best < 1000 ? best : undefined;
  }
}

/**
 * Test fixtures with known answers: sine frames, and tone power through the one Goertzel filter. Used by
 * the audio, broadcast and recording tests and the benchmark; outside the build (src/testing/).
 */
import { FRAME_SAMPLES, OpusFrameEncoder, SAMPLE_RATE } from '../audio/OpusCodec.js';
import { PartPackager } from '../broadcast/index.js';
import { toneAmplitude } from '../bot/ToneDetector.js';

/** Consecutive 20 ms frames of a sine, phase-continuous across calls. */
export class SineFrames {
  #phase = 0;
  constructor(
    readonly frequency: number,
    readonly amplitude: number,
  ) {}

  next(): Int16Array {
    const frame = new Int16Array(FRAME_SAMPLES);
    const step = (2 * Math.PI * this.frequency) / SAMPLE_RATE;
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      frame[i] = Math.round(this.amplitude * Math.sin(this.#phase));
      this.#phase += step;
    }
    return frame;
  }
}

/**
 * Power of `samples` at `frequency`: |X(f)|² / N, from the one Goertzel filter (bot/ToneDetector.ts,
 * rectangular window, whose amplitude is 2|X(f)|/N).
 */
export function goertzelPower(samples: ArrayLike<number>, frequency: number, rate = SAMPLE_RATE): number {
  const n = samples.length;
  if (n === 0) return 0;
  const magnitude = (toneAmplitude(samples, rate, frequency, 'rect') * n) / 2;
  return (magnitude * magnitude) / n;
}

/** The candidate frequency with the most energy (Goertzel). */
export function dominantFrequency(samples: ArrayLike<number>, candidates: readonly number[]): number {
  let best = candidates[0] ?? 0;
  let bestPower = -1;
  for (const f of candidates) {
    const p = goertzelPower(samples, f);
    if (p > bestPower) {
      bestPower = p;
      best = f;
    }
  }
  return best;
}

/**
 * Real Opus in real fMP4 parts (0.5 s, 2 s segments), for the players' tests: `frames` 20 ms frames, each
 * filled by `fill(frame, pcm)` (left at zero: digital silence). The last part, if incomplete, is not cut.
 */
export function opusParts(
  frames: number,
  fill: (frame: number, pcm: Int16Array) => void = () => undefined,
): { init: Uint8Array; parts: Uint8Array[]; preSkip: number } {
  const encoder = new OpusFrameEncoder();
  const packager = new PartPackager({
    preSkip: encoder.preSkip,
    startedAtMs: 0,
    partTargetS: 0.5,
    segmentTargetS: 2,
  });
  const parts: Uint8Array[] = [];
  packager.on('part', (p) => parts.push(p.bytes));
  for (let f = 0; f < frames; f++) {
    const pcm = new Int16Array(FRAME_SAMPLES);
    fill(f, pcm);
    packager.push({
      opus: encoder.encode(pcm),
      sampleTime: f * FRAME_SAMPLES,
      durationSamples: FRAME_SAMPLES,
    });
  }
  return { init: packager.initSegment, parts, preSkip: encoder.preSkip };
}

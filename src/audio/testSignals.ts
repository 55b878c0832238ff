/**
 * Test fixtures with known answers: sine frames and a Goertzel detector. Used by the audio and broadcast
 * tests and the benchmark; not part of the public surface.
 */
import { FRAME_SAMPLES, SAMPLE_RATE } from './OpusCodec.js';

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

/** Power of `samples` at `frequency` (Goertzel), normalised by length. */
export function goertzelPower(samples: ArrayLike<number>, frequency: number, rate = SAMPLE_RATE): number {
  const coeff = 2 * Math.cos((2 * Math.PI * frequency) / rate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < samples.length; i++) {
    const s0 = (samples[i] as number) + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return (s1 * s1 + s2 * s2 - coeff * s1 * s2) / samples.length;
}

/** The candidate frequency with the most Goertzel power. */
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

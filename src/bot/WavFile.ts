/**
 * WAV input for the bot: strict parsing of 16-bit PCM RIFF/WAVE files (clear errors for anything else),
 * simple down-mix and linear resampling to 48 kHz mono, and a looping PcmSource over the result.
 */
import { readFile } from 'node:fs/promises';
import type { PcmSource } from './ToneGenerator.js';

/** A WAV file that cannot be used, and why. */
export class WavFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WavFileError';
  }
}

export interface WavData {
  readonly sampleRate: number;
  readonly channels: number;
  /** Interleaved 16-bit samples. */
  readonly samples: Int16Array;
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
const MAX_CHANNELS = 8;

function fail(message: string): never {
  throw new WavFileError(`Not a usable WAV file: ${message}.`);
}

/** Parses a 16-bit PCM WAV file (any rate, 1–8 channels). Throws WavFileError on anything else. */
export function parseWav(bytes: Uint8Array): WavData {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number): string => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.byteLength < 12) fail(`${bytes.byteLength} bytes is too short for a RIFF header`);
  if (tag(0) !== 'RIFF') fail(tag(0) === 'RIFX' ? 'big-endian RIFX is not supported' : 'no RIFF header');
  if (tag(8) !== 'WAVE') fail('the RIFF type is not WAVE');
  let fmt: { channels: number; sampleRate: number } | undefined;
  let at = 12;
  while (at + 8 <= bytes.byteLength) {
    const id = tag(at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + size > bytes.byteLength) fail('the fmt chunk is truncated');
      let format = view.getUint16(body, true);
      const channels = view.getUint16(body + 2, true);
      const sampleRate = view.getUint32(body + 4, true);
      const blockAlign = view.getUint16(body + 12, true);
      const bits = view.getUint16(body + 14, true);
      if (format === WAVE_FORMAT_EXTENSIBLE) {
        if (size < 40) fail('the extensible fmt chunk is truncated');
        format = view.getUint16(body + 24, true);
      }
      if (format !== WAVE_FORMAT_PCM)
        fail(`audio format ${format} is not PCM (only 16-bit PCM is supported)`);
      if (bits !== 16) fail(`${bits}-bit samples are not supported (only 16-bit PCM)`);
      if (channels < 1 || channels > MAX_CHANNELS)
        fail(`${channels} channels (expected 1 to ${MAX_CHANNELS})`);
      if (sampleRate < 8000 || sampleRate > 384_000) fail(`sample rate ${sampleRate} Hz is out of range`);
      if (blockAlign !== channels * 2) fail(`block align ${blockAlign} does not match ${channels} channels`);
      fmt = { channels, sampleRate };
    } else if (id === 'data') {
      if (!fmt) fail('the data chunk comes before the fmt chunk');
      if (body + size > bytes.byteLength)
        fail(`the data chunk claims ${size} bytes but the file is truncated`);
      const frames = Math.floor(size / (fmt.channels * 2));
      if (frames === 0) fail('the data chunk holds no samples');
      const samples = new Int16Array(frames * fmt.channels);
      for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(body + i * 2, true);
      return { ...fmt, samples };
    }
    at = body + size + (size % 2);
  }
  return fail(fmt ? 'no data chunk' : 'no fmt chunk');
}

export async function readWavFile(path: string): Promise<WavData> {
  return parseWav(await readFile(path));
}

/** Averages the channels and resamples linearly to `targetRate` (default 48 kHz). Floats in [-1, 1]. */
export function toMono(wav: WavData, targetRate = 48_000): Float32Array {
  const frames = wav.samples.length / wav.channels;
  const mono = new Float32Array(frames);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < wav.channels; c++) sum += wav.samples[f * wav.channels + c] ?? 0;
    mono[f] = sum / wav.channels / 32768;
  }
  if (wav.sampleRate === targetRate) return mono;
  const outLength = Math.max(1, Math.round((frames * targetRate) / wav.sampleRate));
  const out = new Float32Array(outLength);
  const step = wav.sampleRate / targetRate;
  for (let i = 0; i < outLength; i++) {
    const pos = i * step;
    const i0 = Math.floor(pos);
    const frac = pos - i0;
    const a = mono[Math.min(i0, frames - 1)] ?? 0;
    const b = mono[Math.min(i0 + 1, frames - 1)] ?? 0;
    out[i] = a + (b - a) * frac;
  }
  return out;
}

/** Plays 48 kHz mono float samples as 16-bit PCM, looping at the end. Has no pulses. */
export class LoopingPcmSource implements PcmSource {
  readonly #samples: Float32Array;

  constructor(samples48kMono: Float32Array) {
    if (samples48kMono.length === 0) throw new TypeError('no samples to play');
    this.#samples = samples48kMono;
  }

  read(from: number, count: number): Int16Array {
    const out = new Int16Array(count);
    const n = this.#samples.length;
    for (let i = 0; i < count; i++) {
      const x = this.#samples[(from + i) % n] ?? 0;
      out[i] = Math.max(-32768, Math.min(32767, Math.round(x * 32768)));
    }
    return out;
  }

  pulseStartsIn(): boolean {
    return false;
  }
}

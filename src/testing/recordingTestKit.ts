/**
 * Test fixtures for recordings: a real PartPackager fed real Opus frames of a sine, and ffmpeg/ffprobe
 * runners whose stderr must stay empty. Not part of the public surface.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { AacEncoder } from '../audio/AacEncoder.js';
import { FRAME_SAMPLES, OpusFrameEncoder } from '../audio/OpusCodec.js';
import { SineFrames } from './testSignals.js';
import { AacRendition, PartPackager } from '../broadcast/index.js';

export interface TonePackager {
  readonly packager: PartPackager;
  /** Pushes `seconds` of the tone (a whole number of 20 ms frames). */
  push(seconds: number): void;
}

/** 0.5 s parts, 2 s segments: small enough that a few seconds cover every case. */
export function tonePackager(frequencyHz: number, startedAtMs: number): TonePackager {
  const encoder = new OpusFrameEncoder({ bitrate: 32_000 });
  const packager = new PartPackager({
    preSkip: encoder.preSkip,
    startedAtMs,
    partTargetS: 0.5,
    segmentTargetS: 2,
  });
  const tone = new SineFrames(frequencyHz, 10_000);
  let frame = 0;
  return {
    packager,
    push(seconds: number) {
      const frames = Math.round((seconds * 48_000) / FRAME_SAMPLES);
      for (let i = 0; i < frames; i++, frame++) {
        packager.push({
          opus: encoder.encode(tone.next()),
          sampleTime: frame * FRAME_SAMPLES,
          durationSamples: 960,
        });
      }
    },
  };
}

export interface ToneAac {
  readonly packager: PartPackager;
  /** Pushes `seconds` of the tone through the AAC encoder (its frames come out a little later). */
  push(seconds: number): void;
  /** Encodes what is left, then ends the playlist (as a space's end does). */
  end(): Promise<void>;
  close(): void;
}

/** The AAC-LC rendition of a tone, as a space's stage engine feeds it: the same timing as tonePackager. */
export function toneAac(frequencyHz: number, startedAtMs: number): ToneAac {
  const rendition = new AacRendition({ bitrate: 48_000, startedAtMs, partTargetS: 0.5, segmentTargetS: 2 });
  const encoder = new AacEncoder({ bitrate: rendition.bitrate });
  encoder.on('frame', (f) => rendition.push(f));
  const tone = new SineFrames(frequencyHz, 10_000);
  let frame = 0;
  return {
    packager: rendition.packager,
    push(seconds: number) {
      const frames = Math.round((seconds * 48_000) / FRAME_SAMPLES);
      for (let i = 0; i < frames; i++, frame++) encoder.push(tone.next(), frame * FRAME_SAMPLES);
    },
    async end() {
      await encoder.finish();
      rendition.end();
    },
    close() {
      encoder.close();
      rendition.close();
    },
  };
}

export function run(cmd: string, args: string[]): { stdout: Buffer; stderr: string; status: number | null } {
  const r = spawnSync(cmd, args, { maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { stdout: r.stdout, stderr: r.stderr.toString(), status: r.status };
}

/** Decodes any input ffmpeg reads to mono s16le at 48 kHz; asserts nothing at all on stderr. */
export function ffmpegDecode(input: string): Int16Array {
  const r = run('ffmpeg', ['-v', 'warning', '-i', input, '-f', 's16le', '-ac', '1', '-ar', '48000', '-']);
  assert.equal(r.stderr, '', `ffmpeg decode of ${input}`);
  assert.equal(r.status, 0);
  return new Int16Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.length >> 1);
}

/** ffprobe's format duration in seconds; asserts nothing on stderr. */
export function ffprobeDuration(input: string): number {
  const r = run('ffprobe', ['-v', 'warning', '-show_entries', 'format=duration', '-of', 'csv=p=0', input]);
  assert.equal(r.stderr, '', `ffprobe of ${input}`);
  assert.equal(r.status, 0);
  return Number(r.stdout.toString().trim());
}

/**
 * Like ffmpegDecode, without blocking the event loop: needed when the input is served by this very process
 * (spawnSync would stop the server that ffmpeg is reading from).
 */
export async function ffmpegDecodeAsync(input: string): Promise<Int16Array> {
  const child = spawn('ffmpeg', [
    '-v',
    'warning',
    '-i',
    input,
    '-f',
    's16le',
    '-ac',
    '1',
    '-ar',
    '48000',
    '-',
  ]);
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const status = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  assert.equal(stderr, '', `ffmpeg decode of ${input}`);
  assert.equal(status, 0);
  const all = Buffer.concat(out);
  return new Int16Array(all.buffer, all.byteOffset, all.length >> 1);
}

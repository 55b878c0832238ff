import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoopingPcmSource, WavFileError, parseWav, toMono } from './WavFile.js';

function wav(opts: {
  format?: number;
  channels?: number;
  rate?: number;
  bits?: number;
  samples: number[];
}): Uint8Array {
  const { format = 1, channels = 1, rate = 48000, bits = 16, samples } = opts;
  const data = samples.length * 2;
  const buf = Buffer.alloc(44 + data);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + data, 4);
  buf.write('WAVEfmt ', 8, 'ascii');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(format, 20);
  buf.writeUInt16LE(channels, 22);
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * channels * 2, 28);
  buf.writeUInt16LE(channels * 2, 32);
  buf.writeUInt16LE(bits, 34);
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(data, 40);
  samples.forEach((s, i) => buf.writeInt16LE(s, 44 + i * 2));
  return buf;
}

test('parseWav reads 16-bit PCM samples, rate and channels', () => {
  const parsed = parseWav(wav({ channels: 2, rate: 16000, samples: [1, -1, 1000, -1000] }));
  assert.equal(parsed.sampleRate, 16000);
  assert.equal(parsed.channels, 2);
  assert.deepEqual([...parsed.samples], [1, -1, 1000, -1000]);
});

test('parseWav rejects bad headers with a clear WavFileError', () => {
  const bad = (bytes: Uint8Array, pattern: RegExp): void =>
    assert.throws(
      () => parseWav(bytes),
      (e: unknown) => e instanceof WavFileError && pattern.test(e.message),
    );
  bad(new Uint8Array(4), /too short/);
  bad(Buffer.from('RIFX\0\0\0\0WAVE'), /big-endian/);
  bad(Buffer.from('OggS\0\0\0\0WAVE'), /no RIFF header/);
  bad(Buffer.from('RIFF\0\0\0\0AVI '), /not WAVE/);
  bad(wav({ format: 3, samples: [0] }), /format 3 is not PCM/);
  bad(wav({ bits: 24, samples: [0] }), /24-bit/);
  bad(wav({ channels: 0, samples: [0] }), /0 channels/);
  bad(wav({ rate: 100, samples: [0] }), /sample rate 100/);
  bad(wav({ samples: [] }), /no samples/);
  bad(wav({ samples: [1, 2, 3] }).subarray(0, 46), /truncated/);
  bad(wav({ samples: [1] }).subarray(0, 36), /no data chunk/);
});

test('toMono averages channels and resamples linearly to 48 kHz', () => {
  const stereo = parseWav(wav({ channels: 2, rate: 48000, samples: [16384, 0, -16384, 0] }));
  assert.deepEqual([...toMono(stereo)], [0.25, -0.25]);
  const slow = parseWav(wav({ rate: 24000, samples: [0, 16384, 0] }));
  assert.deepEqual([...toMono(slow)], [0, 0.25, 0.5, 0.25, 0, 0]);
});

test('LoopingPcmSource loops at the end', () => {
  const src = new LoopingPcmSource(new Float32Array([0, 0.5]));
  assert.deepEqual([...src.read(0, 5)], [0, 16384, 0, 16384, 0]);
  assert.deepEqual([...src.read(3, 2)], [16384, 0], 'addressed by position');
});

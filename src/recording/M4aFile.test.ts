import { test } from 'node:test';
import assert from 'node:assert/strict';
import { audioFragment } from '../broadcast/index.js';
import { concat } from '../broadcast/Mp4Boxes.js';
import { m4aFile, readFragments, type AacSamples } from './M4aFile.js';

const sample = (n: number, size: number) => Uint8Array.from({ length: size }, (_, i) => (n * 7 + i) & 0xff);

test('readFragments: the samples of moof+mdat pairs, in order, with their durations and exact bytes', () => {
  const a = [sample(1, 5), sample(2, 9)];
  const b = [sample(3, 4)];
  const segment = concat([
    audioFragment({ sequenceNumber: 1, baseDecodeTime: 0, samples: a, durations: [1024, 1024] }),
    audioFragment({ sequenceNumber: 2, baseDecodeTime: 2048, samples: b, durations: [1000] }),
  ]);
  const into: AacSamples = { sizes: [], durations: [], data: [] };
  readFragments(segment, into);
  assert.deepEqual(into.sizes, [5, 9, 4]);
  assert.deepEqual(into.durations, [1024, 1024, 1000]);
  assert.deepEqual(into.data, [...a, ...b]);
});

test('m4aFile: ftyp M4A, a sample table whose one chunk offset points at the first sample in mdat', () => {
  const data = [sample(1, 5), sample(2, 9), sample(3, 4)];
  const file = m4aFile({ sizes: [5, 9, 4], durations: [1024, 1024, 1000], data }, 48_000);
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const text = (at: number) => String.fromCharCode(...file.subarray(at, at + 4));
  assert.equal(text(4), 'ftyp');
  assert.equal(text(8), 'M4A ');
  const stco = Buffer.from(file).indexOf('stco');
  const offset = view.getUint32(stco + 12);
  assert.deepEqual(file.subarray(offset, offset + 18), concat(data));
  assert.equal(text(offset - 4), 'mdat');
  // stts, run-length: 2 entries, (2 × 1024), (1 × 1000). The type is followed by version and flags.
  const stts = Buffer.from(file).indexOf('stts');
  const words = Array.from({ length: 5 }, (_, i) => view.getUint32(stts + 8 + i * 4));
  assert.deepEqual(words, [2, 2, 1024, 1, 1000]);
  assert.throws(() => m4aFile({ sizes: [], durations: [], data: [] }, 48_000), TypeError);
});

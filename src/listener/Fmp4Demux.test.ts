import assert from 'node:assert/strict';
import { test } from 'node:test';
import { opusFragment, opusInitSegment } from '../broadcast/index.js';
import { demuxFragments, Fmp4Error, parseOpusInit } from './Fmp4Demux.js';

test('parseOpusInit: timescale, channels and PreSkip from the init segment', () => {
  assert.deepEqual(parseOpusInit(opusInitSegment({ preSkip: 312 })), {
    timescale: 48_000,
    channels: 1,
    preSkip: 312,
  });
  assert.deepEqual(parseOpusInit(opusInitSegment({ preSkip: 0, channels: 2 })), {
    timescale: 48_000,
    channels: 2,
    preSkip: 0,
  });
  assert.throws(() => parseOpusInit(new Uint8Array(16)), Fmp4Error);
});

test('demuxFragments: each moof+mdat gives its tfdt, sequence number and exact sample bytes', () => {
  const a = opusFragment({
    sequenceNumber: 7,
    baseDecodeTime: 2 ** 33 + 960, // past 32 bits: tfdt v1 must be read as 64-bit
    samples: [Uint8Array.of(1, 2, 3), Uint8Array.of(4), Uint8Array.of(5, 6)],
    durations: [960, 960, 480],
  });
  const b = opusFragment({
    sequenceNumber: 8,
    baseDecodeTime: 2 ** 33 + 3360,
    samples: [Uint8Array.of(9)],
    durations: [960],
  });
  const segment = new Uint8Array(a.length + b.length);
  segment.set(a);
  segment.set(b, a.length);
  const frags = demuxFragments(segment);
  assert.deepEqual(
    frags.map((f) => ({
      seq: f.sequenceNumber,
      t: f.baseDecodeTime,
      s: f.samples.map((s) => [s.duration, [...s.data]]),
    })),
    [
      {
        seq: 7,
        t: 2 ** 33 + 960,
        s: [
          [960, [1, 2, 3]],
          [960, [4]],
          [480, [5, 6]],
        ],
      },
      { seq: 8, t: 2 ** 33 + 3360, s: [[960, [9]]] },
    ],
  );
  assert.throws(() => demuxFragments(a.subarray(0, a.length - 1)), Fmp4Error, 'a truncated part is refused');
});

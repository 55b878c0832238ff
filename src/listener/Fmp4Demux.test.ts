import assert from 'node:assert/strict';
import { test } from 'node:test';
import { opusFragment, opusInitSegment } from '../broadcast/index.js';
import { demuxFragments, Fmp4Error, parseOpusInit } from './Fmp4Demux.js';
import { firstVariant, listedParts, parseMediaPlaylist } from './HlsPlaylist.js';

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

const LIVE = `#EXTM3U
#EXT-X-VERSION:9
#EXT-X-TARGETDURATION:4
#EXT-X-SERVER-CONTROL:CAN-SKIP-UNTIL=24.000,CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.500
#EXT-X-PART-INF:PART-TARGET=0.500
#EXT-X-MEDIA-SEQUENCE:3
#EXT-X-MAP:URI="init.mp4"
#EXT-X-SKIP:SKIPPED-SEGMENTS=2
#EXT-X-PROGRAM-DATE-TIME:2024-01-01T00:00:20.000Z
#EXTINF:4.000,
seg5.m4s
#EXT-X-PART:DURATION=0.500,URI="part6.0.m4s",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.500,URI="part6.1.m4s",INDEPENDENT=YES
#EXTINF:1.000,
seg6.m4s
#EXT-X-PART:DURATION=0.500,URI="part7.0.m4s",INDEPENDENT=YES
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part7.1.m4s"
`;

test('parseMediaPlaylist: MSNs across a delta update, parts with their segment, PDT per part, hint', () => {
  const pl = parseMediaPlaylist(LIVE);
  assert.equal(pl.canBlockReload, true);
  assert.equal(pl.partHoldBack, 1.5);
  assert.equal(pl.partTarget, 0.5);
  assert.equal(pl.map, 'init.mp4');
  assert.equal(pl.preloadHint, 'part7.1.m4s');
  assert.equal(pl.endList, false);
  assert.deepEqual(
    pl.segments.map((s) => [s.msn, s.uri, s.duration, s.parts.length]),
    [
      [5, 'seg5.m4s', 4, 0],
      [6, 'seg6.m4s', 1, 2],
    ],
  );
  const t = Date.UTC(2024, 0, 1, 0, 0, 20);
  assert.deepEqual(
    listedParts(pl).map((p) => [p.msn, p.index, p.uri, p.pdtMs]),
    [
      [6, 0, 'part6.0.m4s', t + 4000],
      [6, 1, 'part6.1.m4s', t + 4500],
      [7, 0, 'part7.0.m4s', t + 5000],
    ],
  );
  assert.throws(() => parseMediaPlaylist('nope'), /EXTM3U/);
});

test('firstVariant: the media playlist URI of a multivariant playlist; undefined for a media playlist', () => {
  assert.equal(
    firstVariant(
      '#EXTM3U\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-STREAM-INF:BANDWIDTH=40000,CODECS="opus"\naudio.m3u8\n',
    ),
    'audio.m3u8',
  );
  assert.equal(firstVariant(LIVE), undefined);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import {
  LlHlsPlaylist,
  playlistTiming,
  renderMultivariantPlaylist,
  renderVodPlaylist,
} from './LlHlsPlaylist.js';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);
const PART = 24_000; // 0.5 s in 48 kHz samples

/** A playlist of 1 s segments (two 0.5 s parts), fed `parts` parts. */
function playlistWithParts(parts: number, windowSegments = 10): LlHlsPlaylist {
  const pl = new LlHlsPlaylist({ partTargetS: 0.5, segmentTargetS: 1, windowSegments });
  for (let i = 0; i < parts; i++) {
    const segmentStart = T0 + Math.floor(i / 2) * 1000;
    const { index } = pl.addPart(PART, segmentStart);
    if (index === 1) pl.completeSegment();
  }
  return pl;
}

test('render: a live playlist lists recent parts, segments and a preload hint for the next part', () => {
  const pl = playlistWithParts(9); // segments 0..3 complete, segment 4 has part 0
  assert.equal(
    pl.render(),
    `#EXTM3U
#EXT-X-VERSION:9
#EXT-X-TARGETDURATION:1
#EXT-X-SERVER-CONTROL:CAN-SKIP-UNTIL=6.000,CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.000
#EXT-X-PART-INF:PART-TARGET=0.500
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-MAP:URI="init.mp4"
#EXT-X-PROGRAM-DATE-TIME:2024-01-01T12:00:00.000Z
#EXTINF:1.000,
seg0.m4s
#EXT-X-PART:DURATION=0.500,URI="part1.0.m4s",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.500,URI="part1.1.m4s",INDEPENDENT=YES
#EXTINF:1.000,
seg1.m4s
#EXT-X-PART:DURATION=0.500,URI="part2.0.m4s",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.500,URI="part2.1.m4s",INDEPENDENT=YES
#EXTINF:1.000,
seg2.m4s
#EXT-X-PART:DURATION=0.500,URI="part3.0.m4s",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.500,URI="part3.1.m4s",INDEPENDENT=YES
#EXTINF:1.000,
seg3.m4s
#EXT-X-PART:DURATION=0.500,URI="part4.0.m4s",INDEPENDENT=YES
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part4.1.m4s"
`,
  );
  assert.deepEqual(pl.position, { lastMsn: 3, partsInProgress: 1, ended: false });
});

test('render: right after a segment completes, the hint points at part 0 of the next segment', () => {
  const pl = playlistWithParts(2);
  assert.match(pl.render(), /seg0\.m4s\n#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part1\.0\.m4s"\n$/);
});

test('render: a delta update (_HLS_skip=YES) replaces segments beyond the skip boundary by EXT-X-SKIP', () => {
  const pl = playlistWithParts(20, 12); // segments 0..9 complete, 1 s each; CAN-SKIP-UNTIL = 6 s
  assert.equal(
    pl.render({ skip: true }),
    `#EXTM3U
#EXT-X-VERSION:9
#EXT-X-TARGETDURATION:1
#EXT-X-SERVER-CONTROL:CAN-SKIP-UNTIL=6.000,CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.000
#EXT-X-PART-INF:PART-TARGET=0.500
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-MAP:URI="init.mp4"
#EXT-X-SKIP:SKIPPED-SEGMENTS=3
#EXT-X-PROGRAM-DATE-TIME:2024-01-01T12:00:03.000Z
#EXTINF:1.000,
seg3.m4s
#EXTINF:1.000,
seg4.m4s
#EXTINF:1.000,
seg5.m4s
#EXTINF:1.000,
seg6.m4s
#EXT-X-PART:DURATION=0.500,URI="part7.0.m4s",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.500,URI="part7.1.m4s",INDEPENDENT=YES
#EXTINF:1.000,
seg7.m4s
#EXT-X-PART:DURATION=0.500,URI="part8.0.m4s",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.500,URI="part8.1.m4s",INDEPENDENT=YES
#EXTINF:1.000,
seg8.m4s
#EXT-X-PART:DURATION=0.500,URI="part9.0.m4s",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.500,URI="part9.1.m4s",INDEPENDENT=YES
#EXTINF:1.000,
seg9.m4s
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part10.0.m4s"
`,
  );
  // Nothing is old enough to skip in a short playlist: the delta update is the full playlist.
  assert.equal(playlistWithParts(8).render({ skip: true }), playlistWithParts(8).render());
});

test('completeSegment: the window slides, and EXT-X-MEDIA-SEQUENCE follows the oldest segment', () => {
  const pl = playlistWithParts(16, 4); // segments 0..7 complete, keep 4
  assert.deepEqual(pl.segmentMsns(), [4, 5, 6, 7]);
  assert.match(
    pl.render(),
    /#EXT-X-MEDIA-SEQUENCE:4\n#EXT-X-MAP:URI="init.mp4"\n#EXT-X-PROGRAM-DATE-TIME:2024-01-01T12:00:04.000Z\n/,
  );
});

test('end: the ended playlist completes the short last segment, drops parts and hints, and has ENDLIST', () => {
  const pl = playlistWithParts(5);
  pl.end();
  assert.equal(
    pl.render({ skip: true }), // _HLS_skip is ignored once ended
    `#EXTM3U
#EXT-X-VERSION:9
#EXT-X-TARGETDURATION:1
#EXT-X-PART-INF:PART-TARGET=0.500
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-MAP:URI="init.mp4"
#EXT-X-PROGRAM-DATE-TIME:2024-01-01T12:00:00.000Z
#EXTINF:1.000,
seg0.m4s
#EXTINF:1.000,
seg1.m4s
#EXTINF:0.500,
seg2.m4s
#EXT-X-ENDLIST
`,
  );
  assert.deepEqual(pl.position, { lastMsn: 2, partsInProgress: 0, ended: true });
  assert.throws(() => pl.addPart(PART, T0), TypeError);
});

test('render: a rendering is reused until the playlist changes, and every change shows at once', () => {
  const pl = playlistWithParts(3);
  const full = pl.render();
  const delta = pl.render({ skip: true });
  assert.equal(pl.render(), full);
  assert.equal(pl.render({ skip: true }), delta);
  // Each kind of change: a part, a completed segment, the end.
  pl.addPart(PART, T0 + 1000);
  assert.notEqual(pl.render(), full);
  assert.match(pl.render(), /part1\.1\.m4s/);
  assert.match(pl.render({ skip: true }), /PRELOAD-HINT:TYPE=PART,URI="part1\.2\.m4s"/);
  pl.completeSegment();
  assert.match(pl.render(), /PRELOAD-HINT:TYPE=PART,URI="part2\.0\.m4s"/);
  assert.match(pl.render({ skip: true }), /seg1\.m4s/);
  pl.end();
  assert.match(pl.render(), /#EXT-X-ENDLIST\n$/);
  assert.equal(pl.render({ skip: true }), pl.render(), 'an ended playlist ignores skip');
});

test('bytes: the body is the rendering, the same Buffer until a change, and its gzip decompresses to it', () => {
  const pl = playlistWithParts(21, 12);
  for (const skip of [false, true]) {
    const body = pl.bytes({ skip });
    assert.equal(body.toString(), pl.render({ skip }));
    assert.equal(pl.bytes({ skip }), body, 'one Buffer for every request');
    const gz = pl.bytes({ skip, gzip: true });
    assert.equal(pl.bytes({ skip, gzip: true }), gz, 'compressed once');
    assert.ok(gz.length < body.length / 2, `gzip ${gz.length} B of ${body.length} B`);
    assert.deepEqual(gunzipSync(gz), body);
  }
  // A part lands: new bytes, byte-identical to a fresh rendering of the same state.
  const before = pl.bytes({ skip: true, gzip: true });
  pl.addPart(PART, T0 + 10_000);
  const after = pl.bytes({ skip: true, gzip: true });
  assert.notEqual(after, before);
  assert.match(gunzipSync(after).toString(), /part10\.1\.m4s/);
  const fresh = playlistWithParts(21, 12);
  fresh.addPart(PART, T0 + 10_000);
  assert.deepEqual(pl.bytes(), fresh.bytes());
  assert.deepEqual(pl.bytes({ skip: true }), fresh.bytes({ skip: true }));
});

test('renderVodPlaylist: a replay lists every segment as VOD with ENDLIST', () => {
  assert.equal(
    renderVodPlaylist({
      mapUri: 'init.mp4',
      programDateTimeMs: T0,
      segments: [
        { uri: 'seg0.m4s', durationS: 4 },
        { uri: 'seg1.m4s', durationS: 2.5 },
      ],
    }),
    `#EXTM3U
#EXT-X-VERSION:6
#EXT-X-TARGETDURATION:4
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-MAP:URI="init.mp4"
#EXT-X-PROGRAM-DATE-TIME:2024-01-01T12:00:00.000Z
#EXTINF:4.000,
seg0.m4s
#EXTINF:2.500,
seg1.m4s
#EXT-X-ENDLIST
`,
  );
});

test('renderMultivariantPlaylist: one Opus variant with its bandwidth', () => {
  assert.equal(
    renderMultivariantPlaylist({ mediaUri: 'live.m3u8', bandwidth: 40_000 }),
    `#EXTM3U
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-STREAM-INF:BANDWIDTH=40000,CODECS="opus"
live.m3u8
`,
  );
});

test('playlistTiming: defaults are 0.5 s parts, 4 s segments, hold-back 2 parts, skip 6 target durations', () => {
  assert.deepEqual(playlistTiming(), {
    partTargetS: 0.5,
    partSamples: 24_000,
    partsPerSegment: 8,
    segmentSamples: 192_000,
    targetDurationS: 4,
    partHoldBackS: 1,
    canSkipUntilS: 24,
    windowSegments: 10,
  });
});

test('playlistTiming: rejects parts outside 0.2..1 s or not a multiple of 20 ms, and too short windows', () => {
  assert.throws(() => playlistTiming({ partTargetS: 0.1 }), TypeError);
  assert.throws(() => playlistTiming({ partTargetS: 1.2 }), TypeError);
  assert.throws(() => playlistTiming({ partTargetS: 0.33 }), TypeError);
  assert.throws(() => playlistTiming({ windowSegments: 2 }), TypeError);
  assert.equal(playlistTiming({ partTargetS: 0.2 }).partsPerSegment, 20);
});

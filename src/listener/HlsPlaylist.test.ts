/** The one playlist reader, on inline LL-HLS playlists whose answers are known exactly. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { comparePos, firstVariant, listedParts, parseMediaPlaylist, partEndMs } from './HlsPlaylist.js';

const PDT = '2026-01-01T00:00:00.000Z';
const T0 = Date.parse(PDT);

const LIVE = `#EXTM3U
#EXT-X-VERSION:9
#EXT-X-TARGETDURATION:1
#EXT-X-SERVER-CONTROL:CAN-SKIP-UNTIL=6.000,CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.500
#EXT-X-PART-INF:PART-TARGET=0.5
#EXT-X-MEDIA-SEQUENCE:7
#EXT-X-MAP:URI="init.mp4"
#EXT-X-PROGRAM-DATE-TIME:${PDT}
#EXT-X-PART:DURATION=0.5,URI="part7.0.m4s",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.5,URI="part7.1.m4s",INDEPENDENT=YES
#EXTINF:1.000,
seg7.m4s
#EXT-X-PART:DURATION=0.5,URI="part8.0.m4s",INDEPENDENT=YES
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part8.1.m4s"
`;

test('parseMediaPlaylist: server control, part target, map, segments and the segment in progress', () => {
  const pl = parseMediaPlaylist(LIVE);
  assert.equal(pl.targetDuration, 1);
  assert.equal(pl.partTarget, 0.5);
  assert.equal(pl.partHoldBack, 1.5);
  assert.equal(pl.canBlockReload, true);
  assert.equal(pl.mediaSequence, 7);
  assert.equal(pl.map, 'init.mp4');
  assert.equal(pl.endList, false);
  assert.deepEqual(
    pl.segments.map((s) => [s.msn, s.uri, s.duration, s.pdtMs, s.parts.length]),
    [[7, 'seg7.m4s', 1, T0, 2]],
  );
  assert.deepEqual(
    pl.pendingParts.map((p) => [p.msn, p.index, p.uri]),
    [[8, 0, 'part8.0.m4s']],
  );
});

test('parseMediaPlaylist: each part has its position, start PDT (segment PDT + offset) and end time', () => {
  const parts = listedParts(parseMediaPlaylist(LIVE));
  assert.deepEqual(
    parts.map((p) => [p.msn, p.index, p.uri, p.duration, (p.pdtMs ?? NaN) - T0, partEndMs(p) - T0]),
    [
      [7, 0, 'part7.0.m4s', 0.5, 0, 500],
      [7, 1, 'part7.1.m4s', 0.5, 500, 1000],
      [8, 0, 'part8.0.m4s', 0.5, 1000, 1500],
    ],
  );
});

test('parseMediaPlaylist: the preload hint is the position after the last listed part', () => {
  assert.deepEqual(parseMediaPlaylist(LIVE).preloadHint, { uri: 'part8.1.m4s', msn: 8, index: 1 });
  // With no trailing parts, the hint opens the next segment.
  const atBoundary = LIVE.replace(/#EXT-X-PART:DURATION=0.5,URI="part8.0.m4s",INDEPENDENT=YES\n/, '').replace(
    'part8.1.m4s',
    'part8.0.m4s',
  );
  assert.deepEqual(parseMediaPlaylist(atBoundary).preloadHint, { uri: 'part8.0.m4s', msn: 8, index: 0 });
});

test('parseMediaPlaylist: a delta update (EXT-X-SKIP) counts the skipped segments in every MSN', () => {
  const pl = parseMediaPlaylist(`#EXTM3U
#EXT-X-TARGETDURATION:4
#EXT-X-PART-INF:PART-TARGET=0.500
#EXT-X-MEDIA-SEQUENCE:3
#EXT-X-MAP:URI="init.mp4"
#EXT-X-SKIP:SKIPPED-SEGMENTS=2
#EXT-X-PROGRAM-DATE-TIME:${PDT}
#EXTINF:4.000,
seg5.m4s
#EXT-X-PART:DURATION=0.500,URI="a.m4s",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.500,URI="b.m4s",INDEPENDENT=YES
#EXTINF:1.000,
seg6.m4s
#EXT-X-PART:DURATION=0.200,URI="c.m4s",INDEPENDENT=YES
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="d.m4s"
`);
  assert.deepEqual(
    pl.segments.map((s) => [s.msn, s.uri, s.duration, s.parts.length]),
    [
      [5, 'seg5.m4s', 4, 0],
      [6, 'seg6.m4s', 1, 2],
    ],
  );
  // Names without numbers: positions come from the playlist alone.
  assert.deepEqual(
    listedParts(pl).map((p) => [p.msn, p.index, (p.pdtMs ?? NaN) - T0]),
    [
      [6, 0, 4000],
      [6, 1, 4500],
      [7, 0, 5000],
    ],
  );
  assert.deepEqual(pl.preloadHint, { uri: 'd.m4s', msn: 7, index: 1 });
});

test('parseMediaPlaylist: ENDLIST ends; without PDT, parts have no times', () => {
  const pl = parseMediaPlaylist(
    '#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-PART:DURATION=0.5,URI="part1.0.m4s"\n#EXT-X-ENDLIST\n',
  );
  assert.equal(pl.endList, true);
  const [part] = listedParts(pl);
  assert.equal(part?.pdtMs, undefined);
  assert.ok(Number.isNaN(partEndMs(part as NonNullable<typeof part>)));
  assert.equal(pl.preloadHint, undefined);
});

test('parseMediaPlaylist: not a playlist, or one without a target duration, is refused', () => {
  assert.throws(() => parseMediaPlaylist('nope'), /EXTM3U/);
  assert.throws(() => parseMediaPlaylist('#EXTM3U\n#EXTINF:1,\na.m4s\n'), /TARGETDURATION/);
  assert.throws(
    () => parseMediaPlaylist('#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-PART:DURATION=x,URI="a"\n'),
    /bad EXT-X-PART/,
  );
});

test('firstVariant: the media playlist URI of a multivariant playlist; undefined for a media playlist', () => {
  assert.equal(
    firstVariant(
      '#EXTM3U\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-STREAM-INF:BANDWIDTH=40000,CODECS="opus"\naudio.m3u8\n',
    ),
    'audio.m3u8',
  );
  assert.equal(firstVariant(LIVE), undefined);
  // Rostra lists the AAC-LC rendition first (for Safari); these listeners decode Opus.
  const both =
    '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=55200,CODECS="mp4a.40.2"\naac.m3u8\n' +
    '#EXT-X-STREAM-INF:BANDWIDTH=36800,CODECS="opus"\naudio.m3u8\n';
  assert.equal(firstVariant(both), 'audio.m3u8');
  assert.equal(
    firstVariant('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS="mp4a.40.2"\naac.m3u8\n'),
    'aac.m3u8',
  );
});

test('comparePos: orders by MSN, then by part index', () => {
  assert.ok(comparePos({ msn: 7, index: 3 }, { msn: 8, index: 0 }) < 0);
  assert.ok(comparePos({ msn: 8, index: 1 }, { msn: 8, index: 0 }) > 0);
  assert.equal(comparePos({ msn: 8, index: 1 }, { msn: 8, index: 1 }), 0);
});

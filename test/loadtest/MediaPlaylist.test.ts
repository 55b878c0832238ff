/** Parsing what a simulated listener needs from inline LL-HLS playlists, and resolving the target URL. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMediaPlaylist, resolveTarget, variantUri } from '../../src/loadtest/index.js';

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

test('parseMediaPlaylist: parts with positions and publish time = PDT + offset + own duration', () => {
  const p = parseMediaPlaylist(LIVE);
  assert.equal(p.partTargetS, 0.5);
  assert.deepEqual(
    p.parts.map((x) => [x.msn, x.index, x.uri, x.publishedMs - T0]),
    [
      [7, 0, 'part7.0.m4s', 500],
      [7, 1, 'part7.1.m4s', 1000],
      [8, 0, 'part8.0.m4s', 1500],
    ],
  );
  assert.deepEqual(p.hint, { msn: 8, index: 1 });
  assert.equal(p.ended, false);
});

test('parseMediaPlaylist: a delta update counts skipped segments and times from the PDT that follows', () => {
  const p = parseMediaPlaylist(`#EXTM3U
#EXT-X-PART-INF:PART-TARGET=0.2
#EXT-X-MEDIA-SEQUENCE:3
#EXT-X-SKIP:SKIPPED-SEGMENTS=4
#EXT-X-PROGRAM-DATE-TIME:${PDT}
#EXTINF:1.000,
seg7.m4s
#EXT-X-PART:DURATION=0.2,URI="a.m4s"
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="b.m4s"
`);
  // Names without numbers fall back to the playlist's own count.
  assert.deepEqual(
    p.parts.map((x) => [x.msn, x.index, x.publishedMs - T0]),
    [[8, 0, 1200]],
  );
  assert.deepEqual(p.hint, { msn: 8, index: 1 });
});

test('parseMediaPlaylist: ENDLIST ends; no PDT gives NaN publish times', () => {
  const p = parseMediaPlaylist('#EXTM3U\n#EXT-X-PART:DURATION=0.5,URI="part1.0.m4s"\n#EXT-X-ENDLIST\n');
  assert.equal(p.ended, true);
  assert.ok(Number.isNaN(p.parts[0]?.publishedMs));
  assert.equal(p.hint, undefined);
});

test('variantUri: the first variant of a multivariant playlist, none for a media playlist', () => {
  assert.equal(
    variantUri('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=40000,CODECS="opus"\naudio.m3u8\n'),
    'audio.m3u8',
  );
  assert.equal(variantUri(LIVE), undefined);
});

test('resolveTarget: page and playlist URLs give the space; others are a TypeError', () => {
  assert.deepEqual(resolveTarget('http://127.0.0.1:8080/s/abc123'), {
    host: '127.0.0.1',
    port: 8080,
    target: { spaceId: 'abc123', liveDir: '/live/abc123/' },
  });
  assert.equal(resolveTarget('http://localhost/live/xyz/index.m3u8').target.spaceId, 'xyz');
  assert.equal(resolveTarget('http://localhost/live/xyz/index.m3u8').port, 80);
  assert.throws(() => resolveTarget('http://localhost/api/v1/spaces'), TypeError);
  assert.throws(() => resolveTarget('https://example.com/s/abc'), TypeError);
  assert.throws(() => resolveTarget('nope'), TypeError);
});

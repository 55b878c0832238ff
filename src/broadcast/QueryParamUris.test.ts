import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderMultivariantPlaylist } from './LlHlsPlaylist.js';
import { carryQueryParam } from './QueryParamUris.js';

const MEDIA = `#EXTM3U
#EXT-X-VERSION:9
#EXT-X-TARGETDURATION:4
#EXT-X-PART-INF:PART-TARGET=0.512
#EXT-X-MEDIA-SEQUENCE:3
#EXT-X-MAP:URI="aac-init.mp4"
#EXT-X-PART:DURATION=0.491,URI="aac-part3.0.m4s",INDEPENDENT=YES
#EXTINF:3.989,
aac-seg3.m4s
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="aac-part4.0.m4s"
`;

test('carryQueryParam: every URI gets ?ticket={$ticket}, after one EXT-X-DEFINE and version 11', () => {
  assert.equal(
    carryQueryParam(MEDIA, 'ticket'),
    `#EXTM3U
#EXT-X-VERSION:11
#EXT-X-DEFINE:QUERYPARAM="ticket"
#EXT-X-TARGETDURATION:4
#EXT-X-PART-INF:PART-TARGET=0.512
#EXT-X-MEDIA-SEQUENCE:3
#EXT-X-MAP:URI="aac-init.mp4?ticket={$ticket}"
#EXT-X-PART:DURATION=0.491,URI="aac-part3.0.m4s?ticket={$ticket}",INDEPENDENT=YES
#EXTINF:3.989,
aac-seg3.m4s?ticket={$ticket}
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="aac-part4.0.m4s?ticket={$ticket}"
`,
  );
  assert.equal(carryQueryParam(MEDIA, 'ticket'), carryQueryParam(MEDIA, 'ticket'), 'the same text again');
  assert.throws(() => carryQueryParam(MEDIA, 'a}b'), TypeError);
});

test('renderMultivariantPlaylist: AAC-LC first (Safari takes the first it can play), then Opus', () => {
  const text = renderMultivariantPlaylist({
    mediaUri: 'audio.m3u8',
    bandwidth: 36_800,
    aac: { mediaUri: 'aac.m3u8', bandwidth: 55_200 },
  });
  assert.equal(
    text,
    '#EXTM3U\n#EXT-X-INDEPENDENT-SEGMENTS\n' +
      '#EXT-X-STREAM-INF:BANDWIDTH=55200,CODECS="mp4a.40.2"\naac.m3u8\n' +
      '#EXT-X-STREAM-INF:BANDWIDTH=36800,CODECS="opus"\naudio.m3u8\n',
  );
  // A multivariant playlist has no version line: the substitution adds one, and the DEFINE.
  assert.equal(
    carryQueryParam(text, 'ticket'),
    '#EXTM3U\n#EXT-X-VERSION:11\n#EXT-X-DEFINE:QUERYPARAM="ticket"\n#EXT-X-INDEPENDENT-SEGMENTS\n' +
      '#EXT-X-STREAM-INF:BANDWIDTH=55200,CODECS="mp4a.40.2"\naac.m3u8?ticket={$ticket}\n' +
      '#EXT-X-STREAM-INF:BANDWIDTH=36800,CODECS="opus"\naudio.m3u8?ticket={$ticket}\n',
  );
});

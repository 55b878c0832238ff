import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  advancePartLimit,
  decideReload,
  parseDeliveryDirectives,
  type ReloadDecision,
} from './BlockingReload.js';
import { playlistTiming, type PlaylistPosition } from './LlHlsPlaylist.js';

const timing = playlistTiming(); // 0.5 s parts, 8 per 4 s segment, target duration 4 s
// Segments 0..11 complete; segment 12 has parts 0 and 1; part 12.2 is the preload hint.
const live: PlaylistPosition = { lastMsn: 11, partsInProgress: 2, ended: false };
const WAIT: ReloadDecision = { kind: 'wait', timeoutMs: 12_000 };

function decide(msn?: number, part?: number, position = live): string {
  const d = decideReload(position, timing, { msn, part });
  return d.kind === 'wait' ? `wait ${d.timeoutMs}` : d.kind;
}

test('decideReload: a part already in the playlist is answered now, the next one is held', () => {
  assert.equal(decide(12, 1), 'respond');
  assert.equal(decide(12, 0), 'respond');
  assert.equal(decide(5, 3), 'respond'); // older than the live edge: the whole current playlist
  assert.deepEqual(decideReload(live, timing, { msn: 12, part: 2 }), WAIT); // the preload-hinted part
});

test('decideReload: _HLS_msn alone waits for that whole segment', () => {
  assert.equal(decide(11), 'respond');
  assert.equal(decide(12), 'wait 12000');
  assert.equal(decide(13), 'wait 12000');
  assert.equal(decide(14), 'bad-request'); // more than last MSN + 2
});

test('decideReload: a part index past the last part of a segment means part 0 of the next one', () => {
  const edge: PlaylistPosition = { lastMsn: 11, partsInProgress: 0, ended: false };
  assert.equal(decide(11, 8, edge), 'wait 12000'); // = 12.0, not yet there
  assert.equal(decide(11, 7, edge), 'respond');
  assert.equal(decide(10, 8, edge), 'respond'); // = 11.0, there
});

test('decideReload: more than the Advance Part Limit (6 parts at 0.5 s) ahead is a bad request', () => {
  // The newest part is 12.1; 12.7 is 6 parts ahead (held), 13.0 is 7 ahead (refused).
  assert.equal(decide(12, 7), 'wait 12000');
  assert.equal(decide(13, 0), 'bad-request');
  assert.equal(advancePartLimit(0.5), 6);
  assert.equal(advancePartLimit(0.2), 15);
  assert.equal(advancePartLimit(1), 3);
});

test('decideReload: _HLS_part without _HLS_msn is a bad request; no directive answers now', () => {
  assert.equal(decide(undefined, 1), 'bad-request');
  assert.equal(decide(), 'respond');
});

test('decideReload: once the playlist has ENDLIST, directives are ignored', () => {
  assert.equal(decide(40, 3, { lastMsn: 11, partsInProgress: 0, ended: true }), 'respond');
});

test('decideReload: before the first part exists, the first part is held', () => {
  const empty: PlaylistPosition = { lastMsn: -1, partsInProgress: 0, ended: false };
  assert.equal(decide(0, 0, empty), 'wait 12000');
  assert.equal(decide(2, 0, empty), 'bad-request');
});

test('parseDeliveryDirectives: reads the _HLS_ query parameters strictly', () => {
  assert.deepEqual(
    parseDeliveryDirectives(new URLSearchParams('_HLS_msn=12&_HLS_part=3&_HLS_skip=YES&x=1')),
    {
      ok: true,
      directives: { msn: 12, part: 3, skip: true },
    },
  );
  assert.deepEqual(parseDeliveryDirectives({}), { ok: true, directives: { skip: false } });
  for (const bad of [
    '_HLS_part=1',
    '_HLS_msn=-1',
    '_HLS_msn=1.5',
    '_HLS_msn=01',
    '_HLS_msn=12&_HLS_part=x',
    '_HLS_skip=NO',
  ]) {
    assert.equal(parseDeliveryDirectives(new URLSearchParams(bad)).ok, false, bad);
  }
});

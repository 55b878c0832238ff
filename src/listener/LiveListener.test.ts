/**
 * The headless player against a scripted origin on a virtual clock (src/testing/RestartingOrigin.ts): an
 * origin that freezes for 57 s, then restarts numbering its parts anew, must show as one stall of the time
 * without audio. A regression: `rostra listen` once reported 0 stalls across such a freeze.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RestartingOrigin, SPACE_ID } from '../testing/RestartingOrigin.js';
import { LiveListener } from './LiveListener.js';

test('LiveListener: a 57 s freeze, then a restart that numbers parts anew, is one stall of the time without audio', async () => {
  const stop = new AbortController();
  const origin = await RestartingOrigin.start(() => stop.abort());
  try {
    const report = await new LiveListener({
      url: `${origin.url}/s/${SPACE_ID}`,
      seconds: 120, // a bound only: the script stops it
      signal: stop.signal,
      now: () => origin.now,
    }).run();
    // Before: 3 parts at the join (PART-HOLD-BACK 1.5 s), then parts 20..39 as published; after the
    // restart, 3 parts behind its live edge again. The buffer ran dry at the join + 23 parts (T + 21.5 s);
    // audio came back at T + 20 s + 57 s: one stall, 55.5 s without audio.
    assert.equal(report.parts, 3 + 20 + 3);
    assert.equal(report.stalls, 1);
    assert.equal(report.stalledSeconds, 55.5);
    assert.ok(
      origin.requests.includes(`GET /live/${SPACE_ID}/index.m3u8`),
      'after the refused blocking reload it read the playlist as it is',
    );
    // The parts are digital silence, and the report says so.
    assert.equal(report.silentSeconds, report.audioSeconds);
  } finally {
    await origin.close();
  }
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failuresOf, resolveTarget } from './LoadTest.js';
import { lostBetween } from './SimListener.js';

test('resolveTarget: page and playlist URLs give the space; others are a TypeError', () => {
  assert.deepEqual(resolveTarget('http://127.0.0.1:8080/s/abc123'), {
    host: '127.0.0.1',
    port: 8080,
    target: { spaceId: 'abc123', liveDir: '/live/abc123/' },
  });
  assert.equal(resolveTarget('http://localhost/live/xyz/index.m3u8').target.spaceId, 'xyz');
  assert.equal(resolveTarget('http://localhost/live/xyz/index.m3u8').port, 80);
  assert.equal(resolveTarget('http://[::1]:9/s/a').host, '::1');
  assert.throws(() => resolveTarget('http://localhost/api/v1/spaces'), TypeError);
  assert.throws(() => resolveTarget('http://localhost/r/abc'), /needs a live space/);
  assert.throws(() => resolveTarget('https://example.com/s/abc'), /only http/);
  assert.throws(() => resolveTarget('nope'), TypeError);
});

const heard = {
  frequencies: [440],
  levelDbfs: -12,
  audioSeconds: 19.5,
  silentSeconds: 0,
  longestSilenceSeconds: 0,
  stalls: 0,
  stalledSeconds: 0,
};

test('failuresOf: a clean run has none; each stall, error and decoder problem is one line', () => {
  assert.deepEqual(failuresOf({ stalls: 0, errors: {}, decoded: [heard, heard] }, true), []);
  assert.deepEqual(
    failuresOf(
      {
        stalls: 2,
        errors: { part_http_503: 3, ECONNRESET: 1 },
        decoded: [
          { ...heard, stalls: 1, stalledSeconds: 57.2 },
          { ...heard, audioSeconds: 0, frequencies: [], error: 'space_unavailable' },
        ],
      },
      true,
    ),
    [
      '2 stalls among the simulated listeners',
      '4 errors',
      'decoding listener 1 stalled 1 times (57.2 s)',
      'decoding listener 2 could not listen: space_unavailable',
    ],
  );
});

test('failuresOf: digital silence (or no audio) where sound is expected fails, unless silence is allowed', () => {
  const silent = {
    ...heard,
    frequencies: [],
    levelDbfs: null,
    silentSeconds: 19.5,
    longestSilenceSeconds: 19.5,
  };
  const brief = { ...heard, silentSeconds: 0.9, longestSilenceSeconds: 0.9 };
  const none = { ...heard, frequencies: [], levelDbfs: null, audioSeconds: 0 };
  const run = { stalls: 0, errors: {}, decoded: [silent, brief, none] };
  assert.deepEqual(failuresOf(run, true), [
    'decoding listener 1 heard 19.5 s of digital silence (19.5 s in all)',
    'decoding listener 3 received no audio',
  ]);
  assert.deepEqual(failuresOf(run, false), []);
});

test('lostBetween: parts lost between the last fetched and the oldest listed, across segment ends', () => {
  const at = (msn: number, index: number) => ({
    msn,
    index,
    uri: `part${msn}.${index}.m4s`,
    duration: 0.5,
    pdtMs: 0,
  });
  assert.equal(lostBetween(at(7, 2), at(7, 3)), false, 'the next part');
  assert.equal(lostBetween(at(7, 3), at(8, 0)), false, 'the first of the next segment');
  assert.equal(lostBetween(at(7, 2), at(7, 1)), false, 'still listed');
  assert.equal(lostBetween(at(7, 1), at(7, 3)), true, 'one part lost');
  assert.equal(lostBetween(at(7, 3), at(9, 0)), true, 'a segment lost');
});

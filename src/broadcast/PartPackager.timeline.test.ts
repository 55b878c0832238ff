/** A packager on the space's timeline: restarts and takeovers never reuse a part or segment name. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PartPackager, timelineStart, type PackagedPart } from './PartPackager.js';

const opts = { partTargetS: 0.5, segmentTargetS: 4 };
const frame = (i: number) => ({
  opus: Uint8Array.of(0xf8, i & 0xff),
  sampleTime: i * 960,
  durationSamples: 960,
});

test('timelineStart: a fresh space starts at MSN 0; a takeover waits for the next segment boundary', () => {
  assert.deepEqual(timelineStart({ ...opts, originMs: 1_000, nowMs: 11_000, fresh: true }), {
    originMs: 1_000,
    startTime: 480_000,
    firstMsn: 0,
    dropUntil: 480_000,
  });
  // 10 s in: a part of margin (10.5 s), then the next 4 s boundary (12 s) is MSN 3.
  assert.deepEqual(timelineStart({ ...opts, originMs: 1_000, nowMs: 11_000, fresh: false }), {
    originMs: 1_000,
    startTime: 480_000,
    firstMsn: 3,
    dropUntil: 576_000,
  });
  assert.equal(timelineStart({ ...opts, originMs: 0, nowMs: 7_005, fresh: false }).startTime % 960, 0);
});

test('a takeover drops frames until its boundary, then numbers parts and decode times from there', () => {
  const timeline = timelineStart({ ...opts, originMs: 1_000, nowMs: 11_000, fresh: false });
  const p = new PartPackager({ preSkip: 312, ...opts, timeline });
  const parts: PackagedPart[] = [];
  p.on('part', (x) => parts.push(x));
  for (let i = 0; i < 100 + 25; i++) p.push(frame(i)); // 2 s dropped, then one part
  assert.equal(parts.length, 1);
  assert.deepEqual([parts[0]?.msn, parts[0]?.partIndex, parts[0]?.baseDecodeTime], [3, 0, 576_000]);
  assert.match(
    p.playlist.render(),
    /#EXT-X-MEDIA-SEQUENCE:3\n[\s\S]*#EXT-X-PROGRAM-DATE-TIME:1970-01-01T00:00:13\.000Z/,
  );
});

test('owners one after another, each dying at any moment: no MSN is ever used by two of them', () => {
  // Takeover times in ms after the space started, uneven on purpose (mid-part, mid-segment, on a boundary).
  const deaths = [5_230, 5_900, 12_000, 13_020, 29_490, 31_000];
  let start = 700; // the first owner starts 0.7 s after the space
  let fresh = true;
  const used = new Set<number>();
  for (const death of deaths) {
    const timeline = timelineStart({ ...opts, originMs: 0, nowMs: start, fresh });
    const p = new PartPackager({ preSkip: 312, ...opts, timeline });
    const mine = new Set<number>();
    p.on('part', (x) => mine.add(x.msn));
    // Frames at wall-clock pace from `start` until this owner dies.
    for (let i = 0; i < Math.floor((death - start) / 20); i++) p.push(frame(i));
    for (const msn of mine) assert.ok(!used.has(msn), `MSN ${msn} named twice (owner from ${start} ms)`);
    for (const msn of mine) used.add(msn);
    start = death;
    fresh = false;
  }
  assert.ok(used.size > 5);
});

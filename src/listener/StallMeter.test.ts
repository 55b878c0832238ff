/** The one stall definition, on synthetic arrivals with known timing (no clock is read). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StallMeter } from './StallMeter.js';

const half = () => new StallMeter({ partTargetS: 0.5 }); // tolerance 750 ms

test('StallMeter: parts on schedule, with jitter within the tolerance and a start-up burst, are no stall', () => {
  const m = half();
  for (const at of [0, 10, 20, 1500, 2000, 2500 + 600, 3000]) assert.equal(m.onAudio(at, 0.5), undefined);
  assert.equal(m.count, 0);
  assert.equal(m.parts, 7);
  assert.equal(m.stalledMs(3000), 0);
});

test('StallMeter: audio later than the tolerance is one stall; the schedule restarts from it', () => {
  const m = half();
  for (const at of [0, 500, 1000]) m.onAudio(at, 0.5);
  // Due (dry) at 1500; arrives 760 ms after: a stall, from 1500.
  assert.deepEqual(m.onAudio(1500 + 760, 0.5), { cause: 'late', atMs: 1500, part: 3 });
  // Every later part keeps the 760 ms shift: judged on the new schedule, no further stall.
  assert.equal(m.onAudio(2760, 0.5), undefined);
  assert.equal(m.onAudio(3260 + 750, 0.5), undefined, 'exactly the tolerance is not a stall');
  assert.equal(m.count, 1);
  assert.equal(m.lastLatenessMs, 750);
  assert.equal(m.stalledMs(), 760, 'lateness within the tolerance is buffered, not stalled');
});

test('StallMeter: a freeze with no audio at all is a stall by wall time, counted once, timed to the end', () => {
  const m = half();
  for (const at of [0, 500, 1000]) m.onAudio(at, 0.5); // dry at 1500
  assert.equal(m.tick(1500 + 750), undefined, 'within the tolerance');
  assert.deepEqual(m.tick(1500 + 751), { cause: 'dry', atMs: 1500, part: 3 });
  assert.equal(m.stalled, true);
  // 57 s of freeze: still one stall, and the time without audio grows with the wall clock.
  for (let t = 3000; t <= 58_500; t += 1000) assert.equal(m.tick(t), undefined);
  assert.equal(m.count, 1);
  assert.equal(m.stalledMs(58_500), 57_000);
  // Audio comes back: the stall closes without counting again, and playback resumes on a new schedule.
  assert.equal(m.onAudio(58_500, 0.5), undefined);
  assert.equal(m.stalled, false);
  assert.equal(m.onAudio(59_000, 0.5), undefined);
  assert.equal(m.count, 1);
  assert.equal(m.stalledMs(80_000), 57_000);
});

test('StallMeter: the count is the same whether or not the freeze was ticked', () => {
  const ticked = half();
  const unticked = half();
  for (const m of [ticked, unticked]) for (const at of [0, 500]) m.onAudio(at, 0.5);
  ticked.tick(5000);
  for (const m of [ticked, unticked]) m.onAudio(9000, 0.5);
  assert.equal(ticked.count, 1);
  assert.equal(unticked.count, 1);
  assert.equal(ticked.stalledMs(), 8000);
  assert.equal(unticked.stalledMs(), 8000);
});

test('StallMeter: a discontinuity is a stall, one with the freeze around it; nothing before any audio', () => {
  const m = half();
  assert.equal(m.discontinuity(), undefined, 'no playback yet');
  assert.equal(m.tick(10_000), undefined);
  m.onAudio(0, 0.5);
  m.onAudio(500, 0.5); // dry at 1000
  // Parts lost (or the media sequence went backwards), seen while audio is still buffered.
  assert.deepEqual(m.discontinuity(), { cause: 'discontinuity', atMs: 1000, part: 2 });
  assert.equal(m.tick(30_000), undefined, 'the freeze after it is the same outage');
  assert.equal(m.discontinuity(), undefined);
  m.onAudio(31_000, 0.5);
  assert.equal(m.count, 1);
  assert.equal(m.stalledMs(), 30_000);
  // A jump while audio keeps flowing still counts; the time without audio is only what ran dry.
  assert.equal(m.discontinuity()?.cause, 'discontinuity');
  m.onAudio(31_200, 0.5);
  assert.equal(m.count, 2);
  assert.equal(m.stalledMs(), 30_000);
});

test('StallMeter: small delays that add up past the tolerance drain the buffer: a stall', () => {
  const m = half();
  // Each part arrives 200 ms later than the one before needed: the buffer deficit grows 200 ms a part.
  for (let n = 0; n <= 3; n++) assert.equal(m.onAudio(n * 700, 0.5), undefined, `part ${n}`);
  // Part 4 was needed at 2000 and arrives at 2800: 800 ms late.
  assert.deepEqual(m.onAudio(4 * 700, 0.5), { cause: 'late', atMs: 2000, part: 4 });
});

test('StallMeter: options are checked', () => {
  assert.throws(() => new StallMeter({ partTargetS: 0 }), TypeError);
  assert.throws(() => new StallMeter({ partTargetS: 0.5, toleranceParts: 0 }), TypeError);
  assert.equal(new StallMeter({ partTargetS: 0.2, toleranceParts: 2 }).toleranceMs, 400);
});

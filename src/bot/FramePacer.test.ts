import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FramePacer, type PacerClock } from './FramePacer.js';

/** A manual clock: timers fire only when the test advances time. */
class FakeClock implements PacerClock {
  t = 1000;
  timers: { at: number; fn: () => void }[] = [];
  now = (): number => this.t;
  setTimeout = (fn: () => void, ms: number): unknown => {
    const timer = { at: this.t + ms, fn };
    this.timers.push(timer);
    return timer;
  };
  clearTimeout = (handle: unknown): void => {
    this.timers = this.timers.filter((t) => t !== handle);
  };
  /** Fires due timers, each `lateMs` late (timer jitter), until `until`. */
  run(until: number, lateMs = 0): void {
    for (;;) {
      const next = this.timers.sort((a, b) => a.at - b.at)[0];
      if (!next || next.at + lateMs > until) break;
      this.timers.shift();
      this.t = Math.max(this.t, next.at + lateMs);
      next.fn();
    }
    this.t = until;
  }
}

test('FramePacer keeps frame n at start + 20n ms despite late timers (no drift)', () => {
  const clock = new FakeClock();
  const sent: { index: number; at: number }[] = [];
  const pacer = new FramePacer((index) => sent.push({ index, at: clock.now() }), { clock });
  pacer.start();
  clock.run(1000 + 10_000, 3); // every timer fires 3 ms late for 10 s
  pacer.stop();
  assert.equal(sent.length, 500); // frames 0..499 (frame 500 fires at 11 003): no drift after 10 s
  sent.forEach((s, i) => {
    assert.equal(s.index, i);
    assert.ok(s.at >= 1000 + i * 20 && s.at <= 1000 + i * 20 + 3);
  });
  assert.equal(clock.timers.length, 0, 'stop clears the timer');
});

test('FramePacer catches up a short stall and skips ahead after a long one', () => {
  const clock = new FakeClock();
  const indexes: number[] = [];
  const pacer = new FramePacer((i) => indexes.push(i), { clock, maxCatchUp: 3 });
  pacer.start(); // frame 0 at 1000
  clock.run(1000 + 20 + 45); // the timer for frame 1 fires at 1065: frames 1, 2, 3 are sent at once
  assert.deepEqual(indexes, [0, 1, 2, 3]);
  clock.t = 1000 + 400; // the event loop stalls 335 ms: the timer for frame 4 fires at 1400 (frame 20)
  clock.run(1000 + 400);
  assert.deepEqual(indexes, [0, 1, 2, 3, 18, 19, 20]);
  assert.equal(pacer.skipped, 14);
  pacer.stop();
});

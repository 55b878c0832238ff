// The live player's catch-up rule (web/src/audio/liveCatchUp.ts): the browser test in test/e2e/live-delay.test.ts
// checks that a player at 0.2 s parts reaches its target; this one checks each branch of the rule.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { catchUpRate } from '../../web/src/audio/liveCatchUp.js';

test('catchUpRate: behind with buffer to spare speeds up, gently below a second behind', () => {
  assert.equal(catchUpRate(0.6, 0.8, 1), 1.1);
  assert.equal(catchUpRate(2, 2.5, 1), 1.25);
});

test('catchUpRate: never speeds up into a thin buffer (the next part may be late)', () => {
  assert.equal(catchUpRate(0.6, 0.2, 1), 1);
  assert.equal(catchUpRate(0.6, 0.2, 1.1), 1, 'already catching up: back to 1');
});

test('catchUpRate: on target plays at 1; near it, keeps catching up until within 20 ms (no flapping)', () => {
  assert.equal(catchUpRate(0.05, 1, 1), 1, 'not started for 50 ms');
  assert.equal(catchUpRate(0.05, 1, 1.1), 1.1, 'started: goes on');
  assert.equal(catchUpRate(0.01, 1, 1.1), 1, 'caught up');
  assert.equal(catchUpRate(-0.3, 1, 1), 1, 'ahead of the target');
});

test('catchUpRate: unknown figures (no playlist yet) play at 1', () => {
  assert.equal(catchUpRate(Number.NaN, 1, 1), 1);
  assert.equal(catchUpRate(0.5, Number.POSITIVE_INFINITY, 1), 1);
});

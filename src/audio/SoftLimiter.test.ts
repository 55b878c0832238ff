import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SoftLimiter } from './SoftLimiter.js';

test('limit: passes samples at or below the knee unchanged', () => {
  const limiter = new SoftLimiter({ threshold: 0.75 });
  for (const x of [0, 1, -1, 1000, -20000, limiter.knee, -limiter.knee]) assert.equal(limiter.limit(x), x);
});

test('limit: is monotonic, stays within Int16 and never wraps over a wide range', () => {
  const limiter = new SoftLimiter();
  let prev = -Infinity;
  for (let x = -400_000; x <= 400_000; x += 7) {
    const y = limiter.limit(x);
    assert.ok(y >= prev, `not monotonic at ${x}`);
    assert.ok(y >= -32767 && y <= 32767, `out of range at ${x}`);
    assert.equal(Math.sign(y), Math.sign(x));
    prev = y;
  }
  assert.ok(limiter.limit(2 ** 31 - 1) <= 32767);
});

test('process: converts an Int32 sum to Int16 sample by sample', () => {
  const limiter = new SoftLimiter();
  const out = new Int16Array(3);
  limiter.process(Int32Array.from([5, 90_000, -90_000]), out);
  assert.equal(out[0], 5);
  assert.ok((out[1] as number) > limiter.knee && (out[1] as number) <= 32767);
  assert.equal(out[2], -(out[1] as number));
});

test('constructor: rejects a threshold outside (0, 1)', () => {
  assert.throws(() => new SoftLimiter({ threshold: 1.2 }), TypeError);
});

test('process: gives exactly what limit() gives, on both sides of the knee and far past it', () => {
  const limiter = new SoftLimiter();
  const input = new Int32Array(200_001).map((_, i) => (i - 100_000) * 5);
  const out = new Int16Array(input.length);
  limiter.process(input, out);
  input.forEach((x, i) => assert.equal(out[i], limiter.limit(x), `at ${x}`));
  // Far past the table: where tanh rounds to 1 the curve steps to full scale; both sides of that step.
  const far = Int32Array.from([2 ** 31 - 1, -(2 ** 31), 150_000, 160_000, 170_000, -155_000, -165_000]);
  for (let x = 140_000; x < 180_000; x += 1) {
    const one = new Int16Array(1);
    limiter.process(Int32Array.of(x), one);
    assert.equal(one[0], limiter.limit(x), `at ${x}`);
  }
  const farOut = new Int16Array(far.length);
  limiter.process(far, farOut);
  far.forEach((x, i) => assert.equal(farOut[i], limiter.limit(x), `at ${x}`));
});

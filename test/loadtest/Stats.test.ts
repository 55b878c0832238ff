/** The report math: percentiles from the delay histogram, and stall accounting on a fake clock. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, DelayHistogram, StallMeter } from '../../src/loadtest/index.js';

test('DelayHistogram.percentile: nearest rank over 1..100 ms gives 50, 95, 99 and 100', () => {
  const h = new DelayHistogram();
  for (let ms = 100; ms >= 1; ms--) h.record(ms);
  assert.equal(h.count, 100);
  assert.equal(h.percentile(0.5), 50);
  assert.equal(h.percentile(0.95), 95);
  assert.equal(h.percentile(0.99), 99);
  assert.equal(h.percentile(1), 100);
  assert.equal(h.percentile(0), 1);
  assert.equal(h.max, 100);
});

test('DelayHistogram: negative delays count as 0, delays past 10 s land in the overflow bucket', () => {
  const h = new DelayHistogram();
  h.record(-3);
  h.record(25_000);
  assert.equal(h.percentile(0.5), 0);
  assert.equal(h.percentile(1), 10_000);
  assert.equal(h.max, 25_000);
});

test('DelayHistogram: empty gives NaN; merge adds counts; a bad quantile is a TypeError', () => {
  const a = new DelayHistogram();
  assert.ok(Number.isNaN(a.percentile(0.5)));
  const b = new DelayHistogram();
  b.record(10);
  b.record(30);
  a.record(20);
  a.merge(b);
  assert.equal(a.count, 3);
  assert.equal(a.percentile(0.5), 20);
  assert.throws(() => a.percentile(1.5), TypeError);
});

test('StallMeter: parts arriving on schedule, with a constant offset, are no stall', () => {
  const m = new StallMeter(750); // 1.5 × 0.5 s parts
  const offset = 123_456; // generator and origin clocks need not agree
  for (let n = 0; n < 20; n++) assert.equal(m.delivered(n * 500, offset + n * 500 + (n % 3) * 100), false);
  assert.equal(m.stalls, 0);
  assert.equal(m.parts, 20);
});

test('StallMeter: one part 800 ms late is one stall, and the parts after it are judged on the new schedule', () => {
  const m = new StallMeter(750);
  m.delivered(0, 1000);
  m.delivered(500, 1500);
  assert.equal(m.delivered(1000, 2000 + 800), true);
  // Every later part keeps the 800 ms shift: no further stall.
  assert.equal(m.delivered(1500, 2500 + 800), false);
  assert.equal(m.delivered(2000, 3000 + 800), false);
  assert.equal(m.stalls, 1);
});

test('StallMeter: exactly at the grace is not a stall; skipped parts are one stall and re-anchor', () => {
  const m = new StallMeter(750);
  m.delivered(0, 0);
  assert.equal(m.delivered(500, 500 + 750), false);
  m.skipped(3);
  assert.equal(m.stalls, 1);
  assert.equal(m.delivered(10_000, 99_000), false, 'the first part after a skip anchors anew');
  m.skipped(0);
  assert.equal(m.stalls, 1);
  assert.throws(() => new StallMeter(0), TypeError);
});

test('Counter: adds by key, totals, and lists keys in order', () => {
  const c = new Counter();
  c.add('part_http_503');
  c.add('ECONNRESET', 2);
  c.add('part_http_503');
  assert.equal(c.total, 4);
  assert.deepEqual(Object.keys(c.toJSON()), ['ECONNRESET', 'part_http_503']);
  assert.deepEqual(c.toJSON(), { ECONNRESET: 2, part_http_503: 2 });
});

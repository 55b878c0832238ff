/** The report math: percentiles from the delay histogram, and counters (stalls: src/listener/StallMeter.test.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, DelayHistogram } from '../../src/loadtest/index.js';

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

test('Counter: adds by key, totals, and lists keys in order', () => {
  const c = new Counter();
  c.add('part_http_503');
  c.add('ECONNRESET', 2);
  c.add('part_http_503');
  assert.equal(c.total, 4);
  assert.deepEqual(Object.keys(c.toJSON()), ['ECONNRESET', 'part_http_503']);
  assert.deepEqual(c.toJSON(), { ECONNRESET: 2, part_http_503: 2 });
});

/** LabelledHistogram's exposition is prom-client's own Histogram's, for the same observations. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Histogram, Registry } from 'prom-client';
import { LabelledHistogram } from './LabelledHistogram.js';

const config = (registry: Registry) => ({
  name: 'h_seconds',
  help: 'A histogram',
  labelNames: ['route'] as const,
  buckets: [0.01, 0.1, 1],
  registers: [registry],
});

test('the same observations show the same text and JSON as a prom-client Histogram', async () => {
  const ours = new Registry();
  const theirs = new Registry();
  const labelled = new LabelledHistogram(config(ours));
  const plain = new Histogram(config(theirs));
  // prom-client sets `observe` on each instance: this class's must be the one called.
  assert.equal(labelled.observe, LabelledHistogram.prototype.observe);
  // On a bound, between bounds, above every bound; two label values.
  const seen: [string, number][] = [
    ['/a', 0.01],
    ['/a', 0.05],
    ['/b', 0.5],
    ['/a', 7],
    ['/b', 0],
  ];
  for (const [route, v] of seen) {
    labelled.observe({ route }, v);
    plain.observe({ route }, v);
  }
  assert.equal(await ours.metrics(), await theirs.metrics());
  assert.deepEqual(await ours.getMetricsAsJSON(), await theirs.getMetricsAsJSON());
  labelled.reset();
  plain.reset();
  assert.equal(await ours.metrics(), await theirs.metrics());
});

test('what it does not take itself goes to prom-client: non-finite values are refused alike', () => {
  const labelled = new LabelledHistogram(config(new Registry()));
  assert.throws(() => labelled.observe({ route: '/a' }, Number.NaN), TypeError);
});

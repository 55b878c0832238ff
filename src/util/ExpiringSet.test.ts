import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExpiringSet } from './ExpiringSet.js';

test('ExpiringSet keeps a key until its latest expiry, and sweeps tell which keys went', () => {
  const s = new ExpiringSet();
  s.touch('a', 100);
  s.touch('b', 150);
  s.touch('a', 200); // touched again: the entry at 100 no longer expires it
  const gone: string[] = [];
  s.sweep(160, (k) => gone.push(k));
  assert.deepEqual(gone, ['b']);
  assert.equal(s.size, 1);
  assert.equal(s.has('a', 160), true);
  assert.equal(s.has('a', 200), false);
  s.sweep(200, (k) => gone.push(k));
  assert.deepEqual(gone, ['b', 'a']);
  assert.equal(s.size, 0);
});

test('ExpiringSet.delete removes at once and a later sweep does not report it', () => {
  const s = new ExpiringSet();
  s.touch('a', 10);
  assert.equal(s.delete('a'), true);
  assert.equal(s.delete('a'), false);
  const gone: string[] = [];
  s.sweep(20, (k) => gone.push(k));
  assert.deepEqual(gone, []);
});

test('ExpiringSet stays exact over many rounds of touches (queue compaction)', () => {
  const s = new ExpiringSet();
  for (let round = 0; round < 50; round++) {
    for (let k = 0; k < 100; k++) s.touch(`k${k}`, round * 10 + 15);
    s.sweep(round * 10);
    assert.equal(s.size, 100);
  }
  s.sweep(50 * 10 + 100);
  assert.equal(s.size, 0);
});

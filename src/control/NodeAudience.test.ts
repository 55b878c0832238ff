import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NodeAudience } from './NodeAudience.js';

test('NodeAudience counts listeners until their ttl runs out, and a touch extends it', () => {
  const a = new NodeAudience(100);
  a.touch('x', 0);
  a.touch('y', 50);
  assert.equal(a.count(99), 2);
  a.touch('x', 120); // x now lives until 220, behind y
  assert.equal(a.count(160), 1);
  assert.equal(a.has('x', 160), true);
  assert.equal(a.has('y', 160), false);
  a.leave('x');
  assert.equal(a.count(160), 0);
});

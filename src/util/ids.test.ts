import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ID_PATTERN, newId } from './ids.js';

test('newId: 12 URL-safe characters, unique across several refills of the entropy pool', () => {
  const ids = Array.from({ length: 5000 }, newId); // ~11 pools of 455 ids
  for (const id of ids) {
    assert.equal(id.length, 12);
    assert.match(id, ID_PATTERN);
  }
  assert.equal(new Set(ids).size, ids.length);
  // Every position carries entropy: a stuck byte would leave a column constant.
  for (let i = 0; i < 12; i++) assert.ok(new Set(ids.map((id) => id[i])).size > 32, `column ${i}`);
});

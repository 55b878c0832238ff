import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openStore } from './openStore.js';
import { runStoreSuite } from './Store.case.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'rostra-pglite-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

runStoreSuite('PGlite in memory', () => openStore({}));
runStoreSuite('PGlite in a data directory', () => openStore({ dataDir: tempDir() }));

test('PGlite: data survives close and reopen of the same directory', async () => {
  const dir = tempDir();
  const a = await openStore({ dataDir: dir });
  const created = await a.users.create({
    id: 'persist1',
    handle: 'persist',
    displayName: 'P',
    passwordHash: 'h',
  });
  assert.ok(created.ok);
  await a.close();
  await a.close();
  const b = await openStore({ dataDir: dir });
  try {
    assert.equal((await b.users.byHandle('persist'))?.id, 'persist1');
  } finally {
    await b.close();
  }
});

/**
 * The Store suite's part for avatars and recording trims. Called by `runStoreSuite` inside its describe,
 * so it runs against PGlite and PostgreSQL alike.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newId } from '../util/ids.js';
import type { Store } from './Store.js';

export function storePolishCases(getStore: () => Store): void {
  const user = async () => {
    const handle = `p${newId().slice(0, 10)}`;
    const r = await getStore().users.create({ id: newId(), handle, displayName: handle, passwordHash: 'h' });
    assert.ok(r.ok);
    return r.user;
  };

  test('avatars: put replaces, the version rides on every user read, remove clears it', async () => {
    const store = getStore();
    const u = await user();
    assert.equal(u.avatarUrl, undefined);
    assert.equal(await store.avatars.get(u.id), undefined);
    const image = Uint8Array.from([0x52, 0x49, 0x46, 0x46, 0, 1, 2, 255]);
    const at = '2026-02-01T10:00:00.000Z';
    await store.avatars.put({ userId: u.id, image, contentType: 'image/webp', version: 'v1', updatedAt: at });
    await store.avatars.put({
      userId: u.id,
      image: image.subarray(0, 4),
      contentType: 'image/webp',
      version: 'v2',
      updatedAt: at,
    });
    const got = await store.avatars.get(u.id);
    assert.deepEqual(got && [...got.image], [0x52, 0x49, 0x46, 0x46]);
    assert.equal(got?.version, 'v2');
    assert.equal(got?.updatedAt, at);
    const path = `/api/v1/users/${u.id}/avatar?v=v2`;
    assert.equal((await store.users.byId(u.id))?.avatarUrl, path);
    assert.equal((await store.users.byHandle(u.handle))?.avatarUrl, path);
    assert.equal((await store.users.byIds([u.id]))[0]?.avatarUrl, path);
    assert.equal(await store.avatars.remove(u.id), true);
    assert.equal(await store.avatars.remove(u.id), false);
    assert.equal(await store.avatars.get(u.id), undefined);
    assert.equal((await store.users.byId(u.id))?.avatarUrl, undefined);
  });

  test('recordings: a trim applies only to a finished replay; the duration is what is left after it', async () => {
    const store = getStore();
    const u = await user();
    const space = await store.spaces.create({
      id: newId(),
      hostId: u.id,
      title: 'Trim',
      topics: [],
      record: true,
      anonymousListening: true,
      state: 'ended',
      scheduledFor: null,
      startedAt: '2026-02-01T10:00:00.000Z',
      endedAt: '2026-02-01T11:00:00.000Z',
      createdAt: '2026-02-01T10:00:00.000Z',
    });
    await store.recordings.create(space.id, '2026-02-01T10:00:00.000Z');
    assert.equal(await store.recordings.setTrim(space.id, 4), false, 'not finished yet');
    await store.recordings.markFinished(space.id, 60, '2026-02-01T11:00:00.000Z');
    assert.equal((await store.recordings.get(space.id))?.trimStartSeconds, 0);
    assert.equal(await store.recordings.setTrim(space.id, 12.5), true);
    const rec = await store.recordings.get(space.id);
    assert.equal(rec?.trimStartSeconds, 12.5);
    assert.equal(rec?.durationSeconds, 47.5);
    const listed = (await store.replays.recent(50)).replays.find((r) => r.space.id === space.id);
    assert.equal(listed?.recording.durationSeconds, 47.5);
    await store.recordings.markDeleted(space.id, '2026-02-01T12:00:00.000Z');
    assert.equal(await store.recordings.setTrim(space.id, 1), false, 'deleted');
    assert.equal(await store.recordings.setTrim('nosuch', 1), false);
  });
}

/**
 * The Store suite's part for clips. Called by `runStoreSuite` inside its describe, so it runs against
 * PGlite and PostgreSQL alike.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newId } from '../util/ids.js';
import type { Clip, Store } from './Store.js';

export function storeClipCases(getStore: () => Store): void {
  const fixture = async () => {
    const store = getStore();
    const handle = `c${newId().slice(0, 10)}`;
    const u = await store.users.create({ id: newId(), handle, displayName: handle, passwordHash: 'h' });
    assert.ok(u.ok);
    const space = await store.spaces.create({
      id: newId(),
      hostId: u.user.id,
      title: 'Clipped',
      topics: [],
      record: true,
      anonymousListening: true,
      state: 'ended',
      scheduledFor: null,
      startedAt: '2026-03-01T10:00:00.000Z',
      endedAt: '2026-03-01T11:00:00.000Z',
      createdAt: '2026-03-01T10:00:00.000Z',
    });
    await store.recordings.create(space.id, '2026-03-01T10:00:00.000Z');
    return { userId: u.user.id, spaceId: space.id };
  };
  const clip = (spaceId: string, creatorId: string | null, minute: number): Omit<Clip, 'deletedAt'> => ({
    id: newId() + newId(),
    spaceId,
    recordingId: spaceId,
    startSeconds: 12.5,
    endSeconds: 42.5,
    codec: 'aac',
    creatorId,
    createdAt: new Date(Date.UTC(2026, 2, 1, 11, minute)).toISOString(),
    expiresAt: new Date(Date.UTC(2026, 2, 31, 11, minute)).toISOString(),
  });

  test('clips: created as given, read back, listed newest first, deleted once (the first time kept)', async () => {
    const store = getStore();
    const { userId, spaceId } = await fixture();
    const a = await store.clips.create(clip(spaceId, userId, 1));
    const b = await store.clips.create(clip(spaceId, null, 2));
    assert.deepEqual(a, { ...clip(spaceId, userId, 1), id: a.id, deletedAt: null });
    assert.equal(a.startSeconds, 12.5, 'fractions of a second survive');
    assert.equal(b.creatorId, null, 'an anonymous maker');
    assert.deepEqual(await store.clips.get(a.id), a);
    assert.equal(await store.clips.get('nosuchclip'), undefined);
    assert.deepEqual(
      (await store.clips.byIds([a.id, b.id, 'nosuchclip'])).map((c) => c.id).sort(),
      [a.id, b.id].sort(),
    );
    assert.deepEqual(await store.clips.byIds([]), []);
    const now = '2026-03-02T00:00:00.000Z';
    assert.deepEqual(
      (await store.clips.listForSpace(spaceId, now, 10)).map((c) => c.id),
      [b.id, a.id],
    );
    assert.deepEqual(
      (await store.clips.listForSpace(spaceId, now, 1)).map((c) => c.id),
      [b.id],
    );
    assert.equal(await store.clips.markDeleted(a.id, '2026-03-03T00:00:00.000Z'), true);
    assert.equal(await store.clips.markDeleted(a.id, '2026-03-04T00:00:00.000Z'), true);
    assert.equal((await store.clips.get(a.id))?.deletedAt, '2026-03-03T00:00:00.000Z');
    assert.equal(await store.clips.markDeleted('nosuchclip', now), false);
    assert.deepEqual(
      (await store.clips.listForSpace(spaceId, now, 10)).map((c) => c.id),
      [b.id],
    );
  });

  test('clips: listExpired finds what is past its expiry and not deleted, oldest first', async () => {
    const store = getStore();
    const { userId, spaceId } = await fixture();
    const early = await store.clips.create(clip(spaceId, userId, 1));
    const late = await store.clips.create(clip(spaceId, userId, 5));
    const gone = await store.clips.create(clip(spaceId, userId, 3));
    await store.clips.markDeleted(gone.id, '2026-03-05T00:00:00.000Z');
    const ours = async (now: string) =>
      (await store.clips.listExpired(now, 1000)).filter((c) => c.spaceId === spaceId).map((c) => c.id);
    assert.deepEqual(await ours('2026-03-31T11:00:00.000Z'), []);
    assert.deepEqual(await ours('2026-03-31T11:01:00.000Z'), [early.id], 'expiry is inclusive');
    assert.deepEqual(await ours('2026-04-01T00:00:00.000Z'), [early.id, late.id]);
    assert.deepEqual(
      (await store.clips.listForSpace(spaceId, '2026-03-31T11:02:00.000Z', 10)).map((c) => c.id),
      [late.id],
      'an expired clip is no longer listed, even before the sweep',
    );
  });
}

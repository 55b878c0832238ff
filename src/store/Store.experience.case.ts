/**
 * The Store suite's part for pinned posts and the list of recent recordings. Called by `runStoreSuite`
 * inside its describe, so it runs against PGlite and PostgreSQL alike.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Space } from '../domain/types.js';
import { isRostraError } from '../errors/index.js';
import { newId } from '../util/ids.js';
import type { Pin, Store } from './Store.js';

export function storeExperienceCases(getStore: () => Store): void {
  const user = async () => {
    const handle = `x${newId().slice(0, 10)}`;
    const r = await getStore().users.create({ id: newId(), handle, displayName: handle, passwordHash: 'h' });
    assert.ok(r.ok);
    return r.user;
  };
  const space = (hostId: string, over: Partial<Space> = {}): Promise<Space> =>
    getStore().spaces.create({
      id: newId(),
      hostId,
      title: 'X',
      topics: [],
      record: true,
      anonymousListening: true,
      state: 'ended',
      scheduledFor: null,
      startedAt: '2026-02-01T10:00:00.000Z',
      endedAt: '2026-02-01T11:00:00.000Z',
      createdAt: '2026-02-01T10:00:00.000Z',
      ...over,
    });
  const pin = (spaceId: string, pinnedBy: string, n: number): Pin => ({
    id: newId(),
    spaceId,
    title: `Link ${n}`,
    url: `https://example.org/${n}`,
    pinnedBy,
    createdAt: new Date(Date.UTC(2026, 1, 1, 10, 0, n)).toISOString(),
  });

  test('pins: added in order up to the limit, listed oldest first, removed once', async () => {
    const store = getStore();
    const u = await user();
    const s = await space(u.id, { state: 'live', endedAt: null });
    const added: Pin[] = [];
    for (let n = 0; n < 5; n++) {
      const r = await store.pins.add(pin(s.id, u.id, n), 5);
      assert.ok(r.ok);
      added.push(r.pin);
    }
    assert.deepEqual(await store.pins.add(pin(s.id, u.id, 9), 5), { ok: false, reason: 'pin_limit' });
    assert.deepEqual(await store.pins.list(s.id), added);
    const first = added[0] as Pin;
    assert.equal(first.url, 'https://example.org/0');
    assert.equal(first.createdAt, '2026-02-01T10:00:00.000Z');
    assert.equal(await store.pins.remove(s.id, first.id), true);
    assert.equal(await store.pins.remove(s.id, first.id), false);
    assert.equal(await store.pins.remove('other-space', added[1]?.id ?? ''), false, 'scoped to its space');
    assert.equal((await store.pins.list(s.id)).length, 4);
    assert.deepEqual(await store.pins.list('nobody'), []);
  });

  test('pins: racing adds never pass the limit', async () => {
    const store = getStore();
    const u = await user();
    const s = await space(u.id, { state: 'live', endedAt: null });
    const results = await Promise.all(
      Array.from({ length: 9 }, (_, n) => store.pins.add(pin(s.id, u.id, n), 5)),
    );
    assert.equal(results.filter((r) => r.ok).length, 5);
    assert.equal((await store.pins.list(s.id)).length, 5);
  });

  test('analytics: samples from several nodes merge per bucket; peak, uniques and speakers only grow', async () => {
    const store = getStore();
    const [h, sp] = [await user(), await user()];
    const s = await space(h.id, { state: 'live', endedAt: null });
    const at = (sec: number) => new Date(Date.UTC(2026, 1, 1, 10, 0, sec)).toISOString();
    assert.deepEqual(await store.analytics.get(s.id, 100), {
      peakListeners: 0,
      uniqueListeners: 0,
      speakers: 0,
      curve: [],
    });
    // Two nodes sample the same bucket and see slightly different moments: the larger count stays.
    await store.analytics.record(s.id, { at: at(0), listeners: 3, uniqueListeners: 3, stageUserIds: [h.id] });
    await store.analytics.record(s.id, { at: at(0), listeners: 5, uniqueListeners: 4, stageUserIds: [h.id] });
    await store.analytics.record(s.id, {
      at: at(10),
      listeners: 2,
      uniqueListeners: 6,
      stageUserIds: [h.id, sp.id],
    });
    await store.analytics.record(s.id, { at: at(20), listeners: 0, uniqueListeners: 6, stageUserIds: [] });
    assert.deepEqual(await store.analytics.get(s.id, 100), {
      peakListeners: 5,
      uniqueListeners: 6,
      speakers: 2,
      curve: [
        { at: at(0), listeners: 5 },
        { at: at(10), listeners: 2 },
        { at: at(20), listeners: 0 },
      ],
    });
    assert.deepEqual(
      (await store.analytics.get(s.id, 2)).curve.map((p) => p.at),
      [at(10), at(20)],
      'the newest points when capped',
    );
  });

  test('recent recordings: finished and not deleted, newest first, paged by a cursor', async () => {
    const store = getStore();
    const u = await user();
    const [a, b, unfinished, deleted] = await Promise.all([
      space(u.id),
      space(u.id),
      space(u.id),
      space(u.id),
    ]);
    for (const s of [a, b, unfinished, deleted])
      await store.recordings.create(s.id, '2026-02-01T10:00:00.000Z');
    await store.recordings.markFinished(a.id, 61.5, '2026-02-01T11:00:00.000Z');
    await store.recordings.markFinished(b.id, 30, '2026-02-01T12:00:00.000Z');
    await store.recordings.markFinished(deleted.id, 10, '2026-02-01T13:00:00.000Z');
    await store.recordings.markDeleted(deleted.id, '2026-02-01T14:00:00.000Z');
    await store.recordings.incrementPlays(a.id);

    const mine = new Set([a.id, b.id, unfinished.id, deleted.id]);
    const all = (await store.replays.recent(1000)).replays.filter((r) => mine.has(r.space.id));
    assert.deepEqual(
      all.map((r) => r.space.id),
      [b.id, a.id],
    );
    assert.deepEqual(all[1]?.recording, {
      spaceId: a.id,
      durationSeconds: 61.5,
      trimStartSeconds: 0,
      plays: 1,
      createdAt: '2026-02-01T10:00:00.000Z',
      finishedAt: '2026-02-01T11:00:00.000Z',
      deletedAt: null,
    });
    assert.equal(all[0]?.space.title, 'X');

    // Paging one at a time sees each exactly once, in the same order.
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10_000; i++) {
      const page = await store.replays.recent(1, cursor);
      seen.push(...page.replays.map((r) => r.space.id));
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    assert.deepEqual(
      seen.filter((id) => mine.has(id)),
      [b.id, a.id],
    );
    assert.equal(new Set(seen).size, seen.length);
    await assert.rejects(store.replays.recent(5, 'not-ours'), (err) => isRostraError(err));
  });
}

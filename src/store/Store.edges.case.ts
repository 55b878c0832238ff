/**
 * The Store suite's second half: edge cases, races and record formats. Called by `runStoreSuite` inside its
 * describe, so it runs against every implementation too.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Space, User } from '../domain/types.js';
import { isRostraError } from '../errors/index.js';
import { newId } from '../util/ids.js';
import type { Store } from './Store.js';

const LIMITS = { maxCohosts: 2, maxSpeakers: 10 };
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

export function storeEdgeCases(getStore: () => Store): void {
  const user = async (): Promise<User> => {
    const handle = `e${newId().slice(0, 10)}`;
    const r = await getStore().users.create({ id: newId(), handle, displayName: handle, passwordHash: 'h' });
    assert.ok(r.ok);
    return r.user;
  };
  const space = (hostId: string, over: Partial<Space> = {}): Promise<Space> =>
    getStore().spaces.create({
      id: newId(),
      hostId,
      title: 'E',
      topics: [],
      record: false,
      anonymousListening: false,
      state: 'live',
      scheduledFor: null,
      startedAt: new Date().toISOString(),
      endedAt: null,
      createdAt: new Date().toISOString(),
      ...over,
    });

  test('records carry ISO 8601 UTC strings that round-trip exactly', async () => {
    const store = getStore();
    const u = await user();
    assert.match(u.createdAt, ISO);
    const at = '2030-05-06T07:08:09.123Z';
    const s = await space(u.id, { startedAt: at, createdAt: at, topics: ['x y', 'ü'] });
    assert.deepEqual(await store.spaces.get(s.id), s);
    assert.equal(s.startedAt, at);
    assert.deepEqual(s.topics, ['x y', 'ü']);
    const [host] = await store.stage.members(s.id);
    assert.equal(host?.joinedAt, at, 'the host joins when the space is created');
  });

  test('users.create: a duplicate id is an error, not handle_taken', async () => {
    const u = await user();
    await assert.rejects(
      getStore().users.create({
        id: u.id,
        handle: `other${newId().slice(0, 6)}`,
        displayName: 'x',
        passwordHash: 'h',
      }),
    );
  });

  test('sessions.purgeExpired returns how many it deleted', async () => {
    const store = getStore();
    const u = await user();
    const past = new Date(Date.now() - 60_000).toISOString();
    const ids = [newId(), newId(), newId()];
    for (const id of ids) await store.sessions.create({ id, userId: u.id, expiresAt: past });
    assert.ok((await store.sessions.purgeExpired(new Date().toISOString())) >= 3);
    assert.equal(await store.sessions.purgeExpired(new Date().toISOString()), 0);
    assert.equal(await store.sessions.get(ids[0] as string), undefined);
  });

  test('spaces.list: equal times are ordered by id and every space is seen exactly once', async () => {
    const store = getStore();
    const h = await user();
    const far = '2999-01-01T00:00:00.000Z'; // later than any other live space in this store
    const ids = (await Promise.all(Array.from({ length: 5 }, () => space(h.id, { startedAt: far })))).map(
      (s) => s.id,
    );
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 3; page++) {
      const r = await store.spaces.list({
        state: 'live',
        limit: 2,
        ...(cursor !== undefined ? { cursor } : {}),
      });
      seen.push(...r.spaces.map((s) => s.id));
      assert.ok(r.nextCursor !== null, 'more live spaces follow');
      cursor = r.nextCursor;
    }
    assert.deepEqual(seen.slice(0, 5), [...ids].sort().reverse(), 'newest first, then id descending');
  });

  test('spaces.list: the last page has no cursor; bad limits and cursors are refused', async () => {
    const store = getStore();
    const h = await user();
    const when = '3000-01-01T00:00:00.000Z'; // the latest scheduled space of all
    const a = await space(h.id, { state: 'scheduled', startedAt: null, scheduledFor: when });
    let cursor: string | undefined;
    let last: { spaces: Space[]; nextCursor: string | null } | undefined;
    for (let i = 0; i < 1000; i++) {
      last = await store.spaces.list({
        state: 'scheduled',
        limit: 50,
        ...(cursor !== undefined ? { cursor } : {}),
      });
      if (last.nextCursor === null) break;
      cursor = last.nextCursor;
    }
    assert.equal(last?.spaces.at(-1)?.id, a.id);
    assert.equal(last?.nextCursor, null);
    await assert.rejects(store.spaces.list({ state: 'live', limit: 0 }), TypeError);
    const foreign = Buffer.from(JSON.stringify({ x: 1 })).toString('base64url');
    await assert.rejects(
      store.spaces.list({ state: 'live', limit: 1, cursor: foreign }),
      (err) => isRostraError(err) && err.code === 'validation_failed',
    );
  });

  test('spaces.transition: of racing transitions exactly one wins, and it keeps other timestamps', async () => {
    const store = getStore();
    const h = await user();
    const s = await space(h.id);
    const endedAt = new Date(Date.now() + 1000).toISOString();
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        store.spaces.transition(s.id, ['scheduled', 'live'], 'ended', { endedAt }),
      ),
    );
    const won = results.filter((r) => r !== undefined);
    assert.equal(won.length, 1);
    assert.deepEqual([won[0]?.state, won[0]?.startedAt, won[0]?.endedAt], ['ended', s.startedAt, endedAt]);
    assert.equal(await store.spaces.transition('no-such-space', ['live'], 'ended', { endedAt }), undefined);
  });

  test('spaces interest: idempotent, and gone after remove', async () => {
    const store = getStore();
    const [h, a] = [await user(), await user()];
    const s = await space(h.id);
    await store.spaces.removeInterest(s.id, a.id);
    await store.spaces.addInterest(s.id, a.id);
    await store.spaces.addInterest(s.id, a.id);
    assert.deepEqual(await store.spaces.interestedUserIds(s.id), [a.id]);
    await store.spaces.removeInterest(s.id, a.id);
    assert.equal(await store.spaces.isInterested(s.id, a.id), false);
  });

  test('stage.put: a refused role change leaves the member as they were', async () => {
    const store = getStore();
    const h = await user();
    const s = await space(h.id);
    const limits = { maxCohosts: 1, maxSpeakers: 1 };
    const [a, b] = [await user(), await user()];
    assert.ok((await store.stage.put(s.id, a.id, 'cohost', limits)).ok);
    const spoke = await store.stage.put(s.id, b.id, 'speaker', limits);
    assert.ok(spoke.ok);
    assert.deepEqual(await store.stage.put(s.id, b.id, 'cohost', limits), {
      ok: false,
      reason: 'cohost_limit',
    });
    assert.deepEqual(await store.stage.put(s.id, a.id, 'speaker', limits), {
      ok: false,
      reason: 'speaker_limit',
    });
    assert.deepEqual(await store.stage.member(s.id, b.id), spoke.member);
    assert.equal((await store.stage.member(s.id, a.id))?.role, 'cohost');
    // Swapping works once a seat is free, and joinedAt stays.
    assert.equal(await store.stage.remove(s.id, a.id), true);
    const promoted = await store.stage.put(s.id, b.id, 'cohost', limits);
    assert.ok(promoted.ok);
    assert.equal(promoted.member.joinedAt, spoke.member.joinedAt);
    assert.equal(await store.stage.remove(s.id, a.id), false, 'removing twice');
  });

  test('stage.put: refuses the host and unknown spaces as caller bugs', async () => {
    const store = getStore();
    const h = await user();
    const s = await space(h.id);
    await assert.rejects(store.stage.put(s.id, h.id, 'speaker', LIMITS), TypeError);
    assert.equal((await store.stage.member(s.id, h.id))?.role, 'host');
    await assert.rejects(store.stage.put('no-such-space', h.id, 'speaker', LIMITS));
  });

  test('stage.put: 40 racing puts of both roles fill exactly 2 co-host and 10 speaker seats', async () => {
    const store = getStore();
    const h = await user();
    const s = await space(h.id);
    const users = await Promise.all(Array.from({ length: 40 }, () => user()));
    const results = await Promise.all(
      users.map((u, i) => store.stage.put(s.id, u.id, i % 2 === 0 ? 'cohost' : 'speaker', LIMITS)),
    );
    const ok = results.filter((r) => r.ok).length;
    const members = await store.stage.members(s.id);
    assert.equal(ok, 12);
    assert.deepEqual(
      members.map((m) => m.role).sort(),
      ['cohost', 'cohost', 'host', ...Array<string>(10).fill('speaker')].sort(),
    );
    assert.equal(results.filter((r) => !r.ok && r.reason === 'cohost_limit').length, 18);
  });

  test('requests: listRequests honours its limit; invitations are replaced, removed once', async () => {
    const store = getStore();
    const [h, c, a] = [await user(), await user(), await user()];
    const s = await space(h.id);
    const others = await Promise.all(Array.from({ length: 4 }, () => user()));
    for (const [i, u] of others.entries())
      await store.requests.addRequest(s.id, u.id, `2030-01-01T00:00:0${i}.000Z`);
    assert.deepEqual(
      (await store.requests.listRequests(s.id, 2)).map((r) => r.userId),
      others.slice(0, 2).map((u) => u.id),
    );
    const inv = { spaceId: s.id, userId: a.id, invitedBy: h.id, createdAt: '2030-01-01T00:00:00.000Z' };
    await store.requests.addInvitation(inv);
    await store.requests.addInvitation({ ...inv, invitedBy: c.id, createdAt: '2030-01-01T00:01:00.000Z' });
    assert.deepEqual(await store.requests.getInvitation(s.id, a.id), {
      ...inv,
      invitedBy: c.id,
      createdAt: '2030-01-01T00:01:00.000Z',
    });
    assert.equal(await store.requests.removeInvitation(s.id, a.id), true);
    assert.equal(await store.requests.removeInvitation(s.id, a.id), false);
  });

  test('removals: listed oldest first, per space', async () => {
    const store = getStore();
    const [h, a, b] = [await user(), await user(), await user()];
    const [s, t] = [await space(h.id), await space(h.id)];
    await store.removals.add(s.id, b.id, h.id, '2030-01-01T00:00:02.000Z');
    await store.removals.add(s.id, a.id, h.id, '2030-01-01T00:00:01.000Z');
    assert.deepEqual(await store.removals.list(s.id), [a.id, b.id]);
    assert.deepEqual(await store.removals.list(t.id), []);
  });

  test('migrate: concurrent calls apply nothing twice', async () => {
    await Promise.all([getStore().migrate(), getStore().migrate(), getStore().migrate()]);
    assert.ok((await user()).id);
  });
}

/**
 * The one Store test suite, run against every implementation (PGlite in memory, PGlite on disk,
 * PostgreSQL). An implementation is right when it passes all of it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Space } from '../domain/types.js';
import { newId } from '../util/ids.js';
import { storeClipCases } from './Store.clips.case.js';
import { storeEdgeCases } from './Store.edges.case.js';
import { storeExperienceCases } from './Store.experience.case.js';
import { storePolishCases } from './Store.polish.case.js';
import type { Store } from './Store.js';

const LIMITS = { maxCohosts: 2, maxSpeakers: 10 };

export function runStoreSuite(name: string, open: () => Promise<Store>): void {
  describe(`Store: ${name}`, () => {
    let store: Store;
    before(async () => {
      store = await open();
    });
    after(async () => {
      await store.close();
    });

    const user = async (handle = `u${newId().slice(0, 10)}`) => {
      const r = await store.users.create({ id: newId(), handle, displayName: handle, passwordHash: 'h' });
      assert.ok(r.ok);
      return r.user;
    };
    const space = async (hostId: string, over: Partial<Space> = {}): Promise<Space> =>
      store.spaces.create({
        id: newId(),
        hostId,
        title: 'T',
        topics: ['a', 'b'],
        record: true,
        anonymousListening: true,
        state: 'live',
        scheduledFor: null,
        startedAt: new Date().toISOString(),
        endedAt: null,
        createdAt: new Date().toISOString(),
        ...over,
      });

    test('migrate is idempotent', async () => {
      await store.migrate();
      await store.migrate();
    });

    test('users: handles are unique without regard to case, and found without regard to case', async () => {
      const u = await user('CaseHandle');
      const dup = await store.users.create({
        id: newId(),
        handle: 'casehandle',
        displayName: 'x',
        passwordHash: 'h',
      });
      assert.deepEqual(dup, { ok: false, reason: 'handle_taken' });
      assert.equal((await store.users.byHandle('CASEHANDLE'))?.id, u.id);
      assert.equal((await store.users.byHandle('CASEHANDLE'))?.passwordHash, 'h');
      assert.deepEqual(await store.users.byId(u.id), u);
      assert.equal(await store.users.byId('nobody'), undefined);
      const v = await user();
      assert.deepEqual(
        (await store.users.byIds([v.id, 'nobody', u.id, v.id])).map((x) => x.id),
        [v.id, u.id],
        'caller order, no duplicates',
      );
      assert.deepEqual(await store.users.byIds([]), []);
    });

    test('sessions: create, get, revoke (idempotent) and purge', async () => {
      const u = await user();
      const expiresAt = new Date(Date.now() + 60_000).toISOString();
      await store.sessions.create({ id: 's1' + u.id, userId: u.id, expiresAt });
      assert.deepEqual(await store.sessions.get('s1' + u.id), {
        id: 's1' + u.id,
        userId: u.id,
        expiresAt,
        revokedAt: null,
      });
      const at = new Date().toISOString();
      await store.sessions.revoke('s1' + u.id, at);
      await store.sessions.revoke('s1' + u.id, new Date(Date.now() + 5000).toISOString());
      assert.equal(
        (await store.sessions.get('s1' + u.id))?.revokedAt,
        at,
        'the first revocation time is kept',
      );
      await store.sessions.create({
        id: 'old' + u.id,
        userId: u.id,
        expiresAt: new Date(Date.now() - 1000).toISOString(),
      });
      assert.ok((await store.sessions.purgeExpired(new Date().toISOString())) >= 1);
      assert.equal(await store.sessions.get('old' + u.id), undefined);
    });

    test('blocks: add and remove are idempotent', async () => {
      const [a, b, c] = [await user(), await user(), await user()];
      await store.blocks.add(a.id, b.id);
      await store.blocks.add(a.id, b.id);
      await store.blocks.add(a.id, c.id);
      assert.equal(await store.blocks.has(a.id, b.id), true);
      assert.equal(await store.blocks.has(b.id, a.id), false);
      assert.deepEqual((await store.blocks.listBlocked(a.id)).sort(), [b.id, c.id].sort());
      await store.blocks.remove(a.id, b.id);
      await store.blocks.remove(a.id, b.id);
      assert.deepEqual(await store.blocks.listBlocked(a.id), [c.id]);
    });

    test('spaces: create puts the host on stage; transition is a compare-and-set', async () => {
      const h = await user();
      const s = await space(h.id, {
        state: 'scheduled',
        startedAt: null,
        scheduledFor: new Date(Date.now() + 3_600_000).toISOString(),
      });
      assert.deepEqual(await store.spaces.get(s.id), s);
      assert.deepEqual(s.topics, ['a', 'b']);
      const [host] = await store.stage.members(s.id);
      assert.deepEqual([host?.userId, host?.role, host?.muted], [h.id, 'host', false]);
      const startedAt = new Date().toISOString();
      const live = await store.spaces.transition(s.id, ['scheduled'], 'live', { startedAt });
      assert.equal(live?.state, 'live');
      assert.equal(live?.startedAt, startedAt);
      assert.equal(
        await store.spaces.transition(s.id, ['scheduled'], 'cancelled', {}),
        undefined,
        'a stale transition does nothing',
      );
      assert.equal((await store.spaces.get(s.id))?.state, 'live');
      assert.deepEqual(
        await Promise.all([1, 2, 3].map(() => store.spaces.nextMediaSession(s.id))).then((n) => n.sort()),
        [1, 2, 3],
        'media sessions are counted once each, under concurrency',
      );
      assert.equal(await store.spaces.nextMediaSession('nosuchspace0'), 0);
    });

    test('spaces: live newest first, scheduled soonest first, paged with cursors', async () => {
      const h = await user();
      const base = Date.now() + 10 * 86_400_000;
      const made: Space[] = [];
      for (let i = 0; i < 5; i++) {
        made.push(
          await space(h.id, {
            state: 'scheduled',
            startedAt: null,
            scheduledFor: new Date(base + (5 - i) * 60_000).toISOString(),
            title: `s${i}`,
          }),
        );
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 10; page++) {
        const r = await store.spaces.list({
          state: 'scheduled',
          limit: 2,
          ...(cursor !== undefined ? { cursor } : {}),
        });
        seen.push(...r.spaces.filter((s) => s.hostId === h.id).map((s) => s.title));
        if (r.nextCursor === null) break;
        cursor = r.nextCursor;
      }
      assert.deepEqual(seen, ['s4', 's3', 's2', 's1', 's0']);
      const l1 = await space(h.id, { startedAt: new Date(Date.now() + 1000).toISOString() });
      const l2 = await space(h.id, { startedAt: new Date(Date.now() + 2000).toISOString() });
      const live = await store.spaces.list({ state: 'live', limit: 2 });
      assert.deepEqual(
        live.spaces.map((s) => s.id),
        [l2.id, l1.id],
      );
      await assert.rejects(store.spaces.list({ state: 'live', limit: 2, cursor: 'not-a-cursor' }), /cursor/);
    });

    test('interest: add, check, list, remove', async () => {
      const [h, a, b] = [await user(), await user(), await user()];
      const s = await space(h.id);
      await store.spaces.addInterest(s.id, a.id);
      await store.spaces.addInterest(s.id, a.id);
      await store.spaces.addInterest(s.id, b.id);
      assert.equal(await store.spaces.isInterested(s.id, a.id), true);
      assert.deepEqual((await store.spaces.interestedUserIds(s.id)).sort(), [a.id, b.id].sort());
      await store.spaces.removeInterest(s.id, a.id);
      assert.deepEqual(await store.spaces.interestedUserIds(s.id), [b.id]);
    });

    test('stage: limits refuse a 3rd co-host and an 11th speaker; a role change counts once', async () => {
      const h = await user();
      const s = await space(h.id);
      const users = await Promise.all(Array.from({ length: 14 }, () => user()));
      const [c1, c2, c3] = users as [typeof h, typeof h, typeof h];
      assert.equal((await store.stage.put(s.id, c1.id, 'cohost', LIMITS)).ok, true);
      assert.equal((await store.stage.put(s.id, c2.id, 'cohost', LIMITS)).ok, true);
      assert.deepEqual(await store.stage.put(s.id, c3.id, 'cohost', LIMITS), {
        ok: false,
        reason: 'cohost_limit',
      });
      assert.equal(
        (await store.stage.put(s.id, c1.id, 'cohost', LIMITS)).ok,
        true,
        'an existing co-host is not counted against themself',
      );
      const speakers = users.slice(3, 13);
      for (const u of speakers) {
        const r = await store.stage.put(s.id, u.id, 'speaker', LIMITS);
        assert.ok(r.ok);
        assert.equal(r.member.muted, true, 'a new speaker starts muted');
      }
      assert.deepEqual(await store.stage.put(s.id, (users[13] as typeof h).id, 'speaker', LIMITS), {
        ok: false,
        reason: 'speaker_limit',
      });
      // A speaker promoted to co-host frees a speaker seat and keeps their muted flag.
      await store.stage.setMuted(s.id, (speakers[0] as typeof h).id, false);
      assert.equal(await store.stage.remove(s.id, c2.id), true);
      const promoted = await store.stage.put(s.id, (speakers[0] as typeof h).id, 'cohost', LIMITS);
      assert.ok(promoted.ok);
      assert.equal(promoted.member.muted, false);
      assert.equal((await store.stage.put(s.id, (users[13] as typeof h).id, 'speaker', LIMITS)).ok, true);
      assert.equal(await store.stage.remove(s.id, h.id), false, 'the host cannot be removed from the stage');
    });

    test('stage: concurrent puts never exceed the limit', async () => {
      const h = await user();
      const s = await space(h.id);
      const users = await Promise.all(Array.from({ length: 20 }, () => user()));
      const results = await Promise.all(users.map((u) => store.stage.put(s.id, u.id, 'speaker', LIMITS)));
      assert.equal(results.filter((r) => r.ok).length, 10);
      assert.equal((await store.stage.members(s.id)).filter((m) => m.role === 'speaker').length, 10);
    });

    test('stage: mute, mute all except one, clear keeps the host', async () => {
      const h = await user();
      const s = await space(h.id);
      const [a, b] = [await user(), await user()];
      await store.stage.put(s.id, a.id, 'speaker', LIMITS);
      await store.stage.put(s.id, b.id, 'cohost', LIMITS);
      await store.stage.setMuted(s.id, a.id, false);
      await store.stage.setMuted(s.id, b.id, false);
      assert.equal(await store.stage.setMuted(s.id, 'nobody', true), false);
      assert.deepEqual((await store.stage.muteAll(s.id, h.id)).sort(), [a.id, b.id].sort());
      assert.deepEqual(await store.stage.muteAll(s.id, h.id), [], 'already muted: nothing changes');
      assert.equal((await store.stage.member(s.id, h.id))?.muted, false);
      await store.stage.clear(s.id);
      assert.deepEqual(
        (await store.stage.members(s.id)).map((m) => m.role),
        ['host'],
      );
    });

    test('requests and invitations', async () => {
      const h = await user();
      const s = await space(h.id);
      const [a, b] = [await user(), await user()];
      const r1 = await store.requests.addRequest(s.id, a.id, '2026-01-01T00:00:00.000Z');
      const again = await store.requests.addRequest(s.id, a.id, '2026-01-02T00:00:00.000Z');
      assert.equal(again.createdAt, r1.createdAt, 'a repeated request keeps its place');
      await store.requests.addRequest(s.id, b.id, '2026-01-01T00:00:01.000Z');
      assert.deepEqual(
        (await store.requests.listRequests(s.id, 10)).map((r) => r.userId),
        [a.id, b.id],
      );
      assert.equal(await store.requests.countRequests(s.id), 2);
      assert.equal(await store.requests.removeRequest(s.id, a.id), true);
      assert.equal(await store.requests.removeRequest(s.id, a.id), false);
      assert.equal(await store.requests.hasRequest(s.id, b.id), true);
      await store.requests.addInvitation({
        spaceId: s.id,
        userId: a.id,
        invitedBy: h.id,
        createdAt: '2026-01-01T00:00:00.000Z',
      });
      assert.equal((await store.requests.getInvitation(s.id, a.id))?.invitedBy, h.id);
      await store.requests.clearSpace(s.id);
      assert.equal(await store.requests.countRequests(s.id), 0);
      assert.equal(await store.requests.getInvitation(s.id, a.id), undefined);
    });

    test('removals', async () => {
      const h = await user();
      const s = await space(h.id);
      const a = await user();
      await store.removals.add(s.id, a.id, h.id, new Date().toISOString());
      await store.removals.add(s.id, a.id, h.id, new Date().toISOString());
      assert.equal(await store.removals.has(s.id, a.id), true);
      assert.equal(await store.removals.has(s.id, h.id), false);
      assert.deepEqual(await store.removals.list(s.id), [a.id]);
    });

    test('recordings: create is idempotent, finish, plays count atomically, delete, expiry', async () => {
      const h = await user();
      const s = await space(h.id);
      const created = await store.recordings.create(s.id, '2026-01-01T00:00:00.000Z');
      assert.deepEqual(created, {
        spaceId: s.id,
        durationSeconds: 0,
        trimStartSeconds: 0,
        plays: 0,
        createdAt: '2026-01-01T00:00:00.000Z',
        finishedAt: null,
        deletedAt: null,
      });
      const again = await store.recordings.create(s.id, '2026-01-02T00:00:00.000Z');
      assert.equal(again.createdAt, created.createdAt, 'a resumed recording keeps its row');
      assert.equal(await store.recordings.incrementPlays(s.id), undefined, 'not playable before it finishes');
      assert.equal(await store.recordings.markFinished(s.id, 12.5, '2026-01-01T01:00:00.000Z'), true);
      assert.equal(await store.recordings.markFinished('nobody', 1, '2026-01-01T01:00:00.000Z'), false);
      const counts = await Promise.all(
        Array.from({ length: 20 }, () => store.recordings.incrementPlays(s.id)),
      );
      assert.deepEqual(
        counts.map(Number).sort((a, b) => a - b),
        Array.from({ length: 20 }, (_, i) => i + 1),
        'every concurrent play gets its own count',
      );
      assert.deepEqual(await store.recordings.get(s.id), {
        ...created,
        durationSeconds: 12.5,
        trimStartSeconds: 0,
        plays: 20,
        finishedAt: '2026-01-01T01:00:00.000Z',
      });

      const s2 = await space(h.id);
      await store.recordings.create(s2.id, '2026-01-01T00:00:00.000Z');
      await store.recordings.markFinished(s2.id, 3, '2026-01-01T00:30:00.000Z');
      const s3 = await space(h.id);
      await store.recordings.create(s3.id, '2026-01-01T00:00:00.000Z'); // never finished: not expired
      const expired = (await store.recordings.listExpired('2026-01-01T01:00:00.001Z', 1000)).map(
        (r) => r.spaceId,
      );
      assert.deepEqual(
        expired.filter((id) => [s.id, s2.id, s3.id].includes(id)),
        [s2.id, s.id],
        'oldest first, finished only',
      );
      assert.equal(
        (await store.recordings.listExpired('2026-01-01T00:59:59.000Z', 1000)).some(
          (r) => r.spaceId === s.id,
        ),
        false,
      );

      assert.equal(await store.recordings.markDeleted(s.id, '2026-01-03T00:00:00.000Z'), true);
      assert.equal(await store.recordings.markDeleted(s.id, '2026-01-04T00:00:00.000Z'), true);
      assert.equal((await store.recordings.get(s.id))?.deletedAt, '2026-01-03T00:00:00.000Z', 'first kept');
      assert.equal(await store.recordings.incrementPlays(s.id), undefined, 'a deleted replay is not counted');
      assert.equal(await store.recordings.markFinished(s.id, 1, '2026-01-05T00:00:00.000Z'), false);
      assert.equal(
        (await store.recordings.listExpired('2030-01-01T00:00:00.000Z', 1000)).some(
          (r) => r.spaceId === s.id,
        ),
        false,
        'deleted recordings are not listed again',
      );
      assert.equal(await store.recordings.markDeleted('nobody', '2026-01-03T00:00:00.000Z'), false);
      assert.equal(await store.recordings.get('nobody'), undefined);
    });

    storeEdgeCases(() => store);
    storeExperienceCases(() => store);
    storePolishCases(() => store);
    storeClipCases(() => store);
  });
}

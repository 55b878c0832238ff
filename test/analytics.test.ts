/**
 * Host analytics across two nodes sharing a Store and a Bus (memory, then Redis), with a manual clock:
 * a scripted audience of exactly N gives a peak of exactly N, unique listeners count each listener once
 * (a rejoin too), the curve follows the audience, and the numbers stay after the end. No Store write per
 * listener: the Store is written by the samplers only.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { openBus, type Bus } from '../src/bus/index.js';
import type { SpaceAnalytics } from '../src/contract/index.js';
import type { RostraNode } from '../src/server/RostraNode.js';
import { openStore, type Store } from '../src/store/index.js';
import { ManualClock, openTestNode, signUp, TestClient, type ErrorBody } from '../src/testing/TestNode.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

for (const kind of ['memory', 'redis'] as const)
  describe(`host analytics across two nodes (${kind} bus)`, () => {
    let store: Store;
    let bus: Bus;
    let clock: ManualClock;
    let a: RostraNode;
    let b: RostraNode;

    before(async () => {
      store = await openStore({});
      bus = await openBus(
        kind === 'redis'
          ? { redisUrl: REDIS_URL, prefix: `rostra-test-${randomBytes(4).toString('hex')}:` }
          : {},
      );
      // Sampling buckets start on a 10 s boundary, so each advance below lands in a new bucket.
      clock = new ManualClock(Math.floor(Date.now() / 10_000) * 10_000);
      const config = { secret: 'one-secret-for-the-whole-cluster-0123456789' };
      a = await openTestNode({ store, bus, clock, config });
      b = await openTestNode({ store, bus, clock, config });
    });
    after(async () => {
      await a?.close();
      await b?.close();
      await bus?.close();
      await store?.close();
    });

    const sampleBoth = async () => {
      await a.analytics.sample();
      await b.analytics.sample();
    };

    test('a scripted audience of 7 gives a peak of exactly 7; uniques, curve, speakers, plays, duration', async () => {
      const host = await signUp(a, 'host');
      const id = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Counted' })).body.id;
      const report = async () => {
        const res = await host.client.get<SpaceAnalytics>(`/api/v1/spaces/${id}/analytics`);
        assert.equal(res.status, 200, res.text);
        return res.body;
      };
      assert.equal((await report()).peakListeners, 0);

      // 4 listeners through node A (2 signed in, 2 anonymous), 3 through node B.
      const tickets: string[] = [];
      for (let i = 0; i < 7; i++) {
        const node = i < 4 ? a : b;
        const client = i % 2 === 0 ? (await signUp(node, `l${i}`)).client : new TestClient(node);
        const res = await client.post<{ ticket: string }>(`/api/v1/spaces/${id}/listen`, {});
        assert.equal(res.status, 200, res.text);
        tickets.push(res.body.ticket);
      }
      // An anonymous listener rejoins with their ticket: the same listener, counted once.
      const anon = tickets[1] as string;
      assert.equal(
        (await new TestClient(b).post(`/api/v1/spaces/${id}/listen`, { ticket: anon })).status,
        200,
      );
      await sampleBoth();
      let r = await report();
      assert.equal(r.liveListeners, 7);
      assert.equal(r.peakListeners, 7);
      assert.equal(r.uniqueListeners, 7);
      assert.equal(r.speakers, 1);
      assert.deepEqual(
        r.curve.map((p) => p.listeners),
        [7],
      );

      // Three leave; ten seconds later the curve says 4, the peak stays 7.
      for (const t of tickets.slice(0, 3))
        assert.equal((await new TestClient(a).post(`/api/v1/spaces/${id}/leave`, { ticket: t })).status, 204);
      clock.advance(10_000);
      await sampleBoth();
      r = await report();
      assert.equal(r.liveListeners, 4);
      assert.equal(r.peakListeners, 7);
      assert.deepEqual(
        r.curve.map((p) => p.listeners),
        [7, 4],
      );
      assert.equal(Date.parse(r.curve[1]?.at ?? '') - Date.parse(r.curve[0]?.at ?? ''), 10_000);

      // A new listener: 8 different people listened live.
      await new TestClient(a).post(`/api/v1/spaces/${id}/listen`, {});
      clock.advance(20_000);
      assert.equal((await host.client.post(`/api/v1/spaces/${id}/end`)).status, 200);
      await sampleBoth(); // the last sample of a space that ended
      await store.recordings.create(id, clock.now().toISOString());
      await store.recordings.markFinished(id, 30, clock.now().toISOString());
      await store.recordings.incrementPlays(id);
      await store.recordings.incrementPlays(id);
      r = await report();
      assert.equal(r.state, 'ended');
      assert.equal(r.durationSeconds, 30);
      assert.equal(r.peakListeners, 7);
      assert.equal(r.uniqueListeners, 8);
      assert.equal(r.liveListeners, 0);
      assert.equal(r.replayPlays, 2);
      assert.deepEqual(
        r.curve.map((p) => p.listeners),
        [7, 4, 0],
      );
    });

    test('bad input and strangers: 401, 403 not_host, 400 for a bad id, 404 for no such space', async () => {
      const host = await signUp(a, 'host');
      const other = await signUp(a, 'other');
      const id = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Private numbers' })).body
        .id;
      assert.equal((await new TestClient(a).get(`/api/v1/spaces/${id}/analytics`)).status, 401);
      const refused = await other.client.get<ErrorBody>(`/api/v1/spaces/${id}/analytics`);
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error.code, 'not_host');
      assert.equal((await host.client.get(`/api/v1/spaces/bad%20id/analytics`)).status, 400);
      const missing = await host.client.get<ErrorBody>('/api/v1/spaces/nosuchspace/analytics');
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.code, 'space_not_found');
    });
  });

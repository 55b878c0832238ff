/**
 * Pinned posts and recent recordings over the API: who may pin, what a link may be, the limit, the live
 * event on another node, pins kept after the end; the recent recordings list and its bad input.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openBus, type Bus } from '../src/bus/index.js';
import type { PinView, RecentReplayList } from '../src/contract/index.js';
import type { RostraNode } from '../src/server/RostraNode.js';
import { openStore, type Store } from '../src/store/index.js';
import { EventClient } from '../src/testing/EventClient.js';
import { openTestNode, signUp, TestClient, type ErrorBody } from '../src/testing/TestNode.js';

describe('pinned posts', () => {
  let store: Store;
  let bus: Bus;
  let a: RostraNode;
  let b: RostraNode;

  before(async () => {
    store = await openStore({});
    bus = await openBus({});
    a = await openTestNode({ store, bus });
    b = await openTestNode({ store, bus });
    await b.listen();
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await bus?.close();
    await store?.close();
  });

  test('the host pins; a socket on the other node gets the list at once; anyone reads it', async () => {
    const host = await signUp(a, 'host');
    const id = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Pins' })).body.id;
    const watcher = await EventClient.connect(`http://127.0.0.1:${b.http.port}`);
    await watcher.subscribe(id);

    const res = await host.client.post<PinView>(`/api/v1/spaces/${id}/pins`, {
      title: '  The slides ',
      url: 'https://example.org/slides?x=1#p2',
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.title, 'The slides');
    assert.equal(res.body.url, 'https://example.org/slides?x=1#p2');
    assert.deepEqual(res.body.pinnedBy, { id: host.id, handle: host.handle, displayName: 'host' });
    const event = await watcher.next('pins.changed', (e) => e.spaceId === id);
    assert.deepEqual(event.pins, [res.body]);
    const listed = await new TestClient(b).get<{ pins: PinView[] }>(`/api/v1/spaces/${id}/pins`);
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.pins, [res.body]);
    assert.match(String(listed.headers['cache-control']), /public/);
    await watcher.close();
  });

  test('co-hosts pin; speakers, listeners and strangers cannot; five at most; unpin', async () => {
    const host = await signUp(a, 'host');
    const co = await signUp(a, 'cohost');
    const lis = await signUp(a, 'listener');
    const id = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Limits' })).body.id;
    await host.client.post(`/api/v1/spaces/${id}/users/${co.id}/cohost`);
    const pin = (n: number) => ({ title: `Link ${n}`, url: `http://example.org/${n}` });

    assert.equal((await co.client.post(`/api/v1/spaces/${id}/pins`, pin(0))).status, 201);
    const refused = await lis.client.post<ErrorBody>(`/api/v1/spaces/${id}/pins`, pin(1));
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'not_moderator');
    const anonymous = await new TestClient(a).post<ErrorBody>(`/api/v1/spaces/${id}/pins`, pin(1));
    assert.equal(anonymous.status, 401);
    for (let n = 1; n < 5; n++)
      assert.equal((await host.client.post(`/api/v1/spaces/${id}/pins`, pin(n))).status, 201);
    const full = await host.client.post<ErrorBody>(`/api/v1/spaces/${id}/pins`, pin(5));
    assert.equal(full.status, 409);
    assert.equal(full.body.error.code, 'pin_limit');

    const { pins } = (await host.client.get<{ pins: PinView[] }>(`/api/v1/spaces/${id}/pins`)).body;
    assert.deepEqual(
      pins.map((p) => p.title),
      ['Link 0', 'Link 1', 'Link 2', 'Link 3', 'Link 4'],
    );
    const first = pins[0] as PinView;
    assert.equal((await lis.client.delete<ErrorBody>(`/api/v1/spaces/${id}/pins/${first.id}`)).status, 403);
    assert.equal((await co.client.delete(`/api/v1/spaces/${id}/pins/${first.id}`)).status, 204);
    const again = await co.client.delete<ErrorBody>(`/api/v1/spaces/${id}/pins/${first.id}`);
    assert.equal(again.status, 404);
    assert.equal(again.body.error.code, 'not_found');
    assert.equal((await host.client.post(`/api/v1/spaces/${id}/pins`, pin(5))).status, 201);

    // The space ends: its pins stay (the replay shows them), and no more change.
    assert.equal((await host.client.post(`/api/v1/spaces/${id}/end`)).status, 200);
    const kept = await new TestClient(a).get<{ pins: PinView[] }>(`/api/v1/spaces/${id}/pins`);
    assert.equal(kept.body.pins.length, 5);
    const late = await host.client.post<ErrorBody>(`/api/v1/spaces/${id}/pins`, pin(6));
    assert.equal(late.status, 410);
    assert.equal(late.body.error.code, 'space_ended');
  });

  test('bad input: javascript:, data:, ftp:, no URL, credentials, bad titles, unknown fields, bad ids', async () => {
    const host = await signUp(a, 'host');
    const id = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Bad' })).body.id;
    const bad: unknown[] = [
      { title: 'x', url: 'javascript:alert(1)' },
      { title: 'x', url: 'JavaScript:alert(1)' },
      { title: 'x', url: 'data:text/html,<script>alert(1)</script>' },
      { title: 'x', url: 'ftp://example.org/file' },
      { title: 'x', url: 'not a url' },
      { title: 'x', url: 'https://user:pass@example.org/' },
      { title: 'x', url: `https://example.org/${'a'.repeat(2100)}` },
      { title: '', url: 'https://example.org/' },
      { title: 'a'.repeat(101), url: 'https://example.org/' },
      { title: 'bell\u0007', url: 'https://example.org/' },
      { title: 'x', url: 'https://example.org/', extra: 1 },
      { title: 'x' },
      'not json',
    ];
    for (const body of bad) {
      const res = await host.client.post<ErrorBody>(`/api/v1/spaces/${id}/pins`, body);
      assert.equal(res.status, 400, `${JSON.stringify(body)} → ${res.status} ${res.text}`);
      assert.match(res.body.error.code, /^(validation_failed|invalid_json|bad_request)$/);
    }
    assert.equal(
      (await host.client.get<{ pins: unknown[] }>(`/api/v1/spaces/${id}/pins`)).body.pins.length,
      0,
    );
    assert.equal((await host.client.delete(`/api/v1/spaces/${id}/pins/not%20an%20id`)).status, 400);
    const missing = await new TestClient(a).get<ErrorBody>('/api/v1/spaces/nosuchspace/pins');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'space_not_found');
  });
});

describe('recent recordings', () => {
  let node: RostraNode;
  before(async () => {
    node = await openTestNode();
  });
  after(async () => {
    await node?.close();
  });

  test('finished replays are listed newest first with their space; deleted and live ones are not', async () => {
    const host = await signUp(node, 'host');
    const ids: string[] = [];
    for (const title of ['First', 'Second', 'Deleted', 'Still live']) {
      const id = (await host.client.post<{ id: string }>('/api/v1/spaces', { title })).body.id;
      ids.push(id);
      if (title !== 'Still live')
        assert.equal((await host.client.post(`/api/v1/spaces/${id}/end`)).status, 200);
    }
    const [first, second, deleted, live] = ids as [string, string, string, string];
    const now = Date.now();
    for (const [id, minutesAgo] of [
      [first, 30],
      [second, 20],
      [deleted, 10],
      [live, 5],
    ] as const) {
      await node.store.recordings.create(id, new Date(now - 60 * 60_000).toISOString());
      if (id !== live)
        await node.store.recordings.markFinished(id, 90, new Date(now - minutesAgo * 60_000).toISOString());
    }
    await node.store.recordings.markDeleted(deleted, new Date(now).toISOString());

    const res = await new TestClient(node).get<RecentReplayList>('/api/v1/replays?limit=50');
    assert.equal(res.status, 200, res.text);
    const mine = res.body.replays.filter((r) => ids.includes(r.space.id));
    assert.deepEqual(
      mine.map((r) => r.space.title),
      ['Second', 'First'],
    );
    assert.equal(mine[0]?.durationSeconds, 90);
    assert.equal(mine[0]?.plays, 0);
    assert.equal(mine[0]?.space.state, 'ended');
    assert.match(mine[0]?.replayUrl ?? '', new RegExp(`/r/${second}$`));

    const one = await new TestClient(node).get<RecentReplayList>('/api/v1/replays?limit=1');
    assert.equal(one.body.replays.length, 1);
    assert.equal(typeof one.body.nextCursor, 'string');
    const next = await new TestClient(node).get<RecentReplayList>(
      `/api/v1/replays?limit=1&cursor=${encodeURIComponent(one.body.nextCursor ?? '')}`,
    );
    assert.notEqual(next.body.replays[0]?.space.id, one.body.replays[0]?.space.id);
  });

  test('bad input: limit out of range or not a number, a foreign cursor, an unknown parameter', async () => {
    for (const q of [
      'limit=0',
      'limit=51',
      'limit=abc',
      'cursor=not-ours',
      'sort=plays',
      `cursor=${'a'.repeat(300)}`,
    ]) {
      const res = await new TestClient(node).get<ErrorBody>(`/api/v1/replays?${q}`);
      assert.equal(res.status, 400, `${q} → ${res.status}`);
      assert.equal(res.body.error.code, 'validation_failed');
    }
  });
});

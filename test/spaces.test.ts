/** Spaces: start now or schedule up to 14 days ahead, lifecycle, listing with counts, topics. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RostraNode } from '../src/server/RostraNode.js';
import { openTestNode, signUp, TestClient, type ErrorBody, type TestUser } from '../src/testing/TestNode.js';

interface View {
  id: string;
  state: string;
  listenerCount: number;
  topics: string[];
  record: boolean;
  scheduledFor: string | null;
  startedAt: string | null;
  endedAt: string | null;
}

let node: RostraNode;
let host: TestUser;
before(async () => {
  node = await openTestNode();
  host = await signUp(node, 'host');
});
after(async () => {
  await node.close();
});

const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString();

test('a space starts now by default: live, recorded, open to anonymous listeners', async () => {
  const res = await host.client.post<View>('/api/v1/spaces', {
    title: 'Now',
    topics: ['music', 'music', 'tech'],
  });
  assert.equal(res.status, 201);
  assert.equal(res.body.state, 'live');
  assert.equal(res.body.record, true);
  assert.ok(res.body.startedAt);
  assert.deepEqual(res.body.topics, ['music', 'tech'], 'duplicate topics collapse');
});

test('scheduling: up to 14 days ahead, in the future, at most 3 topics', async () => {
  const ok = await host.client.post<View>('/api/v1/spaces', {
    title: 'Later',
    scheduledFor: inDays(13.9),
    record: false,
  });
  assert.equal(ok.body.state, 'scheduled');
  for (const body of [
    { title: 'Too far', scheduledFor: inDays(14.1) },
    { title: 'Past', scheduledFor: inDays(-0.01) },
    { title: 'Topics', topics: ['a', 'b', 'c', 'd'] },
    { title: 'Bad date', scheduledFor: 'tomorrow' },
    { title: '' },
    { title: 'x'.repeat(71) },
  ]) {
    const res = await host.client.post<ErrorBody>('/api/v1/spaces', body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.equal(res.body.error.code, 'validation_failed');
  }
});

test('lifecycle: scheduled → live → ended; cancelled; wrong transitions are coded', async () => {
  const s = (await host.client.post<View>('/api/v1/spaces', { title: 'Cycle', scheduledFor: inDays(1) }))
    .body;
  assert.equal(
    (await host.client.post<ErrorBody>(`/api/v1/spaces/${s.id}/end`)).body.error.code,
    'invalid_state',
  );
  const live = await host.client.post<View>(`/api/v1/spaces/${s.id}/start`);
  assert.equal(live.body.state, 'live');
  assert.equal(
    (await host.client.post<ErrorBody>(`/api/v1/spaces/${s.id}/start`)).body.error.code,
    'invalid_state',
  );
  const ended = await host.client.post<View>(`/api/v1/spaces/${s.id}/end`);
  assert.equal(ended.body.state, 'ended');
  assert.ok(ended.body.endedAt);
  assert.equal(
    (await host.client.post<ErrorBody>(`/api/v1/spaces/${s.id}/start`)).body.error.code,
    'space_ended',
  );
  const c = (await host.client.post<View>('/api/v1/spaces', { title: 'Cancel me', scheduledFor: inDays(2) }))
    .body;
  assert.equal((await host.client.post<View>(`/api/v1/spaces/${c.id}/cancel`)).body.state, 'cancelled');
  assert.equal(
    (await host.client.post<ErrorBody>(`/api/v1/spaces/${c.id}/cancel`)).body.error.code,
    'space_ended',
  );
});

test('listing: live spaces with their listener counts, scheduled spaces soonest first', async () => {
  const other = await signUp(node, 'other');
  const a = (await other.client.post<View>('/api/v1/spaces', { title: 'Listed live' })).body;
  const anon = new TestClient(node);
  await anon.post(`/api/v1/spaces/${a.id}/listen`, {});
  await anon.post(`/api/v1/spaces/${a.id}/listen`, {});
  // Counts and views are cached per node for about a second: poll until they catch up.
  let count: number | undefined;
  const deadline = Date.now() + 30_000; // generous, for a busy machine
  while (count !== 2 && Date.now() < deadline) {
    const live = await anon.get<{ spaces: View[] }>('/api/v1/spaces?state=live&limit=50');
    assert.equal(live.status, 200);
    assert.match(String(live.headers['cache-control']), /public, max-age=\d/);
    count = live.body.spaces.find((s) => s.id === a.id)?.listenerCount;
    if (count !== 2) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(count, 2);
  const s1 = (await other.client.post<View>('/api/v1/spaces', { title: 'Second', scheduledFor: inDays(3) }))
    .body;
  const s0 = (await other.client.post<View>('/api/v1/spaces', { title: 'First', scheduledFor: inDays(2.5) }))
    .body;
  const scheduled = await anon.get<{ spaces: View[] }>('/api/v1/spaces?state=scheduled&limit=50');
  const ids = scheduled.body.spaces.map((s) => s.id);
  assert.ok(ids.indexOf(s0.id) < ids.indexOf(s1.id));
});

test('the public view is the same for every caller and cacheable', async () => {
  const s = (await host.client.post<View>('/api/v1/spaces', { title: 'Cache' })).body;
  const anonymous = await new TestClient(node).get(`/api/v1/spaces/${s.id}`);
  const signedIn = await host.client.get(`/api/v1/spaces/${s.id}`);
  assert.equal(anonymous.text, signedIn.text);
  assert.match(String(anonymous.headers['cache-control']), /^public/);
  assert.equal(
    (await new TestClient(node).get<ErrorBody>('/api/v1/spaces/nosuchspace0')).body.error.code,
    'space_not_found',
  );
});

test('a crowd asking for a space whose cached record expired reads the Store once; an invalidation starts afresh', async () => {
  const created = await host.client.post<View>('/api/v1/spaces', { title: 'Stampede' });
  assert.equal(created.status, 201);
  const id = created.body.id;
  const repo = node.plane.ctx.store.spaces;
  const read = repo.get.bind(repo);
  let reads = 0;
  repo.get = async (spaceId) => {
    reads++;
    return read(spaceId);
  };
  try {
    node.plane.spaces.invalidate(id); // as if its cached record had just expired
    const crowd = await Promise.all(Array.from({ length: 50 }, () => node.plane.spaces.get(id)));
    assert.equal(reads, 1, 'one Store read for the whole crowd');
    assert.ok(crowd.every((s) => s.id === id));
    assert.equal((await node.plane.spaces.get(id)).id, id);
    assert.equal(reads, 1, 'then served from the cache');
    // Invalidated while a read is in flight: the next caller reads again, and the older read is not kept.
    node.plane.spaces.invalidate(id);
    const first = node.plane.spaces.get(id);
    node.plane.spaces.invalidate(id);
    const second = node.plane.spaces.get(id);
    await Promise.all([first, second]);
    assert.equal(reads, 3);
    await node.plane.spaces.get(id);
    assert.equal(reads, 3, 'the read after the invalidation is the one cached');
  } finally {
    repo.get = read;
  }
});

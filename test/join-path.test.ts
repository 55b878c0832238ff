/**
 * The listener join path: tickets without lookups, presence from heartbeats in the Bus, caps that refuse
 * new joins with 503 + Retry-After while admitted listeners stay, and no Store write per listener.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openBus } from '../src/bus/index.js';
import type { RostraNode } from '../src/server/RostraNode.js';
import { openStore, type Store } from '../src/store/index.js';
import { openTestNode, signUp, TestClient, type ErrorBody, type TestUser } from '../src/testing/TestNode.js';
import { until } from '../src/testing/until.js';

interface Admission {
  ticket: string;
  listenerId: string;
  playlistUrl: string;
  heartbeatSeconds: number;
}

/** Wraps a Store so every call to a repo method is counted by name (a spy over the real store). */
function countingStore(store: Store): { store: Store; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const wrapRepo = <T extends object>(name: string, repo: T): T =>
    new Proxy(repo, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const key = `${name}.${String(prop)}`;
          calls.set(key, (calls.get(key) ?? 0) + 1);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  const wrapped = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value === 'object' && value !== null) return wrapRepo(String(prop), value);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: wrapped, calls };
}

describe('join path', () => {
  let node: RostraNode;
  let host: TestUser;
  let spaceId: string;
  let calls: Map<string, number>;
  let rawStore: Store;

  before(async () => {
    rawStore = await openStore({});
    const counted = countingStore(rawStore);
    calls = counted.calls;
    node = await openTestNode({ store: counted.store, config: { limits: { listenersPerSpace: 5 } } });
    host = await signUp(node, 'host');
    spaceId = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Join path' })).body.id;
  });

  after(async () => {
    await node.close();
    await rawStore.close();
  });

  test('anonymous listeners join, heartbeat and leave without a single Store write', async () => {
    calls.clear();
    const anon = new TestClient(node);
    const tickets: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await anon.post<Admission>(`/api/v1/spaces/${spaceId}/listen`, {});
      assert.equal(res.status, 200, res.text);
      assert.match(res.body.playlistUrl, new RegExp(`/live/${spaceId}/index\\.m3u8$`));
      assert.match(String(res.headers['set-cookie']), /^rostra_ticket=.+; Path=\/live\//);
      tickets.push(res.body.ticket);
    }
    for (const ticket of tickets) {
      const hb = await anon.post<{ ticket: string }>(`/api/v1/spaces/${spaceId}/heartbeat`, { ticket });
      assert.equal(hb.status, 200, hb.text);
    }
    const writes = [...calls.keys()].filter(
      (k) =>
        !/\.(get|byId|byIds|byHandle|has|list\w*|member|members|count\w*|hasRequest|interestedUserIds|isInterested|getInvitation)$/.test(
          k,
        ),
    );
    assert.deepEqual(writes, [], `store writes on the join path: ${writes.join(', ')}`);
    await waitForCount(anon, spaceId, 4);
    assert.equal((await anon.post(`/api/v1/spaces/${spaceId}/leave`, { ticket: tickets[0] })).status, 204);
    await waitForCount(anon, spaceId, 3);
  });

  test('an anonymous rejoin with its old ticket keeps its listener id (not counted twice)', async () => {
    const anon = new TestClient(node);
    const first = await anon.post<Admission>(`/api/v1/spaces/${spaceId}/listen`, {});
    const again = await anon.post<Admission>(`/api/v1/spaces/${spaceId}/listen`, {
      ticket: first.body.ticket,
    });
    assert.equal(again.body.listenerId, first.body.listenerId);
  });

  test('beyond the per-space cap a new join gets 503 space_unavailable with Retry-After; admitted listeners keep heartbeating', async () => {
    const id = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Full' })).body.id;
    const anon = new TestClient(node);
    const admitted: string[] = [];
    let refused: { status: number; headers: Record<string, unknown>; body: ErrorBody } | undefined;
    for (let i = 0; i < 10 && !refused; i++) {
      const res = await anon.post<Admission & ErrorBody>(`/api/v1/spaces/${id}/listen`, {});
      if (res.status !== 200) {
        refused = res;
        break;
      }
      admitted.push(res.body.ticket);
      // The count admission reads is cached for ~1 s per node: wait until it shows this join, so that
      // the cap is reached at exactly the 5th listener.
      await waitForCount(anon, id, admitted.length);
    }
    assert.ok(refused, 'a join was refused');
    assert.equal(admitted.length, 5, 'refused exactly at the cap of 5');
    assert.equal(refused.status, 503);
    assert.equal(refused.body.error.code, 'space_unavailable');
    assert.equal(refused.body.error.details?.reason, 'audience_full');
    assert.match(refused.body.error.message, /Live audience full/);
    assert.ok(Number(refused.headers['retry-after']) > 0);
    for (const ticket of admitted) {
      const hb = await anon.post(`/api/v1/spaces/${id}/heartbeat`, { ticket });
      assert.equal(hb.status, 200, 'an admitted listener is never shed');
    }
  });

  test('signed-in listeners are listed, paged; anonymous ones only counted', async () => {
    const id = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Listed' })).body.id;
    const named: TestUser[] = [];
    for (let i = 0; i < 5; i++) {
      const u = await signUp(node, `l${i}`);
      named.push(u);
      assert.equal((await u.client.post(`/api/v1/spaces/${id}/listen`, {})).status, 200);
    }
    await new TestClient(node).post(`/api/v1/spaces/${id}/listen`, {});
    const seen = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor !== null ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page = await host.client.get<{
        users: { id: string }[];
        nextCursor: string | null;
        count: number;
      }>(`/api/v1/spaces/${id}/listeners?limit=2${q}`);
      assert.equal(page.status, 200);
      for (const u of page.body.users) seen.add(u.id);
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor !== null && pages < 10);
    assert.deepEqual([...seen].sort(), named.map((u) => u.id).sort());
    assert.ok(pages >= 3);
  });

  test('a removed listener cannot renew their ticket', async () => {
    const id = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Removal' })).body.id;
    const u = await signUp(node, 'troll');
    const res = await u.client.post<Admission>(`/api/v1/spaces/${id}/listen`, {});
    assert.equal((await host.client.post(`/api/v1/spaces/${id}/users/${u.id}/remove`)).status, 204);
    const hb = await u.client.post<ErrorBody>(`/api/v1/spaces/${id}/heartbeat`, { ticket: res.body.ticket });
    assert.equal(hb.body.error.code, 'removed_from_space');
    const again = await u.client.post<ErrorBody>(`/api/v1/spaces/${id}/listen`, {});
    assert.equal(again.body.error.code, 'removed_from_space');
  });

  test('an ended space refuses joins and heartbeats with space_ended', async () => {
    const id = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Short' })).body.id;
    const anon = new TestClient(node);
    const { ticket } = (await anon.post<Admission>(`/api/v1/spaces/${id}/listen`, {})).body;
    assert.equal((await host.client.post(`/api/v1/spaces/${id}/end`)).status, 200);
    node.plane.spaces.invalidate(id);
    assert.equal(
      (await anon.post<ErrorBody>(`/api/v1/spaces/${id}/listen`, {})).body.error.code,
      'space_ended',
    );
    assert.equal(
      (await anon.post<ErrorBody>(`/api/v1/spaces/${id}/heartbeat`, { ticket })).body.error.code,
      'space_ended',
    );
  });
});

describe('per-node cap', () => {
  test('a node at its cap refuses new joins with reason node_at_capacity, across spaces', async () => {
    const node = await openTestNode({ config: { limits: { listenersPerNode: 2 } } });
    try {
      const host = await signUp(node, 'host');
      const a = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'A' })).body.id;
      const b = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'B' })).body.id;
      const anon = new TestClient(node);
      // A listener counts toward the cap once they heartbeat (or fetch media), not when a ticket is minted.
      for (const id of [a, b]) {
        const joined = await anon.post<Admission>(`/api/v1/spaces/${id}/listen`, {});
        assert.equal(joined.status, 200);
        const hb = await anon.post(`/api/v1/spaces/${id}/heartbeat`, { ticket: joined.body.ticket });
        assert.equal(hb.status, 200);
      }
      const refused = await anon.post<ErrorBody>(`/api/v1/spaces/${b}/listen`, {});
      assert.equal(refused.status, 503);
      assert.equal(refused.body.error.code, 'space_unavailable');
      assert.equal(refused.body.error.details?.reason, 'node_at_capacity');
      assert.ok(Number(refused.headers['retry-after']) > 0);
    } finally {
      await node.close();
    }
  });
});

describe('two nodes sharing a Store and a Bus', () => {
  test('a listener counted on one node is seen on the other', async () => {
    const store = await openStore({});
    const bus = await openBus({});
    const [n1, n2] = [await openTestNode({ store, bus }), await openTestNode({ store, bus })];
    try {
      const host = await signUp(n1, 'host');
      const id = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Cluster' })).body.id;
      await new TestClient(n1).post(`/api/v1/spaces/${id}/listen`, {});
      await new TestClient(n2).post(`/api/v1/spaces/${id}/listen`, {});
      await waitForCount(new TestClient(n2), id, 2);
      await waitForCount(new TestClient(n1), id, 2);
    } finally {
      await n1.close();
      await n2.close();
      await bus.close();
      await store.close();
    }
  });

  test('a ticket from node A plays on node B when they share the secret; one signed elsewhere does not', async () => {
    const store = await openStore({});
    const bus = await openBus({});
    const secret = 'a-cluster-secret-of-at-least-32-characters';
    const a = await openTestNode({ store, bus, config: { secret } });
    const b = await openTestNode({ store, bus, config: { secret } });
    const stranger = await openTestNode({ store, bus }); // its own random secret
    try {
      // Listening, as cluster nodes are: a media request may be forwarded to the node that runs the media.
      await Promise.all([a.listen(), b.listen(), stranger.listen()]);
      const host = await signUp(a, 'host');
      const id = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Cluster' })).body.id;
      const ticketFrom = async (n: RostraNode) =>
        (await new TestClient(n).post<Admission>(`/api/v1/spaces/${id}/listen`, {})).body.ticket;
      const playlist = (ticket: string) => `/live/${id}/index.m3u8?ticket=${encodeURIComponent(ticket)}`;
      const onB = await new TestClient(b).get(playlist(await ticketFrom(a)));
      assert.equal(onB.status, 200, onB.text);
      assert.match(onB.text, /^#EXTM3U/);
      const forged = await new TestClient(b).get<ErrorBody>(playlist(await ticketFrom(stranger)));
      assert.equal(forged.status, 403, forged.text);
      assert.equal(forged.body.error.code, 'invalid_ticket');
    } finally {
      await a.close();
      await b.close();
      await stranger.close();
      await bus.close();
      await store.close();
    }
  });
});

/** Polls the public view until it shows `want` listeners (the node caches counts for ~1 s). */
async function waitForCount(c: TestClient, id: string, want: number): Promise<void> {
  let last = -1;
  await until(
    () => `the listener count stayed at ${last}, not ${want}`,
    async () => {
      last = (await c.get<{ listenerCount: number }>(`/api/v1/spaces/${id}`)).body.listenerCount;
      return last === want;
    },
  );
}

/**
 * One owner per live space, in process: three nodes on real sockets sharing one Store and one Redis
 * (a prefix of their own per run). Media requests on any node reach the owner; races, a stale owner, a
 * proxy loop, a slow or dead owner and a lease lost mid-space each end with one owner and a coded answer.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { RedisBus } from '../../src/bus/RedisBus.js';
import { PROXIED_HEADER } from '../../src/api/OwnerProxy.js';
import { MediaOwnership } from '../../src/media/MediaOwnership.js';
import type { RostraNode } from '../../src/server/RostraNode.js';
import { openStore, type Store } from '../../src/store/index.js';
import { openTestNode, signUp, TestClient, type TestUser } from '../../src/testing/TestNode.js';
import { until } from '../../src/testing/until.js';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `rostra-cluster-${randomBytes(4).toString('hex')}:`;
const secret = randomBytes(32).toString('base64url');

describe('one owner per live space across nodes', () => {
  let store: Store;
  const buses: RedisBus[] = [];
  const nodes: RostraNode[] = [];
  let host: TestUser;
  let redis: Redis;

  const baseOf = (n: RostraNode) => `http://127.0.0.1:${n.http.port}`;
  const owners = (id: string) =>
    nodes.filter((n) => n.media.get(id) !== undefined && !n.media.get(id)?.closed);

  before(async () => {
    store = await openStore({});
    redis = new Redis(redisUrl);
    for (let i = 0; i < 3; i++) {
      const bus = await RedisBus.open({ url: redisUrl, prefix });
      buses.push(bus);
      const node = await openTestNode({
        store,
        bus,
        config: {
          secret,
          // The owner's first part waits for its stage worker process to start: several seconds under tsx on
          // a busy machine.
          cluster: { leaseMs: 1000, ownerTimeoutMs: 8000 },
          // Three nodes start in one process on a shared machine: no shedding by event-loop delay here.
          guard: { eventLoopDelayMs: 10_000 },
        },
      });
      await node.listen();
      nodes.push(node);
    }
    host = await signUp(nodes[0] as RostraNode, 'host');
  });

  after(async () => {
    await Promise.all(nodes.map((n) => n.close()));
    await Promise.all(buses.map((b) => b.close()));
    await store.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  async function liveSpace(): Promise<{ id: string; ticket: string }> {
    const id = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Cluster' })).body.id;
    const ticket = (
      await new TestClient(nodes[1] as RostraNode).post<{ ticket: string }>(`/api/v1/spaces/${id}/listen`, {})
    ).body.ticket;
    return { id, ticket };
  }

  const get = (
    n: RostraNode,
    id: string,
    file: string,
    ticket: string,
    headers: Record<string, string> = {},
  ) => fetch(`${baseOf(n)}/live/${id}/${file}${file.includes('?') ? '&' : '?'}ticket=${ticket}`, { headers });

  test('nodes racing to start a space: one media pipeline, and every node serves the same playlist', async () => {
    const { id, ticket } = await liveSpace();
    const first = await Promise.all(nodes.flatMap((n) => [0, 1].map(() => get(n, id, 'audio.m3u8', ticket))));
    for (const res of first) {
      // A node that lost the race answers with a coded retry, or already forwards to the winner.
      if (res.status !== 200) {
        assert.equal(res.status, 503);
        assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'not_owner');
      } else await res.text();
    }
    assert.equal(owners(id).length, 1, 'exactly one node runs the media');
    const owner = owners(id)[0] as RostraNode;
    for (const n of nodes) {
      const res = await get(n, id, 'audio.m3u8', ticket);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('cache-control'), 'public, max-age=1', 'cache headers pass through');
      assert.match(await res.text(), /#EXT-X-MEDIA-SEQUENCE:\d+/);
      const init = await get(n, id, 'init.mp4', ticket);
      assert.equal(init.status, 200);
      assert.deepEqual(
        Buffer.from(await init.arrayBuffer()),
        Buffer.from(owner.media.get(id)?.packager.initSegment ?? []),
      );
    }
    assert.equal(owners(id).length, 1, 'still one');
    // A blocking reload through a non-owner is held until the part exists, then answered.
    const other = nodes.find((n) => n !== owner) as RostraNode;
    const pos = owner.media.get(id)?.packager.position;
    assert.ok(pos);
    const held = await get(
      other,
      id,
      `audio.m3u8?_HLS_msn=${pos.lastMsn + 1}&_HLS_part=${pos.partsInProgress + 1}`,
      ticket,
    );
    assert.equal(held.status, 200);
    assert.match(await held.text(), new RegExp(`part${pos.lastMsn + 1}\\.${pos.partsInProgress}\\.m4s`));
  });

  test('presence: listeners joining through three nodes are counted the same on each, within 1 %', async () => {
    const { id } = await liveSpace(); // one listener already
    const joins = 299;
    await Promise.all(
      Array.from({ length: joins }, (_, i) =>
        new TestClient(nodes[i % 3] as RostraNode, undefined, `10.0.${i % 250}.${1 + (i % 3)}`).post(
          `/api/v1/spaces/${id}/listen`,
          {},
        ),
      ),
    );
    const truth = joins + 1;
    const counts = await until('every node counts them', async () => {
      const cs = await Promise.all(
        nodes.map(
          async (n) =>
            (await new TestClient(n).get<{ listenerCount: number }>(`/api/v1/spaces/${id}`)).body
              .listenerCount,
        ),
      );
      return cs.every((c) => Math.abs(c - truth) <= truth * 0.01) ? cs : undefined;
    });
    assert.equal(counts.length, 3);
  });

  test('a forwarded request is never forwarded again: a node that does not own the space answers not_owner', async () => {
    const { id, ticket } = await liveSpace();
    // A stale lease: it names node 1's address, but an earlier life of it (another node id).
    const stale = JSON.stringify({ n: 'an-earlier-life', u: baseOf(nodes[1] as RostraNode) });
    assert.equal(await (buses[0] as RedisBus).leases.acquire(MediaOwnership.key(id), stale, 30_000), true);
    const res = await get(nodes[0] as RostraNode, id, 'audio.m3u8', ticket);
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'not_owner');
    const direct = await get(nodes[2] as RostraNode, id, 'audio.m3u8', ticket, { [PROXIED_HEADER]: 'x' });
    assert.equal(direct.status, 503, 'a marked request is answered where it lands');
    assert.equal(owners(id).length, 0, 'nobody started a second pipeline');
    await (buses[0] as RedisBus).leases.release(MediaOwnership.key(id), stale);
  });

  test('an owner that is slow or gone: a bounded wait, then a coded error', async () => {
    const { id, ticket } = await liveSpace();
    const held: Server = createServer(() => undefined); // takes requests, never answers
    await new Promise<void>((r) => held.listen(0, '127.0.0.1', r));
    const port = (held.address() as { port: number }).port;
    try {
      const slow = JSON.stringify({ n: 'slow', u: `http://127.0.0.1:${port}` });
      await (buses[0] as RedisBus).leases.acquire(MediaOwnership.key(id), slow, 30_000);
      const res = await get(nodes[0] as RostraNode, id, 'audio.m3u8', ticket);
      assert.equal(res.status, 504);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'owner_timeout');
      await (buses[0] as RedisBus).leases.release(MediaOwnership.key(id), slow);
      const gone = JSON.stringify({ n: 'gone', u: 'http://127.0.0.1:1' });
      await (buses[0] as RedisBus).leases.acquire(MediaOwnership.key(id), gone, 30_000);
      const res2 = await get(nodes[1] as RostraNode, id, 'audio.m3u8', ticket);
      assert.equal(res2.status, 502);
      assert.equal(((await res2.json()) as { error: { code: string } }).error.code, 'owner_unreachable');
      await (buses[0] as RedisBus).leases.release(MediaOwnership.key(id), gone);
    } finally {
      held.closeAllConnections();
      held.close();
    }
  });

  test('a lease lost mid-space: the old owner stops, another takes over, and no part URL names two contents', async () => {
    const { id, ticket } = await liveSpace();
    assert.equal((await get(nodes[0] as RostraNode, id, 'audio.m3u8', ticket)).status, 200);
    const first = owners(id)[0] as RostraNode;
    const before = await until('a part', async () => {
      const p = first.media.get(id)?.packager.position;
      return p && (p.lastMsn >= 0 || p.partsInProgress > 0) ? p : undefined;
    });
    // Another holder takes the lease, as if the owner had stalled past its lease.
    await redis.del(`${prefix}lease:${MediaOwnership.key(id)}`);
    const thief = JSON.stringify({ n: 'thief', u: 'http://127.0.0.1:1' });
    await (buses[0] as RedisBus).leases.acquire(MediaOwnership.key(id), thief, 30_000);
    await until('the old owner drops the media', async () => (first.media.get(id) ? undefined : true));
    await (buses[0] as RedisBus).leases.release(MediaOwnership.key(id), thief);
    // The next listener request starts it on whichever node it reaches; the numbering goes on.
    const second = await until('a new owner', async () => {
      await (await get(nodes[2] as RostraNode, id, 'audio.m3u8', ticket)).text();
      return owners(id)[0];
    });
    assert.equal(owners(id).length, 1);
    const pos = await until('a part on the new owner', async () => {
      const p = second.media.get(id)?.packager;
      return p && p.position.partsInProgress + p.position.lastMsn >= 0 ? p : undefined;
    });
    const text = pos.playlist.render();
    const firstMsn = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)?.[1]);
    assert.ok(firstMsn > before.lastMsn + 1, `numbering continues past ${before.lastMsn + 1}: ${firstMsn}`);
  });
});

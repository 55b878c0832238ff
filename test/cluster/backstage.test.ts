/**
 * Backstage across two nodes on real sockets, sharing one PostgreSQL schema and one Redis (a prefix of
 * their own per run). The host's media runs on node A; a listener waits on node B, is counted there for
 * everyone, and gets a coded "not yet" from B; when a host on A goes live, B's socket says so and B's
 * playlist plays (forwarded to A, the owner), on the same WHIP peer.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { SpeakerBot } from '../../src/bot/index.js';
import { RedisBus } from '../../src/bus/RedisBus.js';
import type { RostraNode } from '../../src/server/RostraNode.js';
import { openStore, type Store } from '../../src/store/index.js';
import { EventClient } from '../../src/testing/EventClient.js';
import { openTestNode, signUp, type ErrorBody, type TestUser } from '../../src/testing/TestNode.js';
import { until } from '../../src/testing/until.js';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const dbUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const prefix = `rostra-backstage-${randomBytes(4).toString('hex')}:`;
const secret = randomBytes(32).toString('base64url');

describe('backstage across two nodes', () => {
  let store: Store;
  const buses: RedisBus[] = [];
  let a: RostraNode;
  let b: RostraNode;
  let host: TestUser;
  let listener: TestUser;
  let bot: SpeakerBot | undefined;
  let redis: Redis;
  const baseOf = (n: RostraNode) => `http://127.0.0.1:${n.http.port}`;

  before(async () => {
    store = await openStore({
      databaseUrl: dbUrl,
      schema: `backstage_${randomBytes(4).toString('hex')}`,
      dropSchemaOnClose: true,
    });
    redis = new Redis(redisUrl);
    const open = async () => {
      const bus = await RedisBus.open({ url: redisUrl, prefix });
      buses.push(bus);
      const node = await openTestNode({
        store,
        bus,
        config: { secret, guard: { eventLoopDelayMs: 10_000 } },
      });
      await node.listen();
      return node;
    };
    a = await open();
    b = await open();
    host = await signUp(a, 'host');
    listener = await signUp(b, 'listener');
  });

  after(async () => {
    await bot?.stop();
    await a?.close();
    await b?.close();
    await Promise.all(buses.map((x) => x.close()));
    await store?.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  test('a listener on node B waits, counted, and sees the go-live a host made on node A', async () => {
    const created = await host.client.post<{ id: string }>('/api/v1/spaces', {
      title: 'Two nodes',
      scheduledFor: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const id = created.body.id;
    const sp = `/api/v1/spaces/${id}`;
    assert.equal((await host.client.post(`${sp}/backstage`)).status, 200);

    // The host publishes to A: A runs the backstage's media (stage only).
    bot = new SpeakerBot({
      connectTimeoutMs: 60_000, // a deadline for a busy machine
      whipUrl: `${baseOf(a)}${sp}/whip`,
      token: host.token,
      audio: { kind: 'tone', frequencyHz: 440, levelDbfs: -20 },
    });
    await bot.start();
    const media = a.media.get(id);
    assert.ok(media && !media.onAir, 'A runs the backstage, off the air');
    const peer = media.stage.peer(host.id)?.id;
    assert.ok(peer !== undefined);

    // The listener waits on B: counted for both nodes, refused a playlist with a code by either.
    const events = await EventClient.connect(baseOf(b), listener.token);
    await events.subscribe(id);
    const joined = await listener.client.post<{ ticket: string }>(`${sp}/listen`, {});
    assert.equal(joined.status, 200, joined.text);
    const playlist = (n: RostraNode) =>
      fetch(`${baseOf(n)}/live/${id}/audio.m3u8?ticket=${joined.body.ticket}`);
    await events.next('count', (e) => e.spaceId === id && e.listeners === 1);
    await until(
      'A to count the waiting listener',
      async () => (await a.plane.spaces.view(id)).listenerCount === 1,
    );
    for (const n of [a, b]) {
      const res = await playlist(n);
      assert.equal(res.status, 409, `node ${n === a ? 'A' : 'B'}`);
      assert.equal(((await res.json()) as ErrorBody).error.code, 'space_not_live');
    }
    assert.equal(b.media.get(id), undefined, 'B did not start a second media');

    // The host goes live on A; B's socket hears it, and B's listener plays from A's media.
    const started = await host.client.post<{ state: string; startedAt: string }>(`${sp}/start`);
    assert.equal(started.body.state, 'live');
    const flipped = await events.next('space.state', (e) => e.spaceId === id && e.state === 'live');
    assert.equal(flipped.at, started.body.startedAt);
    assert.equal((await b.plane.spaces.fresh(id)).state, 'live');
    await until('the go-live on A’s media', () => media.onAir);
    const res = await until('B’s playlist after go-live', async () => {
      const r = await playlist(b);
      return r.status === 200 ? r : (await r.body?.cancel(), undefined);
    });
    assert.match(await res.text(), /#EXT-X-MEDIA-SEQUENCE:0/);
    assert.equal(a.media.get(id), media, 'the same media');
    assert.equal(media.stage.peer(host.id)?.id, peer, 'the same WHIP peer');
    assert.equal(bot.reconnects, 0);
    assert.equal(b.media.get(id), undefined, 'one owner');
    await events.close();
  });
});

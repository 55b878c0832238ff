/**
 * Clips across two nodes on real sockets, sharing one Store and one Redis, each with its own disk (no
 * shared storage): node A owns a live space's media and records it; a clip asked of node B is cut on A
 * (the POST is forwarded to the owner), its audio is served through B (forwarded too), and a deletion
 * through B makes it gone at once everywhere, A's file going at A's next sweep.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { PROXIED_HEADER } from '../../src/api/OwnerProxy.js';
import { RedisBus } from '../../src/bus/RedisBus.js';
import type { ClipView } from '../../src/contract/rest.js';
import { readRecorded } from '../../src/recording/ClipFile.js';
import { CLIPS_DIR } from '../../src/recording/Clips.js';
import type { RostraNode } from '../../src/server/RostraNode.js';
import { openStore, type Store } from '../../src/store/index.js';
import { tonePackager } from '../../src/testing/recordingTestKit.js';
import { openTestNode, signUp, type TestUser } from '../../src/testing/TestNode.js';
import { until } from '../../src/testing/until.js';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `rostra-clips-${randomBytes(4).toString('hex')}:`;
const secret = randomBytes(32).toString('base64url');

describe('clips in a cluster: cut on the node that records the space', () => {
  let store: Store;
  let redis: Redis;
  const buses: RedisBus[] = [];
  const nodes: RostraNode[] = [];
  const dirs: string[] = [];
  let host: TestUser;

  const baseOf = (n: RostraNode) => `http://127.0.0.1:${n.http.port}`;
  const a = () => nodes[0] as RostraNode;
  const b = () => nodes[1] as RostraNode;
  const clipFiles = (dir: string) => {
    const d = join(dir, 'recordings', CLIPS_DIR);
    return existsSync(d) ? readdirSync(d) : [];
  };

  before(async () => {
    store = await openStore({});
    redis = new Redis(redisUrl);
    for (let i = 0; i < 2; i++) {
      const bus = await RedisBus.open({ url: redisUrl, prefix });
      buses.push(bus);
      const dir = mkdtempSync(join(tmpdir(), `rostra-clips-node${i}-`));
      dirs.push(dir);
      const node = await openTestNode({
        store,
        bus,
        config: {
          secret,
          dataDir: dir,
          cluster: { leaseMs: 5000, ownerTimeoutMs: 10_000 },
          guard: { eventLoopDelayMs: 10_000 },
        },
      });
      await node.listen();
      nodes.push(node);
    }
    host = await signUp(a(), 'host');
  });

  after(async () => {
    await Promise.all(nodes.map((n) => n.close()));
    await Promise.all(buses.map((bus) => bus.close()));
    await store.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('a clip asked of node B is cut on the owner A; served and deleted through B', async () => {
    const id = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Two nodes' })).body.id;
    const space = await store.spaces.get(id);
    assert.ok(space && a().recordings);
    // A records 12 s of the space (faster than real time), then takes its media on a listener's request.
    const { packager, push } = tonePackager(440, Date.now());
    await a().recordings?.started(space, { packager, startedAtMs: Date.now() });
    push(12);
    await until(
      '12 s on A’s disk',
      async () =>
        ((await readRecorded(join(dirs[0] as string, 'recordings', id)))?.totalSamples ?? 0) >= 12 * 48_000,
    );
    const listen = await fetch(`${baseOf(a())}/api/v1/spaces/${id}/listen`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    const { ticket } = (await listen.json()) as { ticket: string };
    const playlist = await fetch(`${baseOf(a())}/live/${id}/audio.m3u8?ticket=${ticket}`);
    assert.equal(playlist.status, 200);
    await playlist.text();
    assert.equal(a().ownership.owns(id), true, 'A owns the media');
    assert.equal(b().ownership.owns(id), false);

    const post = (n: RostraNode, headers: Record<string, string> = {}) =>
      fetch(`${baseOf(n)}/api/v1/spaces/${id}/clips`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${host.token}`, ...headers },
        body: JSON.stringify({ durationSeconds: 10 }),
      });
    // B alone has nothing of this recording: a request marked as already forwarded is answered there.
    const local = await post(b(), { [PROXIED_HEADER]: 'test' });
    assert.equal(local.status, 404);
    assert.equal(((await local.json()) as { error: { code: string } }).error.code, 'no_recording');

    const res = await post(b());
    assert.equal(res.status, 201, await res.clone().text());
    const clip = (await res.json()) as ClipView;
    assert.ok(Math.abs(clip.durationSeconds - 10) < 0.03, `${clip.durationSeconds} s`);
    assert.deepEqual(clipFiles(dirs[0] as string), [`${clip.id}.m4a`], 'cut on A');
    assert.deepEqual(clipFiles(dirs[1] as string), [], 'nothing on B');

    // Read and play through either node.
    const viaB = await fetch(`${baseOf(b())}/api/v1/clips/${clip.id}`);
    assert.equal(viaB.status, 200);
    assert.equal(((await viaB.json()) as ClipView).id, clip.id);
    const path = new URL(clip.audioUrl).pathname;
    const fromA = Buffer.from(await (await fetch(`${baseOf(a())}${path}`)).arrayBuffer());
    const audioViaB = await fetch(`${baseOf(b())}${path}`);
    assert.equal(audioViaB.status, 200);
    assert.equal(audioViaB.headers.get('content-type'), 'audio/mp4');
    assert.ok(fromA.length > 1000);
    assert.deepEqual(Buffer.from(await audioViaB.arrayBuffer()), fromA, 'the same bytes through B');

    // Deleted through B: gone at once on both; A's file goes at A's next sweep.
    const del = await fetch(`${baseOf(b())}/api/v1/clips/${clip.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${host.token}` },
    });
    assert.equal(del.status, 204);
    for (const n of [a(), b()]) {
      assert.equal((await fetch(`${baseOf(n)}/api/v1/clips/${clip.id}`)).status, 410);
      assert.equal((await fetch(`${baseOf(n)}${path}`)).status, 404);
    }
    assert.deepEqual(clipFiles(dirs[0] as string), [`${clip.id}.m4a`], 'still on A’s disk until its sweep');
    assert.equal(await a().clips.sweep(), 1);
    assert.deepEqual(clipFiles(dirs[0] as string), []);
    packager.end();
  });
});

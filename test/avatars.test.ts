/**
 * Avatars and listener faces over the API: a PNG and a JPEG are re-encoded to a 256×256 WebP without
 * metadata; a text file dressed as a PNG, a corrupt image and a 50 MB upload are refused with coded
 * errors, and the server carries on; any node serves the photo (one Store); the faces of an audience
 * spread over two nodes are exactly the signed-in listeners.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { openBus, type Bus } from '../src/bus/index.js';
import type { ListenerFaces, SpaceView, User } from '../src/contract/index.js';
import type { RostraNode } from '../src/server/RostraNode.js';
import { openStore, type Store } from '../src/store/index.js';
import { openTestNode, signUp, TestClient, type ErrorBody } from '../src/testing/TestNode.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const png = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: '#3a7' } })
    .png()
    .toBuffer();

/** A JPEG that carries EXIF (camera make, orientation): the re-encoded photo must carry none of it. */
const jpegWithExif = () =>
  sharp({ create: { width: 640, height: 480, channels: 3, background: '#c52' } })
    .jpeg()
    .withExifMerge({ IFD0: { Make: 'SecretCam', Copyright: 'GPS 52.1 N' } })
    .toBuffer();

async function upload(node: RostraNode, token: string | undefined, body: Buffer | string, type: string) {
  const res = await node.http.app.inject({
    method: 'PUT',
    url: '/api/v1/me/avatar',
    headers: {
      'content-type': type,
      ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
    },
    payload: body,
  });
  return { status: res.statusCode, json: () => res.json<Record<string, unknown>>() };
}

async function getAvatar(node: RostraNode, path: string, headers: Record<string, string> = {}) {
  const res = await node.http.app.inject({ method: 'GET', url: path, headers });
  return { status: res.statusCode, headers: res.headers, body: res.rawPayload };
}

describe('avatars', () => {
  let store: Store;
  let bus: Bus;
  let a: RostraNode;
  let b: RostraNode;

  before(async () => {
    store = await openStore({});
    bus = await openBus({});
    a = await openTestNode({ store, bus });
    b = await openTestNode({ store, bus });
    await a.listen();
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await bus?.close();
    await store?.close();
  });

  test('PUT /me/avatar with a PNG stores a 256×256 WebP; any node serves it, cacheable by version', async () => {
    const ada = await signUp(a, 'ada');
    const res = await upload(a, ada.token, await png(800, 500), 'image/png');
    assert.equal(res.status, 200);
    const { avatarUrl } = res.json() as { avatarUrl: string };
    assert.match(avatarUrl, new RegExp(`^/api/v1/users/${ada.id}/avatar\\?v=[A-Za-z0-9_-]+$`));

    const me = await ada.client.get<User>('/api/v1/me');
    assert.equal(me.body.avatarUrl, avatarUrl);

    // The other node (same Store) serves the same bytes.
    const served = await getAvatar(b, avatarUrl);
    assert.equal(served.status, 200);
    assert.equal(served.headers['content-type'], 'image/webp');
    assert.match(String(served.headers['cache-control']), /immutable/);
    const meta = await sharp(served.body).metadata();
    assert.equal(meta.format, 'webp');
    assert.equal(meta.width, 256);
    assert.equal(meta.height, 256);
    const etag = String(served.headers.etag);
    const again = await getAvatar(a, `/api/v1/users/${ada.id}/avatar`, { 'if-none-match': etag });
    assert.equal(again.status, 304);
    const unversioned = await getAvatar(a, `/api/v1/users/${ada.id}/avatar`);
    assert.match(String(unversioned.headers['cache-control']), /max-age=60/);
    assert.deepEqual(unversioned.body, served.body);
  });

  test('a JPEG is re-encoded without its EXIF; the host’s face shows on the stage on the other node', async () => {
    const host = await signUp(a, 'host');
    const res = await upload(a, host.token, await jpegWithExif(), 'image/jpeg');
    assert.equal(res.status, 200);
    const { avatarUrl } = res.json() as { avatarUrl: string };
    const served = await getAvatar(a, avatarUrl);
    const meta = await sharp(served.body).metadata();
    assert.equal(meta.format, 'webp');
    assert.deepEqual([meta.width, meta.height], [256, 256]);
    assert.equal(meta.exif, undefined);
    assert.doesNotMatch(served.body.toString('latin1'), /SecretCam/);

    const id = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Faces' })).body.id;
    const view = await new TestClient(b).get<SpaceView>(`/api/v1/spaces/${id}`);
    assert.equal(view.body.host.avatarUrl, avatarUrl);
    assert.equal(view.body.stage[0]?.avatarUrl, avatarUrl);
  });

  test('bad uploads get coded 4xx: a text file as image/png, a corrupt PNG, JSON, no session', async () => {
    const bob = await signUp(a, 'bob');
    const text = await upload(a, bob.token, 'hello, I am not a picture\n'.repeat(20), 'image/png');
    assert.equal(text.status, 400);
    assert.equal((text.json() as ErrorBody).error.code, 'invalid_image');

    const good = await png(64, 64);
    const corrupt = Buffer.concat([good.subarray(0, 40), Buffer.alloc(200, 7)]);
    const broken = await upload(a, bob.token, corrupt, 'image/png');
    assert.equal(broken.status, 400);
    assert.equal((broken.json() as ErrorBody).error.code, 'invalid_image');

    const json = await bob.client.put<ErrorBody>('/api/v1/me/avatar', { image: 'x' });
    assert.equal(json.status, 415);
    assert.equal(json.body.error.code, 'unsupported_media_type');

    const gif = await upload(a, bob.token, 'GIF89a....', 'image/gif');
    assert.equal(gif.status, 415);

    // Any other route refuses an image before reading it.
    const elsewhere = await a.http.app.inject({
      method: 'POST',
      url: '/api/v1/spaces',
      headers: { authorization: `Bearer ${bob.token}`, 'content-type': 'image/png' },
      payload: good,
    });
    assert.equal(elsewhere.statusCode, 415);
    assert.equal(elsewhere.json<ErrorBody>().error.code, 'unsupported_media_type');

    const anonymous = await upload(a, undefined, good, 'image/png');
    assert.equal(anonymous.status, 401);
    assert.equal((anonymous.json() as ErrorBody).error.code, 'unauthenticated');

    assert.equal((await bob.client.get<User>('/api/v1/me')).body.avatarUrl, undefined);
  });

  test('a 50 MB upload is refused with 413 before it is read, and the server carries on', async () => {
    const eve = await signUp(a, 'eve');
    const port = a.http.port;
    const total = 50 * 1024 * 1024;
    // Streams the body and stops when the answer comes: the server must answer long before the end.
    const send = (chunked: boolean) =>
      new Promise<{ status: number; body: string; written: number }>((resolve, reject) => {
        let written = 0;
        let answered = false;
        const req = httpRequest({
          host: '127.0.0.1',
          port,
          method: 'PUT',
          path: '/api/v1/me/avatar',
          headers: {
            authorization: `Bearer ${eve.token}`,
            'content-type': 'image/png',
            ...(chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(total) }),
          },
        });
        req.on('response', (res) => {
          answered = true;
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, body, written });
            req.destroy();
          });
        });
        req.on('error', (err) => {
          if (!answered) reject(err);
        });
        const chunk = Buffer.alloc(64 * 1024, 1);
        const pump = () => {
          while (!answered && written < total) {
            written += chunk.length;
            if (!req.write(chunk)) return void req.once('drain', pump);
          }
          if (!answered) req.end();
        };
        pump();
      });
    for (const chunked of [false, true]) {
      const res = await send(chunked);
      assert.equal(res.status, 413, `chunked=${chunked}: ${res.body}`);
      assert.equal((JSON.parse(res.body) as ErrorBody).error.code, 'payload_too_large');
      assert.ok(res.written < total, `chunked=${chunked}: answered after ${res.written} of ${total} bytes`);
    }
    // Still serving: a real photo goes through.
    const ok = await upload(a, eve.token, await png(300, 300), 'image/png');
    assert.equal(ok.status, 200);
  });

  test('DELETE /me/avatar removes it everywhere; a second DELETE is 404', async () => {
    const cat = await signUp(a, 'cat');
    const { avatarUrl } = (await upload(a, cat.token, await png(100, 100), 'image/png')).json() as {
      avatarUrl: string;
    };
    const del = await cat.client.delete('/api/v1/me/avatar');
    assert.equal(del.status, 204);
    const gone = await getAvatar(b, avatarUrl);
    assert.equal(gone.status, 404);
    assert.equal((JSON.parse(gone.body.toString()) as ErrorBody).error.code, 'not_found');
    assert.equal((await cat.client.get<User>('/api/v1/me')).body.avatarUrl, undefined);
    const again = await cat.client.delete<ErrorBody>('/api/v1/me/avatar');
    assert.equal(again.status, 404);
    assert.equal(again.body.error.code, 'not_found');
  });

  test('faces: N signed-in listeners on two nodes are exactly the faces; anonymous ones are counted', () =>
    facesOnTwoNodes(a, b));
});

/** N scripted listeners on two nodes, half with photos, and two anonymous ones: the faces are exactly them. */
async function facesOnTwoNodes(a: RostraNode, b: RostraNode): Promise<void> {
  const host = await signUp(a, 'host');
  const id = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Audience' })).body.id;
  const listeners = [];
  for (let i = 0; i < 6; i++) {
    const node = i % 2 === 0 ? a : b;
    const who = await signUp(node, `fan${i}`);
    if (i < 3) assert.equal((await upload(node, who.token, await png(50, 50), 'image/png')).status, 200);
    assert.equal((await who.client.post(`/api/v1/spaces/${id}/listen`, {})).status, 200);
    listeners.push(who);
  }
  for (const node of [a, b])
    assert.equal((await new TestClient(node).post(`/api/v1/spaces/${id}/listen`, {})).status, 200);

  const res = await new TestClient(b).get<ListenerFaces>(`/api/v1/spaces/${id}/faces`);
  assert.equal(res.status, 200);
  assert.match(String(res.headers['cache-control']), /public/);
  assert.deepEqual(new Set(res.body.faces.map((f) => f.id)), new Set(listeners.map((l) => l.id)));
  assert.equal(res.body.count, 8);
  assert.equal(res.body.others, 2);
  const withPhoto = res.body.faces.filter((f) => f.avatarUrl !== undefined).map((f) => f.id);
  assert.deepEqual(new Set(withPhoto), new Set(listeners.slice(0, 3).map((l) => l.id)));
  // The other node lists the same people (its own page of the same presence).
  const fromA = await new TestClient(a).get<ListenerFaces>(`/api/v1/spaces/${id}/faces`);
  assert.deepEqual(new Set(fromA.body.faces.map((f) => f.id)), new Set(listeners.map((l) => l.id)));
  assert.deepEqual([fromA.body.count, fromA.body.others], [8, 2]);

  const unknown = await new TestClient(a).get<ErrorBody>('/api/v1/spaces/nosuchspace0/faces');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error.code, 'space_not_found');
}

describe('listener faces across two nodes on one Redis (two connections)', () => {
  let store: Store;
  let busA: Bus;
  let busB: Bus;
  let a: RostraNode;
  let b: RostraNode;

  before(async () => {
    store = await openStore({});
    const prefix = `rostra-test-${randomBytes(4).toString('hex')}:`;
    busA = await openBus({ redisUrl: REDIS_URL, prefix });
    busB = await openBus({ redisUrl: REDIS_URL, prefix });
    const config = { secret: 'one-secret-for-the-whole-cluster-0123456789' };
    a = await openTestNode({ store, bus: busA, config });
    b = await openTestNode({ store, bus: busB, config });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await busA?.close();
    await busB?.close();
    await store?.close();
  });

  test('faces: the same exact answer from either node', () => facesOnTwoNodes(a, b));
});

/**
 * Replay in memory (fastify inject): the coded answers while live, after the end, with plays, deletion by
 * the host, an interrupted recording finished on demand, and retention. Real packager, real Opus, real files.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { HttpServer } from '../../src/api/HttpServer.js';
import { registerReplayFiles, replayRoutes } from '../../src/api/routes/replay.js';
import { Recordings } from '../../src/recording/index.js';
import { tonePackager } from '../../src/testing/recordingTestKit.js';
import type { RostraNode } from '../../src/server/RostraNode.js';
import { openTestNode, signUp, type ErrorBody, type TestUser } from '../../src/testing/TestNode.js';

const DAY = 86_400_000;
let node: RostraNode;
let http: HttpServer;
let recordings: Recordings;
let host: TestUser;
let dir: string;
let nowMs = Date.now();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rostra-replay-'));
  node = await openTestNode();
  recordings = new Recordings({ store: node.store, recordingsDir: dir, retentionDays: 30, now: () => nowMs });
  http = await HttpServer.create({
    plane: node.plane,
    version: 'test',
    webDist: null,
    extraRoutes: replayRoutes({ plane: node.plane, recordings }),
    configure: (app) => registerReplayFiles(app, { recordings }),
  });
  host = await signUp(node, 'host');
});

after(async () => {
  await recordings.close();
  await http.close();
  await node.close();
  rmSync(dir, { recursive: true, force: true });
});

const call = async <T = unknown>(method: 'GET' | 'POST' | 'DELETE', url: string, token?: string) => {
  const res = await http.app.inject({
    method,
    url,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const json = String(res.headers['content-type'] ?? '').includes('json')
    ? (JSON.parse(res.body) as T)
    : undefined;
  return { status: res.statusCode, headers: res.headers, body: json as T, raw: res.rawPayload };
};
const code = (r: { body: unknown }) => (r.body as ErrorBody).error.code;

async function liveSpace(record = true): Promise<string> {
  const res = await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Replay me', record });
  assert.equal(res.status, 201);
  return res.body.id;
}

async function end(id: string): Promise<void> {
  assert.equal((await host.client.post(`/api/v1/spaces/${id}/end`)).status, 200);
  node.plane.spaces.invalidate(id); // the test server is a second HttpServer over the same plane
}

test('replay: 409 while live, available after the end, plays count, host deletes it → 404', async () => {
  const id = await liveSpace();
  const space = await node.store.spaces.get(id);
  assert.ok(space);
  const { packager, push } = tonePackager(440, Date.now());
  await recordings.started(space, { packager, startedAtMs: Date.now() });
  push(3);
  const live = await call('GET', `/api/v1/spaces/${id}/replay`);
  assert.equal(live.status, 409);
  assert.equal(code(live), 'invalid_state');

  await end(id);
  const finishing = await call('GET', `/api/v1/spaces/${id}/replay`);
  assert.equal(finishing.status, 409, 'ended, but the recorder has not finished yet');
  assert.equal((finishing.body as ErrorBody).error.details?.reason, 'recording_finishing');
  packager.end();
  await recordings.ended(id);

  const ready = await call<{ playlistUrl: string; durationSeconds: number; plays: number }>(
    'GET',
    `/api/v1/spaces/${id}/replay`,
  );
  assert.equal(ready.status, 200);
  assert.deepEqual(ready.body, { playlistUrl: `/replay/${id}/index.m3u8`, durationSeconds: 3, plays: 0 });

  const playlist = await call('GET', ready.body.playlistUrl);
  assert.equal(playlist.status, 200);
  assert.match(String(playlist.headers['content-type']), /mpegurl/);
  assert.match(playlist.raw.toString(), /#EXT-X-MAP:URI="init\.mp4"[\s\S]*seg1\.m4s\n#EXT-X-ENDLIST/);
  const seg = await call('GET', `/replay/${id}/seg0.m4s`);
  assert.equal(seg.status, 200);
  // Deleted means gone: minutes in any cache, then revalidated (never a year at a guessable URL).
  assert.equal(seg.headers['cache-control'], 'public, max-age=300, must-revalidate');
  assert.match(String(seg.headers.etag), /^"[\w-]+"$/);
  assert.equal(seg.headers['content-type'], 'audio/mp4');
  assert.equal((await call('GET', `/replay/${id}/init.mp4`)).status, 200);
  for (const bad of ['journal.ndjson', 'finished.json', 'seg9.m4s', '..%2Fx', 'seg0.m4s.tmp']) {
    assert.equal((await call('GET', `/replay/${id}/${bad}`)).status, 404, bad);
  }

  assert.equal((await call('POST', `/api/v1/spaces/${id}/replay/plays`)).status, 204);
  assert.equal((await call('POST', `/api/v1/spaces/${id}/replay/plays`)).status, 204);
  assert.equal((await call<{ plays: number }>('GET', `/api/v1/spaces/${id}/replay`)).body.plays, 2);

  const stranger = await signUp(node, 'other');
  assert.equal((await call('DELETE', `/api/v1/spaces/${id}/replay`)).status, 401);
  const notHost = await call('DELETE', `/api/v1/spaces/${id}/replay`, stranger.token);
  assert.equal(notHost.status, 403);
  assert.equal(code(notHost), 'not_host');
  assert.equal((await call('DELETE', `/api/v1/spaces/${id}/replay`, host.token)).status, 204);
  const gone = await call('GET', `/api/v1/spaces/${id}/replay`);
  assert.equal(gone.status, 404);
  assert.equal(code(gone), 'not_found');
  assert.equal((await call('GET', `/replay/${id}/index.m3u8`)).status, 404);
  const goneSeg = await call('GET', `/replay/${id}/seg0.m4s`);
  assert.equal(goneSeg.status, 404, 'a deleted replay segment is gone');
  assert.equal(goneSeg.headers['cache-control'], 'no-store');
  assert.equal((await call('POST', `/api/v1/spaces/${id}/replay/plays`)).status, 404);
  assert.equal((await call('DELETE', `/api/v1/spaces/${id}/replay`, host.token)).status, 404);
  assert.equal(existsSync(join(dir, id)), false, 'the files are gone');
});

test('replay: an unrecorded space, or an unknown one, has none', async () => {
  const id = await liveSpace(false);
  const space = await node.store.spaces.get(id);
  assert.ok(space);
  await recordings.started(space, { packager: tonePackager(440, 0).packager, startedAtMs: 0 });
  await end(id);
  await recordings.ended(id);
  assert.equal(code(await call('GET', `/api/v1/spaces/${id}/replay`)), 'not_found');
  assert.equal(existsSync(join(dir, id)), false, 'nothing was written');
  assert.equal(code(await call('GET', '/api/v1/spaces/nosuchspace/replay')), 'space_not_found');
});

test('replay: a recording interrupted by a node stop is finished on demand once the space has ended', async () => {
  const id = await liveSpace();
  const space = await node.store.spaces.get(id);
  assert.ok(space);
  const { packager, push } = tonePackager(660, 0);
  await recordings.started(space, { packager, startedAtMs: 0 });
  push(2.5);
  await recordings.stopped(id); // the node went down while live; the space ends while it is down
  await end(id);
  const res = await call<{ durationSeconds: number }>('GET', `/api/v1/spaces/${id}/replay`);
  assert.equal(res.status, 200);
  assert.equal(res.body.durationSeconds, 2.5);
  assert.equal((await call('GET', `/replay/${id}/seg1.m4s`)).status, 200);
});

test('retention: a replay older than retentionDays is gone from the API at once and swept from disk', async () => {
  const id = await liveSpace();
  const space = await node.store.spaces.get(id);
  assert.ok(space);
  const { packager, push } = tonePackager(440, 0);
  await recordings.started(space, { packager, startedAtMs: 0 });
  push(1);
  await end(id);
  packager.end();
  await recordings.ended(id);
  assert.equal((await call('GET', `/api/v1/spaces/${id}/replay`)).status, 200);
  nowMs += 30 * DAY + 1000;
  try {
    assert.equal(
      code(await call('GET', `/api/v1/spaces/${id}/replay`)),
      'not_found',
      'expired, not yet swept',
    );
    await recordings.start(); // sweeps now (and hourly, unref'd)
    assert.equal(existsSync(join(dir, id)), false);
    assert.notEqual((await node.store.recordings.get(id))?.deletedAt, null);
  } finally {
    nowMs -= 30 * DAY + 1000;
  }
});

test('the replay routes are in the OpenAPI document', async () => {
  const res = await http.app.inject({ method: 'GET', url: '/openapi.json' });
  const paths = Object.keys((JSON.parse(res.body) as { paths: Record<string, unknown> }).paths);
  for (const p of ['/api/v1/spaces/{id}/replay', '/api/v1/spaces/{id}/replay/plays']) {
    assert.ok(paths.includes(p), `${p} in ${paths.join(', ')}`);
  }
});

/**
 * Trimming the start of a replay over real HTTP: a 20 s recording (real Opus and AAC-LC from a tone, 2 s
 * segments) is cut at 5.3 s; the replay then starts at the next segment boundary (6 s): ffprobe measures
 * the Opus and AAC playlists and the .m4a 6 s shorter, the JSON says so, the URLs change (so no cache
 * keeps the old playlist), 0 undoes it. Bad input and the wrong caller get coded 4xx.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { HttpServer } from '../src/api/HttpServer.js';
import { registerReplayFiles, replayRoutes } from '../src/api/routes/replay.js';
import type { Replay } from '../src/contract/index.js';
import { Recordings } from '../src/recording/index.js';
import { toneAac, tonePackager } from '../src/testing/recordingTestKit.js';
import type { RostraNode } from '../src/server/RostraNode.js';
import { openTestNode, signUp, type ErrorBody, type TestUser } from '../src/testing/TestNode.js';

let node: RostraNode;
let http: HttpServer;
let recordings: Recordings;
let host: TestUser;
let dir: string;
let base: string;
let spaceId: string;

/** ffprobe's duration of a URL, without blocking this process (which serves it). */
function ffprobeDuration(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'format=duration',
      '-of',
      'csv=p=0',
      url,
    ]);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0 || err !== '') reject(new Error(`ffprobe ${url}: ${code} ${err}`));
      else resolve(Number(out.trim()));
    });
  });
}

async function api<T>(method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rostra-trim-'));
  node = await openTestNode();
  recordings = new Recordings({ store: node.store, recordingsDir: dir, retentionDays: 30 });
  http = await HttpServer.create({
    plane: node.plane,
    version: 'test',
    webDist: null,
    extraRoutes: replayRoutes({ plane: node.plane, recordings }),
    configure: (app) => registerReplayFiles(app, { recordings }),
    checkResponses: true,
  });
  base = await http.listen(0, '127.0.0.1');
  host = await signUp(node, 'host');

  // A 20 s recording, Opus and AAC-LC, 0.5 s parts in 2 s segments.
  spaceId = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Trim me' })).body.id;
  const space = await node.store.spaces.get(spaceId);
  assert.ok(space);
  const startedAtMs = Date.now();
  const opus = tonePackager(440, startedAtMs);
  const aac = toneAac(440, startedAtMs);
  await recordings.started(space, { packager: opus.packager, startedAtMs, aac });
  aac.push(20);
  opus.push(20);
  await aac.end();
  opus.packager.end();
  assert.equal((await host.client.post(`/api/v1/spaces/${spaceId}/end`)).status, 200);
  node.plane.spaces.invalidate(spaceId);
  await recordings.ended(spaceId);
});

after(async () => {
  await recordings.close();
  await http.close();
  await node.close();
  rmSync(dir, { recursive: true, force: true });
});

test('POST …/replay/trim cuts at the next segment boundary; ffprobe: Opus, AAC and .m4a 6 s shorter', async () => {
  const before = await api<Replay>('GET', `/api/v1/spaces/${spaceId}/replay`);
  assert.equal(before.status, 200);
  assert.equal(before.body.durationSeconds, 20);
  assert.equal(before.body.trimStartSeconds, undefined);
  assert.ok(before.body.downloadUrl, 'the recording has its AAC rendition');
  const opusBefore = await ffprobeDuration(`${base}/replay/${spaceId}/index.m3u8`);
  const aacBefore = await ffprobeDuration(`${base}/replay/${spaceId}/aac/index.m3u8`);
  const m4aBefore = await ffprobeDuration(`${base}${before.body.downloadUrl}`);
  assert.ok(Math.abs(opusBefore - 20) < 0.1, `Opus replay ${opusBefore} s`);

  const trimmed = await api<Replay>('POST', `/api/v1/spaces/${spaceId}/replay/trim`, host.token, {
    startSeconds: 5.3,
  });
  assert.equal(trimmed.status, 200, JSON.stringify(trimmed.body));
  assert.equal(trimmed.body.trimStartSeconds, 6);
  assert.equal(trimmed.body.durationSeconds, 14);
  assert.notEqual(
    trimmed.body.playlistUrl,
    before.body.playlistUrl,
    'a new URL: caches cannot serve the old',
  );
  const after = await api<Replay>('GET', `/api/v1/spaces/${spaceId}/replay`);
  assert.deepEqual(after.body, trimmed.body);

  const opusAfter = await ffprobeDuration(`${base}/replay/${spaceId}/index.m3u8?from=6`);
  const aacAfter = await ffprobeDuration(`${base}/replay/${spaceId}/aac/index.m3u8?from=6`);
  const m4aAfter = await ffprobeDuration(`${base}${after.body.downloadUrl ?? ''}`);
  const multivariant = await ffprobeDuration(`${base}${after.body.playlistUrl}`);
  assert.ok(Math.abs(opusBefore - opusAfter - 6) < 0.05, `Opus ${opusBefore} → ${opusAfter}`);
  assert.ok(Math.abs(aacBefore - aacAfter - 6) < 0.1, `AAC ${aacBefore} → ${aacAfter}`);
  assert.ok(Math.abs(m4aBefore - m4aAfter - 6) < 0.1, `.m4a ${m4aBefore} → ${m4aAfter}`);
  assert.ok(Math.abs(multivariant - 14) < 0.2, `multivariant ${multivariant}`);
  const text = await (await fetch(`${base}/replay/${spaceId}/index.m3u8`)).text();
  assert.doesNotMatch(text, /seg[0-2]\.m4s/, 'the first three segments are cut');
  assert.match(
    text,
    /#EXT-X-MAP:URI="init\.mp4"\n#EXT-X-PROGRAM-DATE-TIME:[^\n]+\n#EXTINF:2\.000,\nseg3\.m4s/,
  );

  // 0 puts the start back.
  const undone = await api<Replay>('POST', `/api/v1/spaces/${spaceId}/replay/trim`, host.token, {
    startSeconds: 0,
  });
  assert.equal(undone.status, 200);
  assert.equal(undone.body.durationSeconds, 20);
  assert.equal(undone.body.trimStartSeconds, undefined);
  assert.ok(Math.abs((await ffprobeDuration(`${base}${undone.body.playlistUrl}`)) - opusBefore) < 0.05);
});

test('bad trims get coded 4xx: out of range, not a number, not the host, not signed in, no replay', async () => {
  const path = `/api/v1/spaces/${spaceId}/replay/trim`;
  for (const startSeconds of [-1, 15, 15.01, 20, 1e9]) {
    const res = await api<ErrorBody>('POST', path, host.token, { startSeconds });
    assert.equal(res.status, 400, `${startSeconds}`);
    assert.equal(res.body.error.code, 'invalid_trim', `${startSeconds}`);
  }
  for (const body of [{ startSeconds: '5' }, { startSeconds: null }, {}, { startSeconds: 5, x: 1 }]) {
    const res = await api<ErrorBody>('POST', path, host.token, body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.equal(res.body.error.code, 'validation_failed', JSON.stringify(body));
  }
  const nan = await api<ErrorBody>('POST', path, host.token, '{"startSeconds": NaN}');
  assert.equal(nan.body.error.code, 'invalid_json');
  const stranger = await signUp(node, 'stranger');
  const notHost = await api<ErrorBody>('POST', path, stranger.token, { startSeconds: 6 });
  assert.equal(notHost.status, 403);
  assert.equal(notHost.body.error.code, 'not_host');
  const anonymous = await api<ErrorBody>('POST', path, undefined, { startSeconds: 6 });
  assert.equal(anonymous.status, 401);
  const unknown = await api<ErrorBody>('POST', '/api/v1/spaces/nosuchspace0/replay/trim', host.token, {
    startSeconds: 6,
  });
  assert.equal(unknown.body.error.code, 'space_not_found');
  const live = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Live' })).body.id;
  const whileLive = await api<ErrorBody>('POST', `/api/v1/spaces/${live}/replay/trim`, host.token, {
    startSeconds: 6,
  });
  assert.equal(whileLive.status, 409);
  assert.equal(whileLive.body.error.code, 'invalid_state');
  // Nothing was changed by any of them.
  const replay = await api<Replay>('GET', `/api/v1/spaces/${spaceId}/replay`);
  assert.equal(replay.body.durationSeconds, 20);
});

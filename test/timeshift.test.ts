/**
 * Time-shift over HTTP: while a recorded space is live, /replay/{id}/event.m3u8 is an EVENT playlist of
 * the segments already on disk, each served as it was written; unsynced or foreign files are not; once
 * the space ends the replay takes over. Real packager, real Opus, real recorder, real files.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { RostraNode } from '../src/server/RostraNode.js';
import { tonePackager } from '../src/testing/recordingTestKit.js';
import { openTestNode, signUp, TestClient, type ErrorBody } from '../src/testing/TestNode.js';
import { until } from '../src/testing/until.js';

let dir: string;
let node: RostraNode;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rostra-timeshift-'));
  node = await openTestNode({ config: { dataDir: dir } });
});
after(async () => {
  await node?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a live space’s recording so far, as an EVENT playlist; then the replay once it ends', async () => {
  const host = await signUp(node, 'host');
  const id = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Late arrival' })).body.id;
  const anon = new TestClient(node);
  const none = await anon.get<ErrorBody>(`/replay/${id}/event.m3u8`);
  assert.equal(none.status, 404, 'nothing recorded yet');
  assert.equal(none.body.error.code, 'not_found');

  const space = await node.store.spaces.get(id);
  assert.ok(space && node.recordings);
  const { packager, push } = tonePackager(440, Date.now());
  await node.recordings.started(space, { packager, startedAtMs: Date.now() });
  push(6.5); // three whole 2 s segments and a part of the fourth

  // The recorder writes off the event loop's tick: wait for the third segment to be listed.
  const text = await until('seg2 in the EVENT playlist', async () => {
    const res = await anon.get(`/replay/${id}/event.m3u8`);
    return res.status === 200 && /seg2\.m4s/.test(res.text) ? res.text : undefined;
  });
  assert.match(text, /#EXT-X-PLAYLIST-TYPE:EVENT/);
  assert.doesNotMatch(text, /#EXT-X-ENDLIST/);
  assert.match(text, /#EXT-X-MAP:URI="event\/init\d*\.mp4"/);
  const segs = [...text.matchAll(/^event\/seg(\d+)\.m4s$/gm)].map((m) => Number(m[1]));
  assert.deepEqual(segs.slice(0, 3), [0, 1, 2]);
  assert.ok(!segs.includes(3), 'the segment still being written is not listed');

  const seg = await anon.get(`/replay/${id}/event/seg0.m4s`);
  assert.equal(seg.status, 200);
  assert.equal(seg.headers['content-type'], 'audio/mp4');
  const init = /URI="event\/(init\d*\.mp4)"/.exec(text)?.[1] ?? 'init.mp4';
  assert.equal((await anon.get(`/replay/${id}/event/${init}`)).status, 200);
  for (const bad of [
    'seg3.m4s',
    'seg99.m4s',
    'journal.ndjson',
    'finished.json',
    '..%2Findex.m3u8',
    'seg0.m4s.tmp',
  ]) {
    assert.equal((await anon.get(`/replay/${id}/event/${bad}`)).status, 404, bad);
  }
  assert.equal((await anon.get('/replay/nosuchspace/event.m3u8')).status, 404);

  // Once the space ends, time-shift says so, and the replay is the way.
  assert.equal((await host.client.post(`/api/v1/spaces/${id}/end`)).status, 200);
  packager.end();
  await node.recordings.ended(id);
  const over = await anon.get<ErrorBody>(`/replay/${id}/event.m3u8`);
  assert.equal(over.status, 409);
  assert.equal(over.body.error.code, 'invalid_state');
  assert.equal((await anon.get(`/api/v1/spaces/${id}/replay`)).status, 200);
});

test('an unrecorded live space has no time-shift', async () => {
  const host = await signUp(node, 'host');
  const id = (
    await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Off the record', record: false })
  ).body.id;
  const res = await new TestClient(node).get<ErrorBody>(`/replay/${id}/event.m3u8`);
  assert.equal(res.status, 404);
  assert.equal(res.body.error.code, 'not_found');
});

/**
 * Blocking reloads held on the live origin, over real HTTP: a crowd woken by one part gets the new
 * playlist, the same bytes for every request (rendered and compressed once), gzip-compressed for a client
 * that accepts it, with Vary so caches keep the two apart. The space has no speaker: the mixer still
 * broadcasts silence, so parts flow.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { acceptsGzip } from '../../src/api/routes/live.js';
import type { SpaceMedia } from '../../src/media/SpaceMedia.js';
import type { RostraNode } from '../../src/server/RostraNode.js';
import { openTestNode, signUp } from '../../src/testing/TestNode.js';

let node: RostraNode;
let spaceId: string;
let ticket: string;

before(async () => {
  node = await openTestNode({ config: { media: { partTargetMs: 200, segmentTargetS: 1 } } });
  await node.listen();
  const host = await signUp(node, 'host');
  spaceId = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Held' })).body.id;
  const listen = await fetch(`http://127.0.0.1:${node.http.port}/api/v1/spaces/${spaceId}/listen`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  ticket = ((await listen.json()) as { ticket: string }).ticket;
});

after(async () => {
  await node.close();
});

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A GET whose body is kept as it came over the wire (fetch would decompress it). */
function rawGet(path: string, gzip: boolean): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { cookie: `rostra_ticket=${ticket}` };
    if (gzip) headers['accept-encoding'] = 'gzip, deflate, br';
    const req = request({ host: '127.0.0.1', port: node.http.port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** Resolves when the packager cuts its next part (a generous deadline, for a busy machine). */
function nextPart(m: SpaceMedia): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no part cut in 60 s')), 60_000);
    m.packager.once('part', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

test('a crowd held for the next part is woken by it: the new playlist, one body, gzip or not', async () => {
  assert.equal((await rawGet(`/live/${spaceId}/audio.m3u8`, false)).status, 200); // starts the media
  const m = node.media.get(spaceId);
  assert.ok(m, 'the space has media on this node');
  await nextPart(m);
  const { lastMsn, partsInProgress } = m.packager.position;
  // Two parts past the preload hint (~0.6 s away), so every request is held until that part exists.
  const pps = m.packager.playlist.timing.partsPerSegment;
  const next = (lastMsn + 1) * pps + partsInProgress + 2;
  const [msn, part] = [Math.floor(next / pps), next % pps];
  const awaited = `part${msn}.${part}.m4s`;
  const path = `/live/${spaceId}/audio.m3u8?_HLS_msn=${msn}&_HLS_part=${part}&_HLS_skip=YES`;
  const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => rawGet(path, i % 2 === 0)));

  const plain = answers.filter((a) => a.headers['content-encoding'] === undefined);
  const gzipped = answers.filter((a) => a.headers['content-encoding'] === 'gzip');
  assert.equal(plain.length, 6, 'a client without gzip gets the playlist as it is');
  assert.equal(gzipped.length, 6, 'a client with gzip gets it compressed');
  for (const a of answers) {
    assert.equal(a.status, 200);
    assert.equal(a.headers.vary, 'accept-encoding');
    assert.match(a.headers['content-type'] as string, /mpegurl/);
  }
  const text = (plain[0] as Raw).body.toString();
  const listed = new RegExp(`#EXT-X-PART:[^\\n]*URI="${awaited.replaceAll('.', '\\.')}"`);
  assert.match(text, listed, 'the part it waited for is listed');
  // Woken in the same pass, before the next part: every body is the same rendering.
  for (const a of plain) assert.equal(a.body.toString(), text);
  for (const a of gzipped) assert.equal(gunzipSync(a.body).toString(), text);
  assert.ok((gzipped[0] as Raw).body.length < (plain[0] as Raw).body.length);
});

test('acceptsGzip: gzip or * with a q above 0, anywhere in the list', () => {
  assert.equal(acceptsGzip('gzip, deflate, br'), true);
  assert.equal(acceptsGzip('br;q=1.0, GZIP;q=0.5'), true);
  assert.equal(acceptsGzip('*'), true);
  assert.equal(acceptsGzip('gzip;q=0'), false);
  assert.equal(acceptsGzip('br, deflate'), false);
  assert.equal(acceptsGzip('identity'), false);
  assert.equal(acceptsGzip(''), false);
  assert.equal(acceptsGzip(undefined), false);
});

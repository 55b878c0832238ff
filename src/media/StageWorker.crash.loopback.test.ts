/**
 * A node whose stage worker dies: the crash is counted, the space's media is dropped (the space stays
 * live), and the next listener gets new media from a new worker. The node keeps serving throughout.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RostraNode } from '../server/RostraNode.js';
import { openTestNode, signUp } from '../testing/TestNode.js';
import { until } from '../testing/until.js';

let node: RostraNode;
let base: string;
let spaceId: string;
let ticket: string;

before(async () => {
  node = await openTestNode({ config: { media: { stageEngine: 'worker' } } });
  await node.listen();
  base = `http://127.0.0.1:${node.http.port}`;
  const host = await signUp(node, 'host');
  spaceId = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Crash' })).body.id;
  const listen = await fetch(`${base}/api/v1/spaces/${spaceId}/listen`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  ticket = ((await listen.json()) as { ticket: string }).ticket;
});

after(async () => {
  await node.close();
  assert.equal(node.media.stageEngines.worker?.running ?? false, false, 'the node ended its worker');
});

const playlist = () =>
  fetch(`${base}/live/${spaceId}/audio.m3u8`, { headers: { cookie: `rostra_ticket=${ticket}` } });

test('the stage worker crashes: the space’s media is dropped, and the next listener starts it again', async () => {
  assert.equal(node.media.stageEngines.kind, 'worker');
  assert.equal((await playlist()).status, 200);
  const first = node.media.get(spaceId);
  assert.ok(first && !first.closed, 'the listener started the media');
  const worker = node.media.stageEngines.worker;
  assert.ok(worker?.running);

  worker.crashForTest();
  await until(() => (node.media.get(spaceId) === undefined ? true : undefined));
  assert.equal(worker.crashes, 1);
  assert.equal(first.closed, true);
  assert.equal(worker.running, false);

  const res = await playlist();
  assert.equal(res.status, 200, 'the node still serves the space');
  await res.text();
  const second = node.media.get(spaceId);
  assert.ok(second && second !== first && !second.closed, 'new media for the space');
  assert.equal(worker.running, true, 'from a new worker');
  await new Promise<void>((resolve) => second.packager.once('part', () => resolve()));
});

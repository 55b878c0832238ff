/**
 * Planned refusals are counted, not errors: on a full space, simulated listeners get
 * 503 space_unavailable + Retry-After, wait, and retry; the report counts them by reason.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runLoadTest } from '../../src/loadtest/index.js';
import type { RostraNode } from '../../src/server/RostraNode.js';
import { openTestNode, signUp } from '../../src/testing/TestNode.js';
import { until } from '../../src/testing/until.js';

let node: RostraNode;
let base: string;
let spaceId: string;

before(async () => {
  node = await openTestNode({ webDist: null, config: { limits: { listenersPerSpace: 5 } } });
  await node.listen();
  base = `http://127.0.0.1:${node.http.port}`;
  const host = await signUp(node, 'host');
  spaceId = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Capped' })).body.id;
});

after(async () => {
  await node.close();
});

test('runLoadTest on a full space: every join refused with audience_full and retried, none counted as error', async () => {
  for (let i = 0; i < 5; i++) {
    const res = await fetch(`${base}/api/v1/spaces/${spaceId}/listen`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(res.status, 200);
  }
  // The node caches the space's count for ~1 s: wait until the count admission reads shows the five.
  await until('the five listeners are counted', async () => (await node.plane.audience.count(spaceId)) >= 5);
  const report = await runLoadTest({ url: `${base}/s/${spaceId}`, listeners: 4, durationS: 3 });
  assert.equal(report.listenersConnected, 0);
  // Each listener retries after Retry-After, so there are at least as many refusals as listeners.
  assert.ok((report.refused.audience_full ?? 0) >= 4, JSON.stringify(report.refused));
  assert.deepEqual(report.errors, {});
  // The decoding sample listeners were refused too, and say why.
  assert.deepEqual(
    report.decoded.map((d) => d.error),
    ['space_unavailable', 'space_unavailable'],
  );
});

test('runLoadTest: listeners, duration and URL are checked before any request', async () => {
  await assert.rejects(runLoadTest({ url: `${base}/s/${spaceId}`, listeners: 0 }), TypeError);
  await assert.rejects(runLoadTest({ url: `${base}/s/${spaceId}`, durationS: 601 }), TypeError);
  await assert.rejects(runLoadTest({ url: `${base}/s/${spaceId}`, rampS: 5, durationS: 5 }), TypeError);
  await assert.rejects(runLoadTest({ url: `${base}/nowhere` }), TypeError);
  await assert.rejects(runLoadTest({ url: `${base}/s/${spaceId}`, decoders: 11 }), TypeError);
  await assert.rejects(runLoadTest({ url: `${base}/s/${spaceId}`, decoders: 1.5 }), TypeError);
});

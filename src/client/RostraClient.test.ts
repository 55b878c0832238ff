import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError, RostraClient, type Transport, type TransportRequest } from './RostraClient.js';

function scripted(answer: (req: TransportRequest) => { status: number; type?: string; text: string }) {
  const seen: TransportRequest[] = [];
  const transport: Transport = (req) => {
    seen.push(req);
    const a = answer(req);
    return Promise.resolve({
      status: a.status,
      headers: { 'content-type': a.type ?? 'application/json' },
      text: a.text,
    });
  };
  return { seen, client: new RostraClient(transport, { origin: 'http://node.test/', token: 'tok' }) };
}

test('RostraClient: typed calls send JSON with the bearer token and return the body', async () => {
  const admission = {
    ticket: 't',
    expiresAt: 'x',
    listenerId: 'l',
    playlistUrl: '/live/s/index.m3u8',
    heartbeatSeconds: 15,
  };
  const { seen, client } = scripted(() => ({ status: 200, text: JSON.stringify(admission) }));
  assert.deepEqual(await client.listen('s'), admission);
  assert.deepEqual(seen[0], {
    method: 'POST',
    path: '/api/v1/spaces/s/listen',
    headers: { authorization: 'Bearer tok', 'content-type': 'application/json' },
    body: '{}',
  });
  assert.equal(client.origin, 'http://node.test');
  assert.equal(client.as(undefined).token, undefined);
});

test('RostraClient: a refusal is an ApiError with the code, message, Retry-After and details', async () => {
  const body = {
    error: {
      code: 'space_unavailable',
      message: 'full',
      retryAfter: 7,
      details: { reason: 'audience_full' },
    },
  };
  const { client } = scripted(() => ({ status: 503, text: JSON.stringify(body) }));
  const err = await client.listen('s').catch((e: unknown) => e);
  assert.ok(err instanceof ApiError);
  assert.deepEqual(
    [err.status, err.code, err.message, err.retryAfter, err.details],
    [503, 'space_unavailable', 'full', 7, { reason: 'audience_full' }],
  );
  // Raw calls answer any status.
  assert.equal((await client.post('/api/v1/spaces/s/listen')).status, 503);
});

test('RostraClient: a proxy error page and an unreachable server are coded too', async () => {
  const { client } = scripted(() => ({ status: 502, type: 'text/html', text: '<h1>Bad Gateway</h1>' }));
  const err = await client.me().catch((e: unknown) => e);
  assert.ok(err instanceof ApiError);
  assert.deepEqual([err.status, err.code, err.message], [502, 'http_502', '<h1>Bad Gateway</h1>']);
  const down = new RostraClient(
    () => Promise.reject(new TypeError('fetch failed', { cause: new Error('ECONNREFUSED') })),
    {
      origin: 'http://node.test',
    },
  );
  const e2 = await down.me().catch((e: unknown) => e);
  assert.ok(e2 instanceof ApiError);
  assert.deepEqual(
    [e2.status, e2.code, e2.message],
    [0, 'unreachable', 'cannot reach http://node.test: ECONNREFUSED'],
  );
});

/** Accounts: sign-up rules, sign-in, throttling per handle and per IP, sign-out, blocks. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RostraNode } from '../src/server/RostraNode.js';
import { openTestNode, signUp, TestClient, type ErrorBody } from '../src/testing/TestNode.js';

let node: RostraNode;
before(async () => {
  node = await openTestNode();
});
after(async () => {
  await node.close();
});

const PASSWORD = 'correct horse battery';

test('sign-up refuses a taken handle in any case, and sign-in accepts any case', async () => {
  const c = new TestClient(node);
  assert.equal(
    (await c.post('/api/v1/auth/signup', { handle: 'Grace_H', password: PASSWORD, displayName: 'Grace' }))
      .status,
    201,
  );
  const dup = await c.post<ErrorBody>('/api/v1/auth/signup', {
    handle: 'grace_h',
    password: PASSWORD,
    displayName: 'Other',
  });
  assert.equal(dup.status, 409);
  assert.equal(dup.body.error.code, 'handle_taken');
  const signIn = await c.post<{ user: { handle: string }; token: string }>('/api/v1/auth/signin', {
    handle: 'GRACE_H',
    password: PASSWORD,
  });
  assert.equal(signIn.status, 200);
  assert.equal(signIn.body.user.handle, 'Grace_H');
  assert.equal((await c.as(signIn.body.token).get('/api/v1/me')).status, 200);
});

test('sign-up validates handle, password and display name', async () => {
  const c = new TestClient(node);
  for (const body of [
    { handle: 'no spaces', password: PASSWORD, displayName: 'x' },
    { handle: 'ok_handle1', password: 'short', displayName: 'x' },
    { handle: 'ok_handle2', password: PASSWORD, displayName: '' },
    { handle: 'ok_handle3', password: PASSWORD, displayName: 'bell\u0007' },
    { handle: 'waytoolonghandle_x', password: PASSWORD, displayName: 'x' },
  ]) {
    const res = await c.post<ErrorBody>('/api/v1/auth/signup', body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.equal(res.body.error.code, 'validation_failed');
  }
});

test('a wrong password and an unknown handle get the same answer', async () => {
  const u = await signUp(node, 'pw');
  const c = new TestClient(node);
  const wrong = await c.post<ErrorBody>('/api/v1/auth/signin', {
    handle: u.handle,
    password: 'not the password',
  });
  const unknown = await c.post<ErrorBody>('/api/v1/auth/signin', {
    handle: 'nobody_here',
    password: 'not the password',
  });
  assert.deepEqual([wrong.status, wrong.body.error.code], [401, 'invalid_credentials']);
  assert.deepEqual(unknown.body, wrong.body);
});

test('sign-in attempts are throttled per handle, even with the right password afterwards', async () => {
  const u = await signUp(node, 'throttle');
  const c = new TestClient(node).from('203.0.113.10');
  for (let i = 0; i < 10; i++)
    await c.post('/api/v1/auth/signin', { handle: u.handle, password: 'guess number ' + i });
  const blocked = await c.post<ErrorBody>('/api/v1/auth/signin', { handle: u.handle, password: PASSWORD });
  assert.equal(blocked.status, 429);
  assert.equal(blocked.body.error.code, 'too_many_attempts');
  assert.ok(Number(blocked.headers['retry-after']) > 0);
  // Another handle from the same address is not held back by this handle's limit.
  const other = await signUp(node, 'unaffected');
  assert.equal(
    (await c.post('/api/v1/auth/signin', { handle: other.handle, password: PASSWORD })).status,
    200,
  );
});

test('sign-in attempts are throttled per IP across handles', async () => {
  const c = new TestClient(node).from('203.0.113.9');
  const statuses: number[] = [];
  for (let i = 0; i < 60; i++) {
    const res = await c.post('/api/v1/auth/signin', { handle: `spray_${i}`, password: 'password123' });
    statuses.push(res.status);
  }
  assert.ok(statuses.slice(0, 40).every((s) => s === 401));
  assert.ok(
    statuses.slice(-5).every((s) => s === 429),
    `the IP is throttled: ${statuses.slice(-10).join(',')}`,
  );
});

test('sign-out revokes only that session', async () => {
  const u = await signUp(node, 'two');
  const second = await new TestClient(node).post<{ token: string }>('/api/v1/auth/signin', {
    handle: u.handle,
    password: PASSWORD,
  });
  assert.equal((await u.client.post('/api/v1/auth/signout')).status, 204);
  assert.equal((await u.client.get('/api/v1/me')).status, 401);
  assert.equal((await new TestClient(node, second.body.token).get('/api/v1/me')).status, 200);
});

test('block and unblock', async () => {
  const [a, b] = [await signUp(node, 'a'), await signUp(node, 'b')];
  assert.equal((await a.client.put(`/api/v1/me/blocks/${b.id}`)).status, 204);
  assert.equal((await a.client.put(`/api/v1/me/blocks/${b.id}`)).status, 204, 'idempotent');
  assert.deepEqual(
    (await a.client.get<{ users: { id: string }[] }>('/api/v1/me/blocks')).body.users.map((u) => u.id),
    [b.id],
  );
  assert.equal((await a.client.put<ErrorBody>(`/api/v1/me/blocks/${a.id}`)).body.error.code, 'bad_request');
  assert.equal(
    (await a.client.put<ErrorBody>('/api/v1/me/blocks/nosuchuser00')).body.error.code,
    'user_not_found',
  );
  assert.equal((await a.client.delete(`/api/v1/me/blocks/${b.id}`)).status, 204);
  assert.deepEqual((await a.client.get<{ users: unknown[] }>('/api/v1/me/blocks')).body.users, []);
});

test('behind a trusted proxy, the forwarded address is the one throttled', async () => {
  const proxied = await openTestNode({ config: { trustedProxies: ['127.0.0.1'] } });
  try {
    const c = new TestClient(proxied);
    const statuses: number[] = [];
    for (let i = 0; i < 52; i++) {
      const res = await c.request(
        'POST',
        '/api/v1/auth/signin',
        { handle: `p_${i}`, password: 'password123' },
        { 'x-forwarded-for': '198.51.100.7' },
      );
      statuses.push(res.status);
    }
    assert.equal(statuses.at(-1), 429);
    const fresh = await c.request(
      'POST',
      '/api/v1/auth/signin',
      { handle: 'p_x', password: 'password123' },
      { 'x-forwarded-for': '198.51.100.8' },
    );
    assert.equal(fresh.status, 401, 'another forwarded address has its own budget');
    // A client that is not a trusted proxy cannot pick its address by sending the header (here the
    // exhausted one, which would answer 429 if believed).
    const direct = await c
      .from('192.0.2.1')
      .request(
        'POST',
        '/api/v1/auth/signin',
        { handle: 'p_y', password: 'password123' },
        { 'x-forwarded-for': '198.51.100.7' },
      );
    assert.equal(direct.status, 401);
  } finally {
    await proxied.close();
  }
});

/** Data survives a restart of `rostra serve` on the same data directory, after a clean stop and a kill -9. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ServeProcess } from '../src/testing/ServeProcess.js';

const dataDir = mkdtempSync(join(tmpdir(), 'rostra-restart-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

interface Session {
  token: string;
  user: { id: string };
}

test('accounts, sessions, spaces, blocks and interest survive a clean restart and a kill -9', async () => {
  let server = await ServeProcess.start(['--data', dataDir]);
  const host = await server.json<Session>('POST', '/api/v1/auth/signup', {
    handle: 'restart_host',
    password: 'long enough pw',
    displayName: 'Host',
  });
  assert.equal(host.status, 201);
  const fan = await server.json<Session>('POST', '/api/v1/auth/signup', {
    handle: 'restart_fan',
    password: 'long enough pw',
    displayName: 'Fan',
  });
  const live = await server.json<{ id: string }>(
    'POST',
    '/api/v1/spaces',
    { title: 'Survives', topics: ['durability'] },
    host.body.token,
  );
  const later = await server.json<{ id: string }>(
    'POST',
    '/api/v1/spaces',
    { title: 'Later', scheduledFor: new Date(Date.now() + 86_400_000).toISOString() },
    host.body.token,
  );
  assert.equal(
    (await server.json('PUT', `/api/v1/spaces/${later.body.id}/interest`, undefined, fan.body.token)).status,
    204,
  );
  assert.equal(
    (await server.json('PUT', `/api/v1/me/blocks/${fan.body.user.id}`, undefined, host.body.token)).status,
    204,
  );
  assert.equal(await server.stop('SIGTERM'), 0, server.output);

  server = await ServeProcess.start(['--data', dataDir]);
  const me = await server.json<{ id: string }>('GET', '/api/v1/me', undefined, host.body.token);
  assert.equal(me.status, 200, 'the session token still works: the secret and the session were kept');
  assert.equal(me.body.id, host.body.user.id);
  const space = await server.json<{ title: string; state: string; topics: string[] }>(
    'GET',
    `/api/v1/spaces/${live.body.id}`,
  );
  assert.deepEqual(
    [space.body.title, space.body.state, space.body.topics],
    ['Survives', 'live', ['durability']],
  );
  const blocks = await server.json<{ users: { id: string }[] }>(
    'GET',
    '/api/v1/me/blocks',
    undefined,
    host.body.token,
  );
  assert.deepEqual(
    blocks.body.users.map((u) => u.id),
    [fan.body.user.id],
  );

  // Written, then the process dies without warning.
  const after = await server.json<{ id: string }>(
    'POST',
    '/api/v1/spaces',
    { title: 'Before the crash' },
    host.body.token,
  );
  assert.equal(after.status, 201);
  assert.equal(await server.stop('SIGKILL'), 'SIGKILL');

  server = await ServeProcess.start(['--data', dataDir]);
  try {
    const crashed = await server.json<{ title: string }>('GET', `/api/v1/spaces/${after.body.id}`);
    assert.equal(crashed.status, 200, 'a write acknowledged before kill -9 is kept');
    assert.equal(crashed.body.title, 'Before the crash');
    const signIn = await server.json<Session>('POST', '/api/v1/auth/signin', {
      handle: 'restart_fan',
      password: 'long enough pw',
    });
    assert.equal(signIn.status, 200);
  } finally {
    await server.stop('SIGTERM');
  }
});

test('a wrong configuration value stops the start with a clear message and exit code 2', async () => {
  await assert.rejects(
    ServeProcess.start(['--data', dataDir], { ROSTRA_MAX_SPEAKERS: 'lots' }),
    /exited with 2[\s\S]*ROSTRA_MAX_SPEAKERS/,
  );
});

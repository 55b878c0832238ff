import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { SpaceListSchema } from '../contract/rest.js';
import { openTestNode } from '../testing/TestNode.js';
import { HttpServer } from './HttpServer.js';
import { responseDrift } from './ResponseCheck.js';
import { route } from './Route.js';

const host = { id: 'u1', handle: 'ada', displayName: 'Ada' };
const space = {
  id: 's1',
  title: 'T',
  topics: [],
  record: true,
  anonymousListening: true,
  state: 'live',
  scheduledFor: null,
  startedAt: '2026-01-01T00:00:00.000Z',
  endedAt: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  host,
  stage: [{ ...host, role: 'host', muted: false }],
  listenerCount: 3,
  pageUrl: 'http://x/s/s1',
};

test('responseDrift: a response that fits its schema has no drift', () => {
  assert.deepEqual(responseDrift(SpaceListSchema, { spaces: [space], nextCursor: null }), []);
});

test('responseDrift: a field the document does not name is reported with its path', () => {
  const stage = [{ ...host, role: 'host', muted: false, secret: 1 }];
  assert.deepEqual(responseDrift(SpaceListSchema, { spaces: [{ ...space, stage }], nextCursor: null }), [
    'spaces.0.stage.0.secret: not in the documented schema',
  ]);
});

test('responseDrift: a missing or mistyped field is reported with its path', () => {
  const { pageUrl: _dropped, ...noUrl } = space;
  const drift = responseDrift(SpaceListSchema, {
    spaces: [{ ...noUrl, listenerCount: '3' }],
    nextCursor: null,
  });
  assert.equal(drift.length, 2);
  assert.match(drift[0] ?? '', /^spaces\.0\.listenerCount: /);
  assert.match(drift[1] ?? '', /^spaces\.0\.pageUrl: /);
});

test('responseDrift: checks the JSON that goes on the wire (dates become strings)', () => {
  const schema = z.object({ at: z.string() });
  assert.deepEqual(responseDrift(schema, { at: new Date(0) }), []);
  assert.deepEqual(responseDrift(z.object({ n: z.number() }), { n: 1, f: undefined }), []);
});

test('a route whose response leaves its schema answers 500 on a checking server, naming the field', async () => {
  const node = await openTestNode();
  const drifting = route({
    method: 'GET',
    url: '/drift',
    operationId: 'drift',
    summary: 'answers with a field its schema does not name',
    tag: 'test',
    auth: 'none',
    response: { status: 200, description: 'ok', schema: z.object({ a: z.number() }) },
    handler: () => Promise.resolve({ a: 1, b: 2 }),
  });
  const servers = await Promise.all(
    [true, false].map((checkResponses) =>
      HttpServer.create({
        plane: node.plane,
        version: '0',
        webDist: null,
        extraRoutes: [drifting],
        checkResponses,
      }),
    ),
  );
  try {
    const [checked, unchecked] = await Promise.all(servers.map((s) => s.app.inject({ url: '/drift' })));
    assert.equal(checked?.statusCode, 500);
    assert.match(checked?.body ?? '', /drift leaves its schema: b: not in the documented schema/);
    assert.equal(unchecked?.statusCode, 200);
  } finally {
    await Promise.all(servers.map((s) => s.close()));
    await node.close();
  }
});

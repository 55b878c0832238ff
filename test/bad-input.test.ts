/**
 * Bad input on purpose: every route gets broken JSON, wrong types, unknown fields, a huge body, bad ids and
 * bad tokens; the WebSocket gets junk. Each answer is a coded 4xx, never a 5xx, and the node stays up.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { TokenSigner } from '../src/auth/SignedToken.js';
import { ErrorCodes } from '../src/errors/index.js';
import type { RostraNode } from '../src/server/RostraNode.js';
import {
  ManualClock,
  openTestNode,
  signUp,
  TestClient,
  type ApiResponse,
  type ErrorBody,
  type TestUser,
} from '../src/testing/TestNode.js';

let node: RostraNode;
let host: TestUser;
let spaceId: string;
let clock: ManualClock;

before(async () => {
  clock = new ManualClock(Date.now());
  // This file sends hundreds of bad requests from one address on purpose, to check each answer; the
  // guard's door for such an address (tested in its own suite) would answer them all with 429 instead.
  node = await openTestNode({ clock, config: { guard: { junkPerIp: 1_000_000 } } });
  host = await signUp(node, 'host');
  const res = await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Bad input' });
  spaceId = res.body.id;
});

after(async () => {
  await node.close();
});

function assertCoded4xx(res: ApiResponse, what: string): void {
  assert.ok(
    res.status >= 400 && res.status < 500,
    `${what}: expected 4xx, got ${res.status} ${res.text.slice(0, 200)}`,
  );
  const body = res.body as ErrorBody | undefined;
  assert.ok(body && typeof body.error === 'object', `${what}: no error body: ${res.text.slice(0, 200)}`);
  assert.ok(body.error.code in ErrorCodes, `${what}: unknown code ${body.error.code}`);
  assert.equal(typeof body.error.message, 'string');
  assert.equal(
    ErrorCodes[body.error.code as keyof typeof ErrorCodes].status,
    res.status,
    `${what}: status matches the catalogue`,
  );
}

function urlFor(pattern: string, params: Record<string, string> = {}): string {
  return pattern.replace(
    /:([A-Za-z]+)/g,
    (_m, name: string) =>
      params[name] ?? (name === 'handle' ? host.handle : name === 'userId' ? host.id : spaceId),
  );
}

const BAD_IDS = [
  '..%2F..%2Fetc%2Fpasswd',
  'a'.repeat(300),
  '%00',
  'x%20y',
  '%F0%9F%94%A5',
  "1'%20OR%20'1'='1",
  '%E0%A4%A',
];
const BAD_BODIES: unknown[] = [
  [],
  'just a string',
  12345,
  null,
  true,
  { zzz_unknown: 1 },
  { title: 123, handle: [], emoji: {}, accept: 'yes', ticket: 5, userId: { $ne: 1 } },
];

describe('every HTTP route refuses bad input with a coded 4xx', () => {
  test('broken JSON, wrong types, unknown fields, huge bodies', async () => {
    for (const def of node.http.routes) {
      if (def.method === 'GET') continue;
      const url = urlFor(def.url);
      const c = host.client;
      const what = `${def.method} ${def.url}`;
      for (const broken of ['{"title": ', '{,}', '\u0000', '{"a":1}}']) {
        assertCoded4xx(
          await c.request(def.method, url, broken),
          `${what} broken JSON ${JSON.stringify(broken)}`,
        );
      }
      if (def.body) {
        for (const body of BAD_BODIES)
          assertCoded4xx(await c.request(def.method, url, body), `${what} body ${JSON.stringify(body)}`);
      }
      const huge = JSON.stringify({ title: 'x'.repeat(200_000) });
      const tooLarge = await c.request(def.method, url, huge);
      assertCoded4xx(tooLarge, `${what} huge body`);
      assert.equal((tooLarge.body as ErrorBody).error.code, 'payload_too_large');
      assertCoded4xx(
        await c.request(def.method, url, '<xml/>', { 'content-type': 'application/xml' }),
        `${what} wrong content type`,
      );
    }
  });

  test('bad ids in the path', async () => {
    for (const def of node.http.routes) {
      if (!def.url.includes(':')) continue;
      for (const bad of BAD_IDS) {
        const url = urlFor(def.url, { id: bad, userId: bad, handle: bad });
        const res = await host.client.request(def.method, url, def.method === 'GET' ? undefined : {});
        assertCoded4xx(res, `${def.method} ${url}`);
      }
      // Well-formed ids that do not exist.
      const res = await host.client.request(
        def.method,
        urlFor(def.url, { id: 'nosuchspace0', userId: 'nosuchuser00', handle: 'nosuchhandle' }),
        def.method === 'GET' ? undefined : {},
      );
      if (res.status >= 400) assertCoded4xx(res, `${def.method} ${def.url} unknown ids`);
    }
  });

  test('bad query strings', async () => {
    for (const q of [
      'limit=-1',
      'limit=abc',
      'limit=1e9',
      'state=nope',
      `cursor=${'z'.repeat(5000)}`,
      'zzz=1',
      'limit=1&limit=2',
    ]) {
      assertCoded4xx(await host.client.get(`/api/v1/spaces?${q}`), `list ?${q}`);
      assertCoded4xx(await host.client.get(`/api/v1/spaces/${spaceId}/listeners?${q}`), `listeners ?${q}`);
    }
  });

  test('expired, forged, garbage and revoked tokens', async () => {
    const signedElsewhere = new TokenSigner<{ sid: string; uid: string; exp: number }>(
      'another-secret-that-is-32-chars-long!',
      'session',
    ).sign({
      sid: 'x',
      uid: host.id,
      exp: Date.now() / 1000 + 3600,
    });
    const [body, mac] = host.token.split('.') as [string, string];
    const forgedPayload = Buffer.from(JSON.stringify({ sid: 'x', uid: 'someone', exp: 9e9 })).toString(
      'base64url',
    );
    const headers = [
      `Bearer ${signedElsewhere}`,
      `Bearer ${forgedPayload}.${mac}`,
      `Bearer ${body}.${mac.slice(0, -2)}AA`,
      'Bearer ',
      'Bearer a.b.c',
      `Basic ${Buffer.from('a:b').toString('base64')}`,
      `Bearer ${'x'.repeat(5000)}`,
    ];
    for (const def of node.http.routes) {
      if (def.auth === 'none') continue;
      for (const authorization of headers) {
        const res = await new TestClient(node).request(
          def.method,
          urlFor(def.url),
          def.method === 'GET' ? undefined : {},
          { authorization },
        );
        assertCoded4xx(res, `${def.method} ${def.url} with ${authorization.slice(0, 30)}`);
        assert.equal(res.status, 401);
      }
    }
    // Expired: the same token, a month and a day later.
    const user = await signUp(node, 'expiring');
    clock.advance(31 * 86_400_000);
    const expired = await user.client.get<ErrorBody>('/api/v1/me');
    assert.equal(expired.status, 401);
    assert.equal(expired.body.error.code, 'invalid_token');
    clock.advance(-31 * 86_400_000);
    // Revoked: signed out.
    const other = await signUp(node, 'leaving');
    assert.equal((await other.client.post('/api/v1/auth/signout')).status, 204);
    const revoked = await other.client.get<ErrorBody>('/api/v1/me');
    assert.equal(revoked.status, 401);
    assert.equal(revoked.body.error.code, 'invalid_token');
  });

  test('forged and foreign listener tickets', async () => {
    const listen = await new TestClient(node).post<{ ticket: string }>(
      `/api/v1/spaces/${spaceId}/listen`,
      {},
    );
    const other = await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Other' });
    for (const ticket of [
      `${listen.body.ticket}x`,
      'a.b',
      'x'.repeat(1024),
      listen.body.ticket.replace(/^./, 'A'),
    ]) {
      assertCoded4xx(
        await new TestClient(node).post(`/api/v1/spaces/${spaceId}/heartbeat`, { ticket }),
        'forged heartbeat',
      );
    }
    // A genuine ticket for one space does not open another.
    const foreign = await new TestClient(node).post<ErrorBody>(`/api/v1/spaces/${other.body.id}/heartbeat`, {
      ticket: listen.body.ticket,
    });
    assert.equal(foreign.body.error.code, 'invalid_ticket');
  });

  test('unknown routes and methods', async () => {
    for (const [method, url] of [
      ['GET', '/nope'],
      ['PATCH', '/api/v1/spaces'],
      ['DELETE', '/api/v1/me'],
      ['GET', `/api/v1/spaces/${spaceId}/nothing`],
    ] as const) {
      assertCoded4xx(await host.client.request(method, url), `${method} ${url}`);
    }
  });

  test('the node is still up', async () => {
    assert.equal((await host.client.get('/healthz')).status, 200);
  });
});

describe('raw sockets', () => {
  let base: string;
  before(async () => {
    await node.listen();
    base = `127.0.0.1:${node.http.port}`;
  });

  test('garbage HTTP gets a 400 and the node stays up', async () => {
    const reply = await new Promise<string>((resolve) => {
      const socket = connect(node.http.port, '127.0.0.1', () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
      let data = '';
      socket.on('data', (d) => (data += d.toString()));
      socket.on('close', () => resolve(data));
      socket.on('error', () => resolve(data));
    });
    assert.match(reply, /^HTTP\/1\.1 400/);
    const health = await fetch(`http://${base}/healthz`);
    assert.equal(health.status, 200);
  });

  test('WebSocket messages of every wrong kind get coded errors; floods and oversize messages close the socket', async () => {
    const ws = new WebSocket(`ws://${base}/api/v1/events`);
    const events: { type: string; code?: string }[] = [];
    ws.on('message', (d) => events.push(JSON.parse(d.toString()) as { type: string; code?: string }));
    const wsClosed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    await new Promise((resolve) => ws.once('open', resolve));
    // Each bad message gets exactly one coded error (answers may come out of order: a subscribe looks
    // the space up first). The ping after them is answered too: the socket stays open.
    const bad: [string | Buffer, string][] = [
      ['not json', 'invalid_json'],
      ['{"v":1}', 'validation_failed'],
      ['{"v":2,"type":"subscribe","spaceId":"x"}', 'validation_failed'],
      ['{"v":1,"type":"subscribe"}', 'validation_failed'],
      ['{"v":1,"type":"subscribe","spaceId":"../../x"}', 'validation_failed'],
      ['{"v":1,"type":"subscribe","spaceId":"nosuchspace0"}', 'space_not_found'],
      [`{"v":1,"type":"subscribe","spaceId":"${spaceId}","extra":true}`, 'validation_failed'],
      ['{"v":1,"type":"launch_missiles"}', 'validation_failed'],
      ['[]', 'validation_failed'],
      ['null', 'validation_failed'],
      [Buffer.from([0, 1, 2, 3]), 'bad_request'],
    ];
    for (const [m] of bad) ws.send(m);
    ws.send(JSON.stringify({ v: 1, type: 'ping', id: 'after' }));
    const errorsNow = () => events.filter((e) => e.type === 'error');
    await waitFor(
      () => errorsNow().length >= bad.length && events.some((e) => e.type === 'pong'),
      () => `${bad.length} errors and a pong, got ${JSON.stringify(events)}`,
    );
    assert.deepEqual(
      errorsNow()
        .map((e) => e.code)
        .sort(),
      bad.map(([, code]) => code).sort(),
    );
    // A forged token: one invalid_token error, then the socket is closed with 4401.
    ws.send('{"v":1,"type":"auth","token":"forged.token"}');
    assert.equal(await wsClosed, 4401);
    const afterAuth = events.filter((e) => e.type === 'error').slice(bad.length);
    assert.deepEqual(
      afterAuth.map((e) => e.code),
      ['invalid_token'],
    );
    for (const e of events.filter((x) => x.type === 'error'))
      assert.ok(e.code && e.code in ErrorCodes, `coded: ${JSON.stringify(e)}`);

    const big = new WebSocket(`ws://${base}/api/v1/events`);
    await new Promise((resolve) => big.once('open', resolve));
    const closed = new Promise<number>((resolve) => big.once('close', (code) => resolve(code)));
    big.send('x'.repeat(10_000));
    assert.equal(await closed, 1009);

    const flood = new WebSocket(`ws://${base}/api/v1/events`);
    await new Promise((resolve) => flood.once('open', resolve));
    const floodClosed = new Promise<number>((resolve) => flood.once('close', (code) => resolve(code)));
    for (let i = 0; i < 200; i++) flood.send('{"v":1,"type":"ping"}');
    assert.equal(await floodClosed, 1008);

    assert.equal((await fetch(`http://${base}/healthz`)).status, 200);
    await waitFor(
      () => node.http.events.connections === 0,
      () => `${node.http.events.connections} sockets still open`,
    );
  });
});

/** Polls until `cond` holds; the deadline is generous (a busy machine), and the failure says what was seen. */
async function waitFor(cond: () => boolean, what: () => string, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) assert.fail(`condition not met in time: ${what()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

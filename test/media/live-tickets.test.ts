/**
 * The media path remembers the tickets it verified (api/routes/live.ts, VerifiedTickets) and checks the
 * common query by hand before zod (Route.fastParse). Neither may change an answer: a remembered ticket
 * still expires, still belongs to one space only, and anything the schemas refuse is still refused.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { VerifiedTickets } from '../../src/api/routes/live.js';
import type { ListenerTicket } from '../../src/auth/ListenerTickets.js';
import type { RostraNode } from '../../src/server/RostraNode.js';
import { ManualClock, openTestNode, signUp } from '../../src/testing/TestNode.js';

let node: RostraNode;
let clock: ManualClock;
let base: string;
let spaceA: string;
let spaceB: string;

const TTL_S = 60;

before(async () => {
  clock = new ManualClock(Date.now());
  node = await openTestNode({ clock, config: { timing: { ticketTtlSeconds: TTL_S, heartbeatSeconds: 15 } } });
  await node.listen();
  base = `http://127.0.0.1:${node.http.port}`;
  const host = await signUp(node, 'tickets_host');
  spaceA = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'A' })).body.id;
  spaceB = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'B' })).body.id;
});

after(async () => {
  await node.close();
});

async function ticketFor(spaceId: string): Promise<string> {
  const res = await fetch(`${base}/api/v1/spaces/${spaceId}/listen`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  assert.equal(res.status, 200);
  return ((await res.json()) as { ticket: string }).ticket;
}

async function get(path: string, ticket?: string): Promise<{ status: number; code?: string }> {
  const res = await fetch(`${base}${path}`, {
    headers: ticket !== undefined ? { cookie: `rostra_ticket=${ticket}` } : {},
  });
  const text = await res.text();
  if (res.status < 400) return { status: res.status };
  return { status: res.status, code: (JSON.parse(text) as { error: { code: string } }).error.code };
}

test('a remembered ticket still expires, and still opens one space only', async () => {
  const ticket = await ticketFor(spaceA);
  assert.equal((await get(`/live/${spaceA}/audio.m3u8`, ticket)).status, 200); // verified, remembered
  assert.equal((await get(`/live/${spaceA}/index.m3u8`, ticket)).status, 200); // from memory
  assert.deepEqual(await get(`/live/${spaceB}/index.m3u8`, ticket), { status: 403, code: 'invalid_ticket' });
  clock.advance(TTL_S * 1000 + 1000);
  assert.deepEqual(await get(`/live/${spaceA}/index.m3u8`, ticket), { status: 403, code: 'invalid_ticket' });
  assert.deepEqual(await get(`/live/${spaceA}/audio.m3u8`, ticket), { status: 403, code: 'invalid_ticket' });
});

test('what the schemas refuse is refused on the media path too', async () => {
  const ticket = await ticketFor(spaceA);
  assert.equal((await get(`/live/${spaceA}/audio.m3u8?_HLS_skip=YES`, ticket)).status, 200);
  // [path, code]: the schemas' refusals are validation_failed; the directives' own rules, bad_request.
  const refused: [string, string][] = [
    [`/live/${spaceA}/audio.m3u8?unknown=1`, 'validation_failed'], // strict query
    [`/live/${spaceA}/audio.m3u8?_HLS_msn=1&_HLS_msn=2`, 'validation_failed'], // repeated
    [`/live/${spaceA}/audio.m3u8?_HLS_msn=${'9'.repeat(13)}`, 'validation_failed'], // too long
    [`/live/${spaceA}/index.m3u8?ticket=${ticket}&ticket=${ticket}`, 'validation_failed'],
    [`/live/${spaceA}/${'x'.repeat(65)}`, 'validation_failed'], // file name too long
    [`/live/${spaceA}/init.mp4?x=1`, 'validation_failed'],
    [`/live/${spaceA}/audio.m3u8?_HLS_part=1`, 'bad_request'], // part without msn
    [`/live/${spaceA}/audio.m3u8?_HLS_msn=x`, 'bad_request'],
  ];
  for (const [path, code] of refused) assert.deepEqual(await get(path, ticket), { status: 400, code }, path);
});

test('VerifiedTickets keeps the newest tickets and the ones just used, in two generations', () => {
  const t = (n: number): ListenerTicket => ({
    spaceId: 's',
    listenerId: `a:${n}`,
    userId: undefined,
    expiresAt: new Date(0),
  });
  const cache = new VerifiedTickets(2);
  cache.set('1', t(1));
  cache.set('2', t(2)); // the first generation is full: it becomes the old one
  assert.equal(cache.get('1')?.listenerId, 'a:1'); // a hit in the old generation moves to the new
  cache.set('3', t(3)); // the new one fills ({1, 3}) and the old ({2}) is dropped
  assert.equal(cache.get('2'), undefined);
  assert.equal(cache.get('1')?.listenerId, 'a:1');
  assert.equal(cache.get('3')?.listenerId, 'a:3');
  assert.ok(cache.size <= 4);
});

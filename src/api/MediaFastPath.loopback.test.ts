/**
 * The media fast path answers exactly as fastify does. Each request goes over a real socket (where the
 * fast path stands in front) and through `app.inject` (fastify alone), and the two answers must match:
 * status, headers, body; playlists (cookie or ?ticket=, gzip or not, delta, blocking), parts, segments,
 * the init segment, both renditions, HEAD, and the coded errors it writes itself. What it must not take
 * (bad ids, odd queries, preflights, spaces not on the air here) is left to fastify, with the same
 * answers; forged and revoked tickets are refused by the fast path, the same way.
 */
import assert from 'node:assert/strict';
import { request, type OutgoingHttpHeaders } from 'node:http';
import { after, before, test } from 'node:test';
import type { SpaceMedia } from '../media/SpaceMedia.js';
import type { RostraNode } from '../server/RostraNode.js';
import { openTestNode, signUp, type TestUser } from '../testing/TestNode.js';
import { until } from '../testing/until.js';
import type { MediaFastPath } from './MediaFastPath.js';

let node: RostraNode;
let fast: MediaFastPath;
let host: TestUser;
let spaceId: string;
let ticket: string;
let media: SpaceMedia;

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Headers node writes on every socket whichever path answers (and inject cannot know). */
const TRANSPORT = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);

function normalize(headers: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers).sort(([a], [b]) => a.localeCompare(b)))
    if (!TRANSPORT.has(name) && value !== undefined) out[name] = String(value);
  return out;
}

function overSocket(method: string, path: string, headers: OutgoingHttpHeaders): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: node.http.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: normalize(res.headers),
          body: Buffer.concat(chunks),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

async function throughFastify(method: string, path: string, headers: OutgoingHttpHeaders): Promise<Answer> {
  const res = await node.http.app.inject({
    method: method as 'GET',
    url: path,
    headers: headers as Record<string, string>,
  });
  return { status: res.statusCode, headers: normalize(res.headers), body: res.rawPayload };
}

const aacOn = () => media.aac !== undefined && !media.aac.failed;
/** The newest complete segment of a rendition (`aac-` files: the AAC one): its files are surely there. */
const newest = (prefix = '') => (prefix === '' ? media.packager : media.aac?.packager)?.position.lastMsn ?? 0;
const cookie = (t = ticket) => ({ cookie: `rostra_ticket=${t}` });

/** Where the path's rendition stands: a pair of answers taken while it stayed put compares playlists fairly. */
function position(path: string): string {
  const p = path.includes('/aac') ? media.aac?.packager : media.packager;
  return p ? `${p.position.lastMsn}.${p.position.partsInProgress}` : '-';
}

/**
 * Asks both paths and compares; `taken` says whether the fast path must have answered (true) or left the
 * request to fastify (false).
 */
async function same(
  path: string,
  opts: { method?: string; headers?: OutgoingHttpHeaders; taken: boolean; status: number },
): Promise<Answer> {
  const method = opts.method ?? 'GET';
  const headers = opts.headers ?? {};
  return until(`${method} ${path}: one pair while the playlist stood still`, async () => {
    const at = position(path);
    const before = fast.answered;
    const viaSocket = await overSocket(method, path, headers);
    const taken = fast.answered > before;
    const viaFastify = await throughFastify(method, path, headers);
    if (position(path) !== at) return undefined; // a part arrived between the two: ask again
    assert.equal(taken, opts.taken, `${path}: ${opts.taken ? 'the fast path' : 'fastify'} answers`);
    assert.equal(viaSocket.status, opts.status, `${path}: ${viaSocket.body.toString().slice(0, 200)}`);
    assert.equal(viaSocket.status, viaFastify.status, path);
    assert.deepEqual(viaSocket.headers, viaFastify.headers, path);
    assert.deepEqual(viaSocket.body, viaFastify.body, path);
    return viaSocket;
  });
}

async function ticketFor(client?: TestUser): Promise<string> {
  const path = `/api/v1/spaces/${spaceId}/listen`;
  if (client) return (await client.client.post<{ ticket: string }>(path, {})).body.ticket;
  const res = await fetch(`http://127.0.0.1:${node.http.port}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  return ((await res.json()) as { ticket: string }).ticket;
}

before(async () => {
  node = await openTestNode({
    config: { media: { partTargetMs: 200, segmentTargetS: 1 }, guard: { junkPerIp: 10_000 } },
  });
  await node.listen();
  assert.ok(node.http.mediaFastPath, 'a node serves live media on the fast path');
  fast = node.http.mediaFastPath;
  host = await signUp(node, 'host');
  spaceId = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Fast' })).body.id;
  ticket = await ticketFor();
  // The first request makes the space's media (fastify's: the fast path never creates media).
  assert.equal((await overSocket('GET', `/live/${spaceId}/audio.m3u8`, cookie())).status, 200);
  media = await until('the space has media', () => node.media.get(spaceId));
  // A complete segment in both renditions, so every kind of file exists.
  await until('a complete segment', () => media.packager.position.lastMsn >= 1);
  if (media.aac && !media.aac.failed)
    await until('an AAC segment', () => (media.aac?.packager.position.lastMsn ?? -1) >= 1);
});

after(async () => {
  await node.close();
});

test('playlists: the same answer with the cookie or ?ticket=, gzip or not, full, delta or blocking', async () => {
  const dir = `/live/${spaceId}`;
  const gzip = { ...cookie(), 'accept-encoding': 'gzip, deflate' };
  await same(`${dir}/index.m3u8`, { headers: cookie(), taken: true, status: 200 });
  await same(`${dir}/index.m3u8?ticket=${ticket}`, { taken: true, status: 200 });
  for (const file of ['audio.m3u8', ...(aacOn() ? ['aac.m3u8'] : [])]) {
    const plain = await same(`${dir}/${file}`, { headers: cookie(), taken: true, status: 200 });
    assert.equal(plain.headers.vary, 'accept-encoding');
    const zipped = await same(`${dir}/${file}`, { headers: gzip, taken: true, status: 200 });
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    await same(`${dir}/${file}?_HLS_skip=YES`, { headers: gzip, taken: true, status: 200 });
    await same(`${dir}/${file}?ticket=${ticket}&_HLS_skip=YES`, { taken: true, status: 200 });
    await same(`${dir}/${file}?_HLS_msn=1&_HLS_part=0`, { headers: cookie(), taken: true, status: 200 });
    await same(`${dir}/${file}`, { method: 'HEAD', headers: gzip, taken: true, status: 200 });
  }
  assert.equal(
    (await same(`${dir}/index.m3u8`, { headers: cookie(), taken: true, status: 200 })).headers[
      'access-control-allow-origin'
    ],
    '*',
  );
});

test('the init segment, parts and segments of both renditions: the same bytes and headers', async () => {
  const dir = `/live/${spaceId}`;
  for (const prefix of ['', ...(aacOn() ? ['aac-'] : [])]) {
    await same(`${dir}/${prefix}init.mp4`, { headers: cookie(), taken: true, status: 200 });
    await same(`${dir}/${prefix}init.mp4`, { method: 'HEAD', headers: cookie(), taken: true, status: 200 });
    const msn = newest(prefix);
    await same(`${dir}/${prefix}part${msn}.0.m4s`, { headers: cookie(), taken: true, status: 200 });
    await same(`${dir}/${prefix}part${msn}.1.m4s?ticket=${ticket}`, { taken: true, status: 200 });
    await same(`${dir}/${prefix}seg${msn}.m4s`, { headers: cookie(), taken: true, status: 200 });
    await same(`${dir}/${prefix}seg${msn}.m4s`, {
      method: 'HEAD',
      headers: cookie(),
      taken: true,
      status: 200,
    });
  }
});

test('the coded errors the fast path writes itself are the ones fastify writes', async () => {
  const dir = `/live/${spaceId}`;
  const bad = await same(`${dir}/audio.m3u8?_HLS_msn=x`, { headers: cookie(), taken: true, status: 400 });
  assert.equal((JSON.parse(bad.body.toString()) as { error: { code: string } }).error.code, 'bad_request');
  await same(`${dir}/audio.m3u8?_HLS_msn=99999999`, { headers: cookie(), taken: true, status: 400 });
  await same(`${dir}/audio.m3u8?_HLS_part=1`, { headers: cookie(), taken: true, status: 400 });
  await same(`${dir}/part99999999.0.m4s`, { headers: cookie(), taken: true, status: 404 });
  await same(`${dir}/seg99999999.m4s`, { headers: cookie(), taken: true, status: 404 });
  await same(`${dir}/notes.txt`, { headers: cookie(), taken: true, status: 404 });
});

test('forged and revoked tickets are refused by the fast path as fastify refuses them; bad ids and odd queries are left to fastify', async () => {
  const dir = `/live/${spaceId}`;
  const code = (a: Answer) => (JSON.parse(a.body.toString()) as { error: { code: string } }).error.code;
  const dot = ticket.indexOf('.'); // payload.signature: another first character of the signature
  const forged = `${ticket.slice(0, dot + 1)}${ticket[dot + 1] === 'A' ? 'B' : 'A'}${ticket.slice(dot + 2)}`;
  assert.equal(
    code(await same(`${dir}/audio.m3u8`, { headers: cookie(forged), taken: true, status: 403 })),
    'invalid_ticket',
  );
  const part = () => `${dir}/part${newest()}.0.m4s`;
  assert.equal(code(await same(part(), { taken: true, status: 403 })), 'invalid_ticket');

  const troll = await signUp(node, 'troll');
  const trollTicket = await ticketFor(troll);
  await same(part(), { headers: cookie(trollTicket), taken: true, status: 200 });
  assert.equal((await host.client.post(`/api/v1/spaces/${spaceId}/users/${troll.id}/remove`)).status, 204);
  await until(
    'the removal reaches the media path',
    async () => (await overSocket('GET', part(), cookie(trollTicket))).status === 403,
  );
  for (const path of [`${dir}/audio.m3u8`, part(), `${dir}/init.mp4`])
    assert.equal(
      code(await same(path, { headers: cookie(trollTicket), taken: true, status: 403 })),
      'invalid_ticket',
      `a revoked ticket opens no ${path}`,
    );

  const other = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Other' })).body.id;
  assert.equal(
    code(await same(`/live/${other}/audio.m3u8`, { headers: cookie(), taken: false, status: 403 })),
    'invalid_ticket',
  );
  assert.equal(
    code(await same(`/live/bad!id/audio.m3u8`, { headers: cookie(), taken: false, status: 400 })),
    'validation_failed',
  );
  const odd: [query: string, status: number][] = [
    ['?unknown=1', 400],
    ['?_HLS_msn=1&_HLS_msn=2', 400],
    [`?_HLS_msn=${'9'.repeat(13)}`, 400],
    [`?ticket=${ticket}%41`, 403], // decoded: another ticket
    ['?', 200],
  ];
  for (const [query, status] of odd)
    await same(`${dir}/audio.m3u8${query}`, { headers: cookie(), taken: false, status });
  await same(`${dir}/audio.m3u8`, { method: 'OPTIONS', taken: false, status: 204 });
});

test('a fast answer is counted in the request metrics under its route', async () => {
  const count = async () => {
    const lines = (await node.http.metrics.registry.metrics()).split('\n');
    const value = (prefix: string, ...parts: string[]) =>
      Number(
        lines
          .find((l) => l.startsWith(prefix) && parts.every((p) => l.includes(p)))
          ?.split(' ')
          .at(-1) ?? 0,
      );
    const route = 'route="/live/:id/:file"';
    return {
      requests: value('rostra_http_requests_total{', route, 'method="GET"', 'status="200"'),
      durations: value('rostra_http_request_duration_seconds_count{', route),
    };
  };
  const before = await count();
  const answered = fast.answered;
  const part = `/live/${spaceId}/part${newest()}.0.m4s`;
  assert.equal((await overSocket('GET', part, cookie())).status, 200);
  assert.equal(fast.answered, answered + 1);
  const after = await count();
  assert.equal(after.requests - before.requests, 1);
  assert.equal(after.durations - before.durations, 1);
});

test('a held reload whose client goes away gives its place back at once', async () => {
  const { guard } = node.plane.ctx;
  // The last part of the segment after next: more than a segment away, within the Advance Part Limit.
  const wanted = {
    msn: media.packager.position.lastMsn + 2,
    part: media.packager.playlist.timing.partsPerSegment - 1,
  };
  const path = `/live/${spaceId}/audio.m3u8?_HLS_msn=${wanted.msn}&_HLS_part=${wanted.part}`;
  let answered = false;
  const before = fast.answered;
  const req = request({ host: '127.0.0.1', port: node.http.port, path, headers: cookie() }, () => {
    answered = true;
  });
  req.on('error', () => undefined); // destroyed below, on purpose
  req.end();
  await until('the reload is held', () => {
    assert.equal(answered, false, 'held, not answered at once');
    return guard.held.total === 1;
  });
  assert.equal(fast.answered, before + 1, 'held by the fast path');
  req.destroy();
  await until('its place is given back', () => guard.held.total === 0);
  assert.equal(media.packager.decideReload(wanted).kind, 'wait', 'given back before its part came');
});

/** The load test's HTTP side against a scripted loopback server: one socket per connection, accounting, codes. */
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { until } from '../testing/until.js';
import { HttpPool } from './HttpPool.js';
import { parsePlaylist, partPath, playlistText } from './SimListener.js';

async function serve(answer: (req: IncomingMessage, body: string, res: ServerResponse) => void) {
  let sockets = 0;
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => answer(req, body, res));
  });
  server.on('connection', () => sockets++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    sockets: () => sockets,
    requests: () => requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

test('HttpPool: a connection keeps one socket for all its requests; media bodies are counted, not kept', async () => {
  const media = Buffer.alloc(3000, 7);
  const server = await serve((req, body, res) => {
    if (req.url === '/part.m4s') return void res.end(media);
    if (req.url === '/api') {
      res.writeHead(201, { 'content-type': 'application/json', 'x-twice': ['a', 'b'] });
      return void res.end(JSON.stringify({ got: body, cookie: req.headers.cookie ?? null }));
    }
    res.end(`#EXTM3U\n${req.headers.cookie}\n`);
  });
  const pool = new HttpPool({ host: '127.0.0.1', port: server.port });
  try {
    const conn = pool.connect();
    const playlist = await conn.request('GET', '/index.m3u8', ['cookie', 't=1'], null, 'bytes');
    assert.deepEqual([playlist.status, String(playlist.raw), playlist.body], [200, '#EXTM3U\nt=1\n', '']);
    const part = await conn.request('GET', '/part.m4s', [], null, 'count');
    assert.deepEqual([part.status, part.body, part.raw, part.bytes], [200, '', undefined, 3000]);
    const api = await conn.transport({
      method: 'POST',
      path: '/api',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    assert.equal(api.status, 201);
    assert.equal(api.headers['content-type'], 'application/json');
    assert.deepEqual(api.headers['x-twice'], ['a', 'b']);
    assert.deepEqual(JSON.parse(api.text), { got: '{"a":1}', cookie: null });
    assert.equal(server.sockets(), 1, 'one keep-alive socket');
    assert.equal(pool.requests, 3);
    assert.equal(pool.bytes, playlist.bytes + 3000 + Buffer.byteLength(api.text));
    // A second connection is a second socket, as a second player's is.
    await pool.connect().request('GET', '/part.m4s', [], null, 'count');
    assert.equal(server.sockets(), 2);
  } finally {
    pool.close();
    await server.close();
  }
});

test('HttpPool: failures carry the codes node:http gave (ECONNRESET, ETIMEDOUT); a closed pool fails at once', async () => {
  const server = await serve((req, _body, res) => {
    if (req.url === '/drop') return req.socket.destroy();
    if (req.url === '/hang') return; // never answers
    res.end('ok');
  });
  const pool = new HttpPool({ host: '127.0.0.1', port: server.port, timeoutMs: 100 });
  try {
    const conn = pool.connect();
    await assert.rejects(conn.request('GET', '/drop', [], null, 'count'), { code: 'ECONNRESET' });
    // The connection opens a new socket after one was lost.
    assert.equal((await conn.request('GET', '/', [], null, 'text')).body, 'ok');
    await assert.rejects(conn.request('GET', '/hang', [], null, 'count'), { code: 'ETIMEDOUT' });
    pool.close();
    assert.equal(pool.closed, true);
    await assert.rejects(conn.request('GET', '/', [], null, 'count'), { code: 'ECONNRESET' });
    await assert.rejects(pool.connect().request('GET', '/', [], null, 'count'), { code: 'ECONNRESET' });
    // A request in flight when the pool closes fails too (the run's end: not counted as an error).
    const other = new HttpPool({ host: '127.0.0.1', port: server.port });
    const held = other.connect().request('GET', '/hang', [], null, 'count');
    await until(() => server.requests() >= 4);
    other.close();
    await assert.rejects(held, { code: 'ECONNRESET' });
  } finally {
    pool.close();
    await server.close();
  }
});

test('parsePlaylist: the same bytes are parsed once for every listener handed them; partPath resolves beside the playlist', () => {
  const lines = [
    '#EXTM3U',
    '#EXT-X-TARGETDURATION:2',
    '#EXT-X-PART-INF:PART-TARGET=0.5',
    '#EXT-X-MEDIA-SEQUENCE:7',
    '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00.000Z',
    '#EXT-X-PART:DURATION=0.5,URI="part7.0.m4s"',
    '#EXT-X-PART:DURATION=0.5,URI="part7.1.m4s"',
    '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part7.2.m4s"',
    '',
  ];
  const text = lines.join('\n');
  const a = parsePlaylist(Buffer.from(text));
  assert.equal(parsePlaylist(Buffer.from(text)), a, 'the same bytes (another buffer), the same parse');
  assert.deepEqual(
    a.parts.map((p) => p.uri),
    ['part7.0.m4s', 'part7.1.m4s'],
  );
  assert.deepEqual(a.playlist.preloadHint, { uri: 'part7.2.m4s', msn: 7, index: 2 });
  assert.notEqual(parsePlaylist(Buffer.from(text.replace('part7.1', 'part7.9'))), a);
  assert.equal(parsePlaylist(Buffer.from(text)), a, 'kept while newer ones come');
  // Asked with accept-encoding: gzip, as a browser asks: a gzip'd answer parses the same.
  const zipped = gzipSync(text.replace('part7.1', 'part7.8'));
  const z = parsePlaylist(zipped);
  assert.deepEqual(
    z.parts.map((p) => p.uri),
    ['part7.0.m4s', 'part7.8.m4s'],
  );
  assert.equal(parsePlaylist(Buffer.from(zipped)), z, 'gzip bytes are shared like plain ones');
  assert.equal(playlistText(zipped), text.replace('part7.1', 'part7.8'));
  assert.equal(playlistText(Buffer.from(text)), text);
  assert.equal(partPath('/live/s1/opus.m3u8', 'part7.0.m4s'), '/live/s1/part7.0.m4s');
  assert.equal(partPath('/live/s1/opus.m3u8', '../x/part.m4s'), '/live/x/part.m4s');
  assert.equal(partPath('/live/s1/opus.m3u8', '/abs/part.m4s?x=1'), '/abs/part.m4s');
  assert.equal(partPath('/live/s1/opus.m3u8', '..'), '/live/');
});

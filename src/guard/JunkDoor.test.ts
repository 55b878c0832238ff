/** The junk door's 429: the bytes a coded refusal has (made once per wait, and the same every time). */
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { MemoryBus, MemoryHub } from '../bus/MemoryBus.js';
import { loadConfig } from '../config/Config.js';
import { Metrics } from '../metrics/Metrics.js';
import { Guard } from './Guard.js';
import { JUNK_MESSAGE } from './GuardHttp.js';
import { JUNK_DOOR_ROUTE, JunkDoor } from './JunkDoor.js';
import { JUNK_WINDOW_MS } from './Occupancy.js';
import { rateLimited } from './RateLimiter.js';

const config = loadConfig([], {}, { dataDir: '', logLevel: 'silent', guard: { junkPerIp: 2 } });
const guard = new Guard({ config, bus: new MemoryBus({ hub: new MemoryHub() }) });
const metrics = new Metrics();
const door = new JunkDoor(guard, metrics, (path) => path.startsWith('/api/'));
let server: Server;

interface Answer {
  status: number;
  rawHeaders: string[];
  body: string;
}

function get(path: string): Promise<Answer> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, rawHeaders: res.rawHeaders, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** What the door wrote before its answers were made once: the coded error, headers in this order. */
function expected(retryAfter: number, cors: boolean): { headers: string[]; body: string } {
  const err = rateLimited(
    { name: 'junk', limit: guard.config.junkPerIp, windowMs: JUNK_WINDOW_MS, scope: 'address' },
    retryAfter * 1000,
    JUNK_MESSAGE,
  );
  const body = JSON.stringify(err.toBody());
  const headers = [
    ...(cors ? ['access-control-allow-origin', '*'] : []),
    ...['retry-after', String(err.retryAfter), 'cache-control', 'no-store'],
    ...['content-type', 'application/json; charset=utf-8', 'content-length', String(Buffer.byteLength(body))],
  ];
  return { headers, body };
}

const TRANSPORT = new Set(['date', 'connection', 'keep-alive']);
const own = (raw: string[]) =>
  raw.flatMap((v, i) => (i % 2 === 0 && !TRANSPORT.has(v.toLowerCase()) ? [v, raw[i + 1] as string] : []));

before(async () => {
  server = createServer((req, res) => {
    if (door.refuse(req, res)) return;
    res.writeHead(204).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test('a blocked address gets the same bytes every time: the coded 429 with Retry-After, CORS where due', async () => {
  assert.equal((await get('/api/v1/x')).status, 204, 'not blocked yet');
  for (let i = 0; i < guard.config.junkPerIp; i++) guard.junk.record('127.0.0.1', Date.now());
  for (const [path, cors] of [
    ['/api/v1/x', true],
    ['/api/v1/x?y=1', true],
    ['/other', false],
    ['/other', false],
    ['/api/v1/x', true],
  ] as const) {
    const a = await get(path);
    assert.equal(a.status, 429, path);
    const retryAfter = Number(a.rawHeaders[a.rawHeaders.indexOf('retry-after') + 1]);
    assert.ok(retryAfter >= 1 && retryAfter <= JUNK_WINDOW_MS / 1000, `Retry-After ${retryAfter}`);
    const want = expected(retryAfter, cors);
    assert.deepEqual(own(a.rawHeaders), want.headers, path);
    assert.equal(a.body, want.body, path);
  }
  assert.equal((await get('/live/x/audio.m3u8')).status, 204, 'listeners already in are never refused');
  const text = await metrics.registry.metrics();
  assert.match(text, /^rostra_errors_total\{code="rate_limited"\} 5$/m);
  const door429 = `rostra_http_requests_total{method="GET",route="${JUNK_DOOR_ROUTE}",status="429"} 5`;
  assert.ok(text.includes(door429), 'each refusal counted under the door');
});

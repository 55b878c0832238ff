/**
 * The shipped nginx edge config in front of a live space: tickets are refused at the edge, every listener
 * shares one cache entry, and a crowd's blocking reloads reach the origin as one request.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SpeakerBot } from '../../src/bot/index.js';
import type { RostraNode } from '../../src/server/RostraNode.js';
import { EdgeNginx } from '../../src/testing/Nginx.js';
import { openTestNode, signUp } from '../../src/testing/TestNode.js';

let node: RostraNode;
let edge: EdgeNginx;
let bot: SpeakerBot;
let spaceId: string;
let edgeBase: string;

before(async () => {
  node = await openTestNode({ config: { media: { partTargetMs: 200, segmentTargetS: 1 } } });
  await node.listen();
  const origin = `http://127.0.0.1:${node.http.port}`;
  edge = await EdgeNginx.start({ originPort: node.http.port, secret: node.config.secret });
  edgeBase = `http://127.0.0.1:${edge.port}`;
  const host = await signUp(node, 'host');
  spaceId = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Edge' })).body.id;
  bot = new SpeakerBot({
    connectTimeoutMs: 60_000, // a deadline for a busy machine
    whipUrl: `${origin}/api/v1/spaces/${spaceId}/whip`,
    token: host.token,
    audio: { kind: 'tone', frequencyHz: 440, levelDbfs: -20 },
  });
  await bot.start();
});

after(async () => {
  await bot.stop();
  await edge.stop();
  await node.close();
});

async function ticket(): Promise<string> {
  const res = await fetch(`${edgeBase}/api/v1/spaces/${spaceId}/listen`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  return ((await res.json()) as { ticket: string }).ticket;
}

async function originCount(route: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${node.http.port}/metrics`)).text();
  let n = 0;
  for (const line of text.split('\n')) {
    if (
      line.startsWith('rostra_http_requests_total{') &&
      line.includes(`route="${route}"`) &&
      line.includes('status="200"')
    )
      n += Number(line.split(' ').at(-1));
  }
  return n;
}

test('the edge refuses a missing or forged ticket itself, without asking the origin', async () => {
  const before = await originCount('/live/:id/audio.m3u8');
  const attempts: Record<string, string>[] = [{}, { cookie: 'rostra_ticket=forged.x' }];
  for (const headers of attempts) {
    const res = await fetch(`${edgeBase}/live/${spaceId}/audio.m3u8`, { headers });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'invalid_ticket');
  }
  const other = await fetch(`${edgeBase}/live/someotherspace/audio.m3u8?ticket=${await ticket()}`);
  assert.equal(other.status, 403, 'a ticket opens only its own space');
  assert.equal(await originCount('/live/:id/audio.m3u8'), before);
});

test('two listeners with different tickets share one cached part', async () => {
  const [a, b] = [await ticket(), await ticket()];
  assert.notEqual(a, b);
  const playlist = await (
    await fetch(`${edgeBase}/live/${spaceId}/audio.m3u8`, { headers: { cookie: `rostra_ticket=${a}` } })
  ).text();
  const part = /URI="(part\d+\.\d+\.m4s)"/.exec(playlist)?.[1];
  assert.ok(part);
  const first = await fetch(`${edgeBase}/live/${spaceId}/${part}`, {
    headers: { cookie: `rostra_ticket=${a}` },
  });
  await first.arrayBuffer();
  const second = await fetch(`${edgeBase}/live/${spaceId}/${part}?ticket=${b}`);
  assert.equal(second.status, 200);
  assert.equal(second.headers.get('x-cache-status'), 'HIT');
  assert.equal(second.headers.get('set-cookie'), null);
});

test("a crowd's blocking reload for the next part reaches the origin once", async () => {
  const tickets = await Promise.all(Array.from({ length: 30 }, () => ticket()));
  const playlist = await (await fetch(`${edgeBase}/live/${spaceId}/audio.m3u8?ticket=${tickets[0]}`)).text();
  // Asked with ?ticket=, the URIs carry `?ticket={$ticket}` for the player to fill in (EXT-X-DEFINE).
  const hint = /PRELOAD-HINT:TYPE=PART,URI="part(\d+)\.(\d+)\.m4s(?:\?ticket=\{\$ticket\})?"/.exec(playlist);
  assert.ok(hint);
  // Two parts ahead, so every request arrives before the origin can answer.
  const msn = Number(hint[1]);
  const part = Number(hint[2]) + 1;
  const before = await originCount('/live/:id/audio.m3u8');
  const answers = await Promise.all(
    tickets.map((t) =>
      fetch(`${edgeBase}/live/${spaceId}/audio.m3u8?_HLS_msn=${msn}&_HLS_part=${part}`, {
        headers: { cookie: `rostra_ticket=${t}` },
      }),
    ),
  );
  const bodies = await Promise.all(answers.map((r) => r.text()));
  assert.ok(answers.every((r) => r.status === 200));
  assert.equal(new Set(bodies).size, 1, 'everyone got the same playlist');
  const reached = (await originCount('/live/:id/audio.m3u8')) - before;
  console.log(`edge: 30 listeners' blocking reload → ${reached} origin request(s)`);
  assert.ok(reached <= 2, `${reached} origin requests for 30 listeners`);
});

test('the part a blocking reload waits for is fetched into the edge cache beside it', async () => {
  const t = await ticket();
  const headers = { cookie: `rostra_ticket=${t}` };
  const playlist = await (await fetch(`${edgeBase}/live/${spaceId}/audio.m3u8`, { headers })).text();
  const hint = /PRELOAD-HINT:TYPE=PART,URI="(part(\d+)\.(\d+)\.m4s)"/.exec(playlist);
  assert.ok(hint);
  const [, file, msn, part] = hint;
  const before = await originCount('/live/:id/:file');
  const reload = await fetch(`${edgeBase}/live/${spaceId}/audio.m3u8?_HLS_msn=${msn}&_HLS_part=${part}`, {
    headers,
  });
  assert.equal(reload.status, 200);
  assert.ok((await reload.text()).includes(`URI="${file}"`));
  // Without the prefetch this first request for the part would be the cache's MISS.
  const res = await fetch(`${edgeBase}/live/${spaceId}/${file}`, { headers });
  assert.equal(res.status, 200);
  assert.ok((await res.arrayBuffer()).byteLength > 0);
  assert.equal(res.headers.get('x-cache-status'), 'HIT');
  assert.equal((await originCount('/live/:id/:file')) - before, 1, 'the origin served the part once');
});

test('a plain playlist request (no blocking directives) prefetches nothing', async () => {
  const before = await originCount('/live/:id/:file');
  const res = await fetch(`${edgeBase}/live/${spaceId}/audio.m3u8?ticket=${await ticket()}`);
  assert.equal(res.status, 200);
  await res.text();
  assert.equal(await originCount('/live/:id/:file'), before);
  assert.equal(edge.errorLog.includes('[error]'), false, edge.errorLog);
});

test('through the edge, ?ticket= players and cookie players each get their own playlist body', async () => {
  const [a, b, c] = await Promise.all([ticket(), ticket(), ticket()]);
  const url = `${edgeBase}/live/${spaceId}/index.m3u8`;
  const byQuery = await (await fetch(`${url}?ticket=${a}`)).text();
  const byCookie = await (await fetch(url, { headers: { cookie: `rostra_ticket=${b}` } })).text();
  const again = await fetch(`${url}?ticket=${c}`);
  assert.match(byQuery, /EXT-X-DEFINE:QUERYPARAM="ticket"/);
  assert.doesNotMatch(byCookie, /EXT-X-DEFINE/, 'a cookie player is never served the ?ticket= body');
  assert.equal(await again.text(), byQuery);
  assert.equal(again.headers.get('x-cache-status'), 'HIT', 'one entry for every ?ticket= player');
  assert.match(byCookie, /CODECS="mp4a\.40\.2"\naac\.m3u8\n/, 'the AAC-LC rendition goes through the edge');
  const aac = await fetch(`${edgeBase}/live/${spaceId}/aac-init.mp4`, {
    headers: { cookie: `rostra_ticket=${b}` },
  });
  assert.equal(aac.status, 200);
});
